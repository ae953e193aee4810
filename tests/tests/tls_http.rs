//! https:// for the article's HTTP pair: http-client and http-server over
//! TLS, in-process and as the real programs; each way a TLS connection can
//! fail, as the one line the user reads; and the server's defences, which
//! must hold during the TLS handshake as they hold for a request head.
//!
//! Certificates are made fresh for each test (`tests::certs`), so nothing
//! depends on the machine's trusted certificates but the one test that
//! expects ours not to be among them.
//!
//! Run: `cargo test -p tests --test tls_http`. Beyond the article, whose
//! programs speak plain text.

use std::time::Duration;

use http_server::Options;
use tests::certs::{CertFiles, LOCAL_NAMES};
use tests::{
    InProcessServer, ServerProcess, TIMEOUT, assert_one_line_error, raw, run_client,
    start_http_server, start_http_server_with, text, within,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The article's two lines, as http-client prints them.
const ARTICLE: &str = "Status Code: 200\nResponse Body: Hello, World! This is an HTTP response.\n";

/// An in-process http-server speaking TLS with `certs`, and `options`'
/// deadlines.
async fn start_https_server(certs: &CertFiles, options: Options) -> InProcessServer {
    let tls = certs.server_options().load(&[b"http/1.1"]).unwrap();
    start_http_server_with(Options { tls, ..options }).await
}

/// `https://` and the in-process server's address.
fn https_url(server: &InProcessServer) -> String {
    format!("https://{}", server.addr)
}

/// The server still serves a client that trusts `certs`: one connection's
/// failure never touched another.
async fn assert_serves_https(server: &InProcessServer, certs: &CertFiles) {
    let url = https_url(server);
    let trust = http_client::Options {
        tls: certs.client_options(),
        ..Default::default()
    };
    let response = within(http_client::fetch(&url, &trust, TIMEOUT, false))
        .await
        .expect("a good TLS client is served");
    assert_eq!(http_client::report(&response), ARTICLE);
}

// --- the pair, over TLS ------------------------------------------------------

/// The libraries: http-client trusts the server's certificate with
/// `--cacert`'s options, and gets the article's answer through TLS.
#[tokio::test]
async fn client_and_server_speak_https_in_process() {
    let certs = CertFiles::new(LOCAL_NAMES);
    let server = start_https_server(&certs, Options::default()).await;
    assert_serves_https(&server, &certs).await;
    server.shutdown().await;
}

/// The real programs: `http-server --self-signed` says https:// in its
/// started line and names its certificate on the next; `http-client
/// --cacert` with that file prints the article's lines, and nothing else.
#[tokio::test]
async fn self_signed_server_and_cacert_client_talk_like_the_article() {
    let program = tests::program("http-server");
    let args = ["--self-signed", "--port", "0"];
    let mut server =
        ServerProcess::start_with(program.to_str().unwrap(), &args, "HTTP server started.").await;
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let line = server.next_line().await.expect("the certificate line");
    let cert = common::tls_certificate_path(&line).expect("a certificate line");
    assert_eq!(
        line,
        format!("TLS certificate: {cert} (trust it with --cacert {cert})")
    );

    let output = run_client("http-client", &["--cacert", cert, &server.url], "").await;
    assert_eq!(text(&output.stdout), ARTICLE);
    assert_eq!(text(&output.stderr), "");
    assert!(output.status.success());
}

/// The three feed modes share the client's connection, and so work over
/// TLS too: each follows two ticks of a real server's fast feed.
#[tokio::test]
async fn the_feed_modes_work_over_https() {
    let program = tests::program("http-server");
    let args = ["--self-signed", "--port", "0", "--tick-interval", "0.05"];
    let mut server =
        ServerProcess::start_with(program.to_str().unwrap(), &args, "HTTP server started.").await;
    let line = server.next_line().await.expect("the certificate line");
    let cert = common::tls_certificate_path(&line)
        .expect("a certificate line")
        .to_string();
    for (path, more) in [
        ("/tick/latest", &["--interval", "0.05"][..]),
        ("/tick/next", &[]),
        ("/tick/stream", &[]),
    ] {
        let url = format!("{}{path}", server.url);
        let mut args = vec!["--cacert", &cert, &url, "--count", "2"];
        args.extend(more);
        let output = run_client("http-client", &args, "").await;
        let stdout = text(&output.stdout);
        assert!(output.status.success(), "{path}: {}", text(&output.stderr));
        let ticks = stdout
            .lines()
            .filter(|line| line.starts_with("tick "))
            .count();
        assert_eq!(ticks, 2, "{path}: {stdout}");
        assert!(stdout.contains(", 1 connection, "), "{path}: {stdout}");
    }
}

/// `--verbose` at https:// shows what the handshake agreed, then the HTTP
/// transcript in plain text (so it is watched above TLS), then the bytes on
/// the socket beside the bytes of HTTP inside, which must be more (so they
/// are counted below TLS, records and handshake included).
#[tokio::test]
async fn verbose_shows_the_handshake_the_transcript_and_the_cost_of_tls() {
    let certs = CertFiles::new(LOCAL_NAMES);
    let server = start_https_server(&certs, Options::default()).await;
    let cert = certs.cert.to_str().unwrap();
    let url = https_url(&server);
    let output = run_client("http-client", &["--verbose", "--cacert", cert, &url], "").await;
    assert_eq!(text(&output.stdout), ARTICLE);
    let stderr = text(&output.stderr);
    for line in [
        "* TLS version: TLSv1.3",
        "* TLS ALPN protocol: http/1.1",
        "* TLS server certificate subject: CN=localhost",
        "> GET / HTTP/1.1",
        "< HTTP/1.1 200 OK",
        "< Hello, World! This is an HTTP response.",
    ] {
        assert!(
            stderr.lines().any(|l| l == line),
            "{line:?} missing from {stderr}"
        );
    }
    let bytes = stderr.lines().last().expect("a last line");
    let numbers: Vec<u64> = bytes
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|word| word.parse().ok())
        .collect();
    assert!(
        bytes.starts_with("* TLS: ") && bytes.ends_with(" of HTTP inside"),
        "{bytes}"
    );
    let [socket_sent, socket_received, http_sent, http_received] = numbers[..] else {
        panic!("four numbers in {bytes:?}");
    };
    assert!(http_sent > 0 && http_received > 0, "{bytes}");
    assert!(
        socket_sent > http_sent && socket_received > http_received,
        "{bytes}"
    );
    server.shutdown().await;
}

// --- what the user reads when TLS fails ----------------------------------

/// A certificate nobody told the client to trust: the error says how to.
#[tokio::test]
async fn an_untrusted_certificate_is_one_line() {
    let certs = CertFiles::new(LOCAL_NAMES);
    let server = start_https_server(&certs, Options::default()).await;
    let url = https_url(&server);
    let output = run_client("http-client", &[&url], "").await;
    assert_one_line_error(&output, &[&url, "not trusted", "--cacert"]);
    server.shutdown().await;
}

/// `--insecure` reaches the same server, and says on standard error, once,
/// that nothing was checked.
#[tokio::test]
async fn insecure_skips_the_check_and_warns() {
    let certs = CertFiles::new(LOCAL_NAMES);
    let server = start_https_server(&certs, Options::default()).await;
    let output = run_client("http-client", &["--insecure", &https_url(&server)], "").await;
    assert_eq!(text(&output.stdout), ARTICLE);
    assert_eq!(
        text(&output.stderr),
        format!("{}\n", common::INSECURE_WARNING)
    );
    assert!(output.status.success());
    server.shutdown().await;
}

/// A trusted certificate for another name: the error names both.
#[tokio::test]
async fn a_certificate_for_another_name_is_one_line() {
    let certs = CertFiles::new(&["other.example"]);
    let server = start_https_server(&certs, Options::default()).await;
    let url = https_url(&server);
    let cert = certs.cert.to_str().unwrap();
    let output = run_client("http-client", &["--cacert", cert, &url], "").await;
    assert_one_line_error(&output, &[&url, "not valid for 127.0.0.1", "other.example"]);
    server.shutdown().await;
}

/// A trusted certificate whose time is over.
#[tokio::test]
async fn an_expired_certificate_is_one_line() {
    let certs = CertFiles::expired();
    let server = start_https_server(&certs, Options::default()).await;
    let url = https_url(&server);
    let cert = certs.cert.to_str().unwrap();
    let output = run_client("http-client", &["--cacert", cert, &url], "").await;
    assert_one_line_error(&output, &[&url, "certificate expired"]);
    server.shutdown().await;
}

/// A TLS server reached at http://: its `400` saying so becomes the
/// client's error, in the article's mode and in a feed mode alike, instead
/// of a printed `Status Code: 400`.
#[tokio::test]
async fn a_tls_server_at_http_says_use_https() {
    let certs = CertFiles::new(LOCAL_NAMES);
    let server = start_https_server(&certs, Options::default()).await;
    for path in ["/", "/tick/stream"] {
        let url = format!("{}{path}", server.http_url());
        let output = run_client("http-client", &[&url], "").await;
        assert_one_line_error(
            &output,
            &[&format!("{url} speaks TLS on this port: use https://")],
        );
    }
    server.shutdown().await;
}

/// A plain server reached at https:// answers the ClientHello with a plain
/// `400`, which is not TLS.
#[tokio::test]
async fn a_plain_server_at_https_did_not_answer_in_tls() {
    let server = start_http_server().await;
    let url = format!("https://{}", server.addr);
    let output = run_client("http-client", &[&url], "").await;
    assert_one_line_error(&output, &[&url, "did not answer in TLS"]);
    server.shutdown().await;
}

// --- the server's defences over TLS --------------------------------------

/// Plain HTTP sent to the TLS port is answered `400 Bad Request` with the
/// sentence saying to use https://; then a TLS client is served.
#[tokio::test]
async fn plain_http_at_the_tls_port_gets_400() {
    let certs = CertFiles::new(LOCAL_NAMES);
    let server = start_https_server(&certs, Options::default()).await;
    let answer = raw::exchange(server.addr, b"GET / HTTP/1.1\r\nHost: test\r\n\r\n").await;
    assert!(
        answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{answer}"
    );
    assert!(
        answer.ends_with(&format!("\r\n\r\n{}\n", common::SPEAKS_TLS)),
        "{answer}"
    );
    assert_serves_https(&server, &certs).await;
    server.shutdown().await;
}

/// Bytes that are neither a ClientHello nor HTTP get no answer at all: the
/// connection is closed. Then a TLS client is served.
#[tokio::test]
async fn garbage_at_the_tls_port_is_dropped() {
    let certs = CertFiles::new(LOCAL_NAMES);
    let server = start_https_server(&certs, Options::default()).await;
    let answer = raw::exchange(server.addr, b"\x00\xff\x13 not a hello\r\n\r\n").await;
    assert_eq!(answer, "", "no answer");
    assert_serves_https(&server, &certs).await;
    server.shutdown().await;
}

/// A peer that sends the start of a ClientHello and stalls, and one that
/// sends nothing, hold up no one: while they wait, a TLS client is served
/// (the handshakes run in the connections' tasks, not the accept loop). And
/// they are both dropped when the header deadline (5 s here) passes, not
/// before.
///
/// The good client is served on the real clock, long before the deadline
/// (an accept loop that waited for the stalled handshakes would take it
/// twice over). The clock is paused only after that, when both peers have
/// connected and written and only timers are left, so it cannot race the
/// sockets, and the deadline takes no real time.
#[tokio::test]
async fn a_stalled_handshake_holds_up_no_one_and_is_dropped_at_the_deadline() {
    let certs = CertFiles::new(LOCAL_NAMES);
    let deadline = Duration::from_secs(5);
    let options = Options {
        header_timeout: deadline.as_secs(),
        ..Options::default()
    };
    let server = start_https_server(&certs, options).await;
    let before = tokio::time::Instant::now();
    let mut stalled = within(TcpStream::connect(server.addr)).await.unwrap();
    // A handshake record's header announcing 200 bytes, then only the
    // first byte of them (1: ClientHello).
    within(stalled.write_all(&[0x16, 0x03, 0x01, 0x00, 0xc8, 0x01]))
        .await
        .unwrap();
    let mut silent = within(TcpStream::connect(server.addr)).await.unwrap();
    assert_serves_https(&server, &certs).await;
    assert!(
        before.elapsed() < deadline,
        "served only after the deadline"
    );

    tokio::time::pause();
    for peer in [&mut stalled, &mut silent] {
        let mut answer = Vec::new();
        // A close or a reset: either way, dropped.
        let _ = within(peer.read_to_end(&mut answer)).await;
        assert!(answer.is_empty(), "no answer: {answer:?}");
    }
    assert!(before.elapsed() >= deadline, "dropped too early");
    tokio::time::resume();
    server.shutdown().await;
}
