//! Both of our servers inside the benchmark's own process, on free ports,
//! with one feed behind their `/tick` paths: what the comparison and the
//! feed benchmarks measure, with no process boundary in the way. Each runs
//! twice: in plain text, as in the article, and over TLS with a self-signed
//! certificate (`https://`, `wss://`).
//!
//! Used by `cargo run --release -p bench` and `-- feed`; not run on its own.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use common::feed::Feed;
use common::tls::{ServerTls, ServerTlsOptions};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Both servers, in this process, on free ports, each in plain text and
/// over TLS.
pub(crate) struct Servers {
    pub(crate) http: SocketAddr,
    pub(crate) ws: SocketAddr,
    pub(crate) https: SocketAddr,
    pub(crate) wss: SocketAddr,
    /// The TLS servers' certificate, self-signed, in a file of its own: a
    /// client trusts it as `--cacert FILE` would.
    pub(crate) certificate: PathBuf,
    stops: Vec<oneshot::Sender<()>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Servers {
    /// Starts both servers twice, with `feed` behind their `/tick` paths.
    pub(crate) async fn start(feed: Feed) -> anyhow::Result<Self> {
        // What `--self-signed` does: a certificate for localhost and
        // 127.0.0.1 made now, written to a temporary file. Both TLS servers
        // share it, and name both HTTP versions in ALPN, as they do on their
        // own: each client offers one, and gets it.
        let self_signed = ServerTlsOptions {
            self_signed: true,
            ..ServerTlsOptions::default()
        };
        let tls = self_signed.load(&[b"h2", b"http/1.1"])?;
        let certificate = tls
            .as_ref()
            .map(|tls| tls.certificate_path().to_path_buf())
            .context("--self-signed gave no TLS")?;
        let (http, http_listener) = listen().await?;
        let (https, https_listener) = listen().await?;
        let (ws, ws_listener) = listen().await?;
        let (wss, wss_listener) = listen().await?;
        let mut stops = Vec::new();
        let tasks = vec![
            tokio::spawn(http_server::serve_with(
                http_listener,
                http_server::Options::default(),
                feed.clone(),
                stop_signal(&mut stops),
            )),
            tokio::spawn(http_server::serve_with(
                https_listener,
                http_server::Options {
                    tls: tls.clone(),
                    ..http_server::Options::default()
                },
                feed.clone(),
                stop_signal(&mut stops),
            )),
            tokio::spawn(ws_server::serve(
                ws_listener,
                ws_options(None),
                feed.clone(),
                stop_signal(&mut stops),
            )),
            tokio::spawn(ws_server::serve(
                wss_listener,
                ws_options(tls),
                feed,
                stop_signal(&mut stops),
            )),
        ];
        Ok(Self {
            http,
            ws,
            https,
            wss,
            certificate,
            stops,
            tasks,
        })
    }

    /// Shuts all four down, waits until they have, and removes the
    /// certificate's file.
    pub(crate) async fn stop(self) {
        for stop in self.stops {
            let _ = stop.send(());
        }
        for task in self.tasks {
            let _ = task.await;
        }
        let _ = std::fs::remove_file(&self.certificate);
    }
}

/// A listener on a free port of the loopback interface, and its address.
async fn listen() -> anyhow::Result<(SocketAddr, TcpListener)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    Ok((listener.local_addr()?, listener))
}

/// ws-server's settings here, over TLS if `tls` is set. The echo comes back
/// unchanged, so both directions carry the same payload, and no line is
/// printed per message.
fn ws_options(tls: Option<ServerTls>) -> ws_server::Options {
    ws_server::Options {
        echo_plain: true,
        quiet: true,
        tls,
        ..ws_server::Options::default()
    }
}

/// A shutdown signal for one server: it completes when [`Servers::stop`]
/// fires the sender this adds to `stops`.
fn stop_signal(stops: &mut Vec<oneshot::Sender<()>>) -> impl Future<Output = ()> + use<> {
    let (stop, stopped) = oneshot::channel();
    stops.push(stop);
    async {
        let _ = stopped.await;
    }
}
