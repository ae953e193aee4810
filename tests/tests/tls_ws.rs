//! `wss://`: ws-server and ws-client over TLS. The same upgrade and the same
//! frames as `ws://`, inside TLS records, with the certificate checked; and
//! each way a TLS connection can go wrong, named in one line.
//!
//! Run: `cargo test -p tests --test tls_ws`. Beyond the article, which
//! says only that "additional security configurations (WSS) are needed".

use std::sync::Arc;
use std::time::Duration;

use tests::certs::{CertFiles, LOCAL_NAMES};
use tests::{
    InProcessServer, ServerProcess, assert_one_line_error, raw, run_client, start_ws_server_with,
    text, within,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::Connector;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The ALPN protocol a WebSocket upgrade is asked in.
const ALPN: &[&[u8]] = &[b"http/1.1"];

/// An in-process ws-server speaking TLS with `cert`, and its `wss://` URL
/// by the name `localhost`, which the certificate is for.
async fn start_wss_server(
    cert: &CertFiles,
    options: ws_server::Options,
) -> (InProcessServer, String) {
    let tls = cert
        .server_options()
        .load(ALPN)
        .expect("load")
        .expect("TLS");
    let options = ws_server::Options {
        tls: Some(tls),
        ..options
    };
    let server = start_ws_server_with(options).await;
    let url = format!("wss://localhost:{}", server.addr.port());
    (server, url)
}

/// tokio-tungstenite's own TLS client (its rustls connector), trusting
/// `cert`: a second client beside ws-client, so the server is not only
/// checked against our own.
async fn echo_over_tls(url: &str, cert: &CertFiles, text: &str) -> String {
    let config = cert.client_options().client_config(ALPN).expect("config");
    let connector = Connector::Rustls(Arc::clone(&config));
    let (mut ws, _) = within(tokio_tungstenite::connect_async_tls_with_config(
        url,
        None,
        false,
        Some(connector),
    ))
    .await
    .expect("connect over TLS");
    tests::ws::echo(&mut ws, text).await
}

/// `ws-server --self-signed` says where its certificate is, and ws-client
/// trusting it with `--cacert` has the article's exchange over `wss://`;
/// the certificate's file is removed when the server exits.
#[tokio::test]
async fn ws_client_and_server_talk_over_tls_with_a_self_signed_certificate() {
    let program = tests::program("ws-server");
    let args = ["--port", "0", "--self-signed"];
    let mut server = ServerProcess::start_with(
        program.to_str().unwrap(),
        &args,
        "WebSocket server started.",
    )
    .await;
    assert!(server.url.starts_with("wss://127.0.0.1:"), "{}", server.url);
    let line = server.next_line().await.expect("the certificate line");
    let cert = common::tls_certificate_path(&line).expect("a certificate line");
    assert!(line.starts_with("TLS certificate: "), "{line}");
    let pem = std::fs::read_to_string(cert).expect("the certificate file");
    assert!(pem.contains("BEGIN CERTIFICATE"), "{pem}");
    assert!(
        !pem.contains("PRIVATE KEY"),
        "the key stays with the server"
    );

    let output = run_client("ws-client", &["--cacert", cert, &server.url], "hello\n").await;
    assert_eq!(
        text(&output.stdout),
        "Enter a message: Sent message: hello\n\
         Received response: Server Response: hello\n\
         Enter a message: \n"
    );
    assert_eq!(text(&output.stderr), "");
    assert_eq!(
        server.next_line().await.as_deref(),
        Some("Received Message: hello")
    );
    // The file was the server's own: it goes when the server does.
    server.terminate().await;
    let (status, _) = server.exit().await;
    assert!(status.success());
    assert!(!std::path::Path::new(cert).exists(), "{cert} left behind");
}

/// `--verbose` over TLS: what TLS negotiated, then the very same upgrade
/// and frames as over `ws://`, then what the TLS records cost on the socket.
#[tokio::test]
async fn verbose_shows_tls_then_the_same_transcript() {
    let cert = CertFiles::new(LOCAL_NAMES);
    let (server, url) = start_wss_server(&cert, tests::ws_options()).await;
    let cacert = cert.cert.to_str().unwrap();
    let output = run_client(
        "ws-client",
        &["--verbose", "--cacert", cacert, &url],
        "hello\n",
    )
    .await;
    assert!(output.status.success());
    let wire = text(&output.stderr);
    for line in [
        "* TLS version: TLSv1.3",
        "* TLS ALPN protocol: http/1.1",
        "* TLS server certificate subject: CN=localhost",
        "> GET / HTTP/1.1",
        "< HTTP/1.1 101 Switching Protocols",
        "> [frame: text, 5-byte payload, masked, 6-byte header]",
        "< [frame: text, 22-byte payload, not masked, 2-byte header]",
    ] {
        assert!(
            wire.lines().any(|l| l == line),
            "{line:?} missing from:\n{wire}"
        );
    }
    // The socket carried more than what went inside TLS: the handshake and
    // a record header and tag around every message.
    let cost = wire
        .lines()
        .find(|l| l.starts_with("* TLS: "))
        .expect("the cost line");
    let numbers: Vec<u64> = cost
        .split(' ')
        .filter_map(|word| word.parse().ok())
        .collect();
    let [sent, received, inner_sent, inner_received] = numbers[..] else {
        panic!("four numbers in {cost:?}");
    };
    assert!(sent > inner_sent && received > inner_received, "{cost}");
    server.shutdown().await;
}

/// A second client, tokio-tungstenite's own rustls connector, gets the echo.
#[tokio::test]
async fn tokio_tungstenites_tls_client_gets_the_echo() {
    let cert = CertFiles::new(LOCAL_NAMES);
    let (server, url) = start_wss_server(&cert, tests::ws_options()).await;
    assert_eq!(
        echo_over_tls(&url, &cert, "hi").await,
        "Server Response: hi"
    );
    server.shutdown().await;
}

/// Each way a `wss://` connection fails is one line, exit code 1, naming
/// the cause: a certificate nobody trusts, one for another name, one that
/// expired.
#[tokio::test]
async fn ws_client_names_each_certificate_problem() {
    let good = CertFiles::new(LOCAL_NAMES);
    let other = CertFiles::new(&["other.example"]);
    let expired = CertFiles::expired();
    let cases = [
        (&good, false, "is not trusted"),
        (&other, true, "is not valid for localhost"),
        (&expired, true, "expired"),
    ];
    for (cert, trusted, words) in cases {
        let (server, url) = start_wss_server(cert, tests::ws_options()).await;
        let cacert = cert.cert.to_str().unwrap();
        let args: Vec<&str> = if trusted {
            vec!["--cacert", cacert, &url]
        } else {
            vec![&url]
        };
        let output = run_client("ws-client", &args, "hello\n").await;
        assert_one_line_error(&output, &[&url, words]);
        server.shutdown().await;
    }
}

/// `--insecure` connects despite an untrusted certificate, and warns.
#[tokio::test]
async fn insecure_skips_the_check_and_says_so() {
    let cert = CertFiles::new(&["other.example"]);
    let (server, url) = start_wss_server(&cert, tests::ws_options()).await;
    let output = run_client("ws-client", &["--insecure", &url], "hello\n").await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stderr),
        format!("{}\n", common::INSECURE_WARNING)
    );
    assert!(text(&output.stdout).contains("Received response: Server Response: hello"));
    server.shutdown().await;
}

/// The wrong scheme for the port, either way round, is one line naming it:
/// `ws://` to a TLS server, and `wss://` to a plain one.
#[tokio::test]
async fn the_wrong_scheme_is_named() {
    let cert = CertFiles::new(LOCAL_NAMES);
    let (tls_server, url) = start_wss_server(&cert, tests::ws_options()).await;
    let plain_url = url.replacen("wss://", "ws://", 1);
    let output = run_client("ws-client", &[&plain_url], "hello\n").await;
    assert_one_line_error(&output, &[&plain_url, "speaks TLS", "wss://"]);
    tls_server.shutdown().await;

    let plain = tests::start_ws_server().await;
    let url = format!("wss://localhost:{}", plain.addr.port());
    let output = run_client("ws-client", &[&url], "hello\n").await;
    assert_one_line_error(&output, &[&url, "did not answer in TLS"]);
    plain.shutdown().await;
}

/// What meets a TLS port without TLS: a plain HTTP request gets a `400`
/// saying to use TLS; bytes that are neither are dropped; and through it
/// all, a TLS client is served.
#[tokio::test]
async fn a_tls_port_answers_plain_http_and_drops_garbage() {
    let cert = CertFiles::new(LOCAL_NAMES);
    let (server, url) = start_wss_server(&cert, tests::ws_options()).await;
    let answer = raw::exchange(server.addr, raw::UPGRADE.as_bytes()).await;
    assert!(
        answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{answer}"
    );
    assert!(
        answer.ends_with(&format!("{}\n", common::SPEAKS_TLS)),
        "{answer}"
    );
    let answer = raw::exchange(server.addr, b"\x00\x01\x02 not a ClientHello").await;
    assert_eq!(answer, "", "garbage gets no answer");
    assert_eq!(
        echo_over_tls(&url, &cert, "still").await,
        "Server Response: still"
    );
    server.shutdown().await;
}

/// A peer that starts a TLS handshake and stalls is dropped at the
/// handshake deadline: the deadline covers TLS and the upgrade together.
#[tokio::test]
async fn a_stalled_tls_handshake_is_dropped_at_the_deadline() {
    let cert = CertFiles::new(LOCAL_NAMES);
    let options = ws_server::Options {
        handshake_timeout: 1,
        ..tests::ws_options()
    };
    let (server, url) = start_wss_server(&cert, options).await;
    let mut stalled = within(TcpStream::connect(server.addr)).await.unwrap();
    // The first bytes of a TLS record holding a ClientHello (content type
    // 22, version 3.1, a length of 512), and then nothing.
    within(stalled.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00]))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut byte = [0; 1];
    let read = within(stalled.read(&mut byte)).await;
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "closed, not answered: {read:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        echo_over_tls(&url, &cert, "still").await,
        "Server Response: still"
    );
    server.shutdown().await;
}

/// The Origin check works the same inside TLS: another site's page is
/// refused, and a page from the same host is not.
#[tokio::test]
async fn origin_is_checked_inside_tls() {
    let cert = CertFiles::new(LOCAL_NAMES);
    let (server, url) = start_wss_server(&cert, tests::ws_options()).await;
    let config = cert.client_options().client_config(ALPN).expect("config");
    for (origin, allowed) in [
        ("https://evil.example", false),
        ("https://localhost:8000", true),
    ] {
        let mut request = url.as_str().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("Origin", origin.parse().unwrap());
        let connected = within(tokio_tungstenite::connect_async_tls_with_config(
            request,
            None,
            false,
            Some(Connector::Rustls(Arc::clone(&config))),
        ))
        .await;
        match connected {
            Ok((mut ws, _)) => {
                assert!(allowed, "{origin} got through");
                let _ = within(ws.close(None)).await;
            }
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert!(!allowed, "{origin} was refused");
                assert_eq!(response.status(), 403);
            }
            Err(err) => panic!("{origin}: {err}"),
        }
    }
    server.shutdown().await;
}
