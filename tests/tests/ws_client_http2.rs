//! `ws-client --http2`: the article's client with its WebSocket as one
//! stream of an HTTP/2 connection (RFC 8441), against ws-server, in
//! cleartext (h2c) and over TLS (ALPN `h2`), and the one-line errors
//! against servers that cannot carry one.
//!
//! Run: `cargo test -p tests --test ws_client_http2`. Beyond the article,
//! which knows only the HTTP/1.1 upgrade.

use std::convert::Infallible;

use tests::certs::{CertFiles, LOCAL_NAMES};
use tests::{
    LineSink, TIMEOUT, assert_one_line_error, run_client, serve_one, start_http_server,
    start_ws_server, start_ws_server_with, text, within,
};

/// The article's exchange, and `--verbose`: the server's SETTINGS allow
/// extended CONNECT, the CONNECT is a HEADERS frame on stream 1, and the
/// WebSocket's frames travel inside DATA frames on that stream.
#[tokio::test]
async fn ws_client_echoes_over_h2c_and_shows_the_frames() {
    let server = start_ws_server().await;
    let url = server.ws_url();
    let output = run_client("ws-client", &["--http2", "--verbose", &url], "hello\n").await;
    assert!(output.status.success(), "{output:?}");
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("Received response: Server Response: hello"),
        "{stdout}"
    );
    let stderr = text(&output.stderr);
    for line in [
        "> [HTTP/2 connection preface: PRI * HTTP/2.0, 24 bytes]",
        "ENABLE_CONNECT_PROTOCOL=1]",
        "> [HTTP/2 HEADERS, stream 1,",
        ">   [frame: text, 5-byte payload, masked, 6-byte header]",
        "<   [frame: text, 22-byte payload, not masked, 2-byte header]",
    ] {
        assert!(stderr.contains(line), "no {line:?} in:\n{stderr}");
    }
    // Not one line of an HTTP/1.1 upgrade.
    assert!(!stderr.contains("101"), "{stderr}");
    server.shutdown().await;
}

/// Over TLS, ALPN picks `h2` and the same exchange follows, with the
/// certificate checked as for any `wss://`.
#[tokio::test]
async fn ws_client_echoes_over_tls_with_alpn_h2() {
    let certs = CertFiles::new(LOCAL_NAMES);
    let tls = certs.server_options().load(&[b"h2", b"http/1.1"]).unwrap();
    let server = start_ws_server_with(ws_server::Options {
        tls,
        ..tests::ws_options()
    })
    .await;
    let url = format!("wss://localhost:{}", server.addr.port());
    let cert = certs.cert.to_str().unwrap();
    let args = ["--http2", "--verbose", "--cacert", cert, &url];
    let output = run_client("ws-client", &args, "hello\n").await;
    assert!(output.status.success(), "{output:?}");
    assert!(text(&output.stdout).contains("Server Response: hello"));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("ALPN protocol: h2"), "{stderr}");
    assert!(stderr.contains("[HTTP/2 HEADERS, stream 1,"), "{stderr}");
    server.shutdown().await;
}

/// The feed at `/tick` over HTTP/2: each tick a WebSocket frame in a DATA
/// frame, pushed unasked, after the one CONNECT, as over HTTP/1.1.
#[tokio::test]
async fn ws_client_follows_the_feed_over_http2() {
    let server = start_ws_server().await;
    let (mut sink, mut printed) = LineSink::new();
    let url = format!("{}/tick", server.ws_url());
    let options = ws_client::Options {
        http2: true,
        ..Default::default()
    };
    let client = tokio::spawn(async move {
        ws_client::follow(&url, Some(2), &options, TIMEOUT, false, &mut sink).await
    });
    // Each tick once the client has printed the one before.
    for _ in 0..2 {
        let tick = server.feed.publish().expect("the feed is open");
        let line = within(printed.recv()).await.expect("a line per tick");
        assert!(line.starts_with(&format!("tick {}: ", tick.seq)), "{line}");
    }
    let summary = within(printed.recv()).await.expect("a summary line");
    assert!(
        summary.starts_with("2 ticks, 1 request, 1 connection, "),
        "{summary}"
    );
    within(client).await.unwrap().expect("follow");
    server.shutdown().await;
}

/// An HTTP/2 server whose SETTINGS do not allow extended CONNECT
/// (http-server) cannot carry a WebSocket: one line, exit 1, and no
/// CONNECT sent. A server that speaks only HTTP/1.1 gets one line too.
#[tokio::test]
async fn http2_without_extended_connect_is_one_line() {
    let server = start_http_server().await;
    let url = format!("ws://{}", server.addr);
    let output = run_client("ws-client", &["--http2", &url], "hello\n").await;
    assert_one_line_error(
        &output,
        &[
            &url,
            "does not take WebSockets over HTTP/2",
            "extended CONNECT",
        ],
    );
    server.shutdown().await;

    let (url, stand_in) = serve_one("ws", "", |stream| async move {
        let answer = hyper::service::service_fn(|_| async {
            Ok::<_, Infallible>(hyper::Response::new(String::new()))
        });
        let io = hyper_util::rt::TokioIo::new(stream);
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(io, answer)
            .await;
    })
    .await;
    let output = run_client("ws-client", &["--http2", &url], "hello\n").await;
    assert_one_line_error(&output, &[&url, "did not answer in HTTP/2"]);
    within(stand_in).await.unwrap();
}
