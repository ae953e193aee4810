//! The pieces `bench/peers.sh` puts our servers beside: a bare hyper server
//! and a raw TCP echo (what our servers would be with nothing of their own),
//! and load generators for WebSocket and raw TCP echo (wrk does HTTP).
//!
//! Each server prints a started line with its URL, like ours, so the script
//! can start them all the same way.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use anyhow::Context;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A bare hyper 1.x server: the article's body on every request, no router,
/// no deadlines, no limits. The floor under http-server.
pub async fn serve_hyper(listener: TcpListener) -> anyhow::Result<()> {
    println!(
        "bare hyper server started. Listening on http://{}",
        listener.local_addr()?
    );
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let hello = service_fn(|_request| async {
                let response = hyper::Response::builder()
                    .header(hyper::header::CONTENT_TYPE, common::HTML_CONTENT_TYPE)
                    .body(Full::new(Bytes::from_static(common::HELLO_BODY.as_bytes())));
                Ok::<_, Infallible>(response.expect("a valid response"))
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), hello)
                .await;
        });
    }
}

/// A raw TCP echo: bytes in, the same bytes out. The floor under ws-server.
pub async fn serve_tcp_echo(listener: TcpListener) -> anyhow::Result<()> {
    println!(
        "raw TCP echo server started. Listening on tcp://{}",
        listener.local_addr()?
    );
    loop {
        let (mut stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        tokio::spawn(async move {
            let (mut reader, mut writer) = stream.split();
            let _ = tokio::io::copy(&mut reader, &mut writer).await;
        });
    }
}

/// `clients` WebSocket clients send a `payload`-byte text message and wait
/// for the reply, again and again, for `duration`; returns round trips per second.
pub async fn ws_load(
    url: &str,
    clients: usize,
    duration: Duration,
    payload: usize,
) -> anyhow::Result<f64> {
    let message = "x".repeat(payload);
    load(clients, duration, |deadline| {
        let (url, message) = (url.to_string(), message.clone());
        async move {
            let (mut ws, _) = tokio_tungstenite::connect_async_with_config(&url, None, true)
                .await
                .with_context(|| format!("could not connect to {url}"))?;
            let mut count = 0;
            while Instant::now() < deadline {
                crate::compare::ws_echo(&mut ws, &message).await?;
                count += 1;
            }
            let _ = ws.close(None).await;
            Ok(count)
        }
    })
    .await
}

/// The same with raw TCP: `payload` bytes out, as many back.
pub async fn tcp_load(
    addr: &str,
    clients: usize,
    duration: Duration,
    payload: usize,
) -> anyhow::Result<f64> {
    load(clients, duration, |deadline| {
        let addr = addr.to_string();
        async move {
            let mut stream = TcpStream::connect(&addr)
                .await
                .with_context(|| format!("could not connect to {addr}"))?;
            stream.set_nodelay(true)?;
            let (message, mut echo) = (vec![b'x'; payload], vec![0; payload]);
            let mut count = 0;
            while Instant::now() < deadline {
                stream.write_all(&message).await?;
                stream.read_exact(&mut echo).await?;
                count += 1;
            }
            Ok(count)
        }
    })
    .await
}

/// Runs `clients` copies of `client` until the deadline; round trips per second.
async fn load<F, Fut>(clients: usize, duration: Duration, client: F) -> anyhow::Result<f64>
where
    F: Fn(Instant) -> Fut,
    Fut: Future<Output = anyhow::Result<u64>> + Send + 'static,
{
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        tasks.spawn(client(deadline));
    }
    let mut total = 0;
    while let Some(result) = tasks.join_next().await {
        total += result.context("a load client panicked")??;
    }
    Ok(total as f64 / start.elapsed().as_secs_f64())
}
