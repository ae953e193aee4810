//! Real connections on the loopback interface, one for each way a
//! connection can succeed or fail, checking what a user would read.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;

/// The ALPN protocol both ends offer in these tests, as the programs do.
const HTTP1: &[&[u8]] = &[b"http/1.1"];

/// Awaits `work`, failing the test if it takes more than 15 seconds.
async fn within<T>(work: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(15), work)
        .await
        .expect("took more than 15 s")
}

/// Writes `text` to a new file in the temporary folder.
fn temp_file(text: &str) -> PathBuf {
    let path = server::temp_pem_path();
    std::fs::write(&path, text).unwrap();
    path
}

/// A server with this certificate and key, read from files as `--tls-cert`
/// A server as `--self-signed` makes it.
fn self_signed_server() -> ServerTls {
    let options = ServerTlsOptions {
        self_signed: true,
        ..Default::default()
    };
    options.load(HTTP1).unwrap().unwrap()
}

/// Listens on a free loopback port and hands its first connection to `serve`.
async fn listen<F>(serve: impl FnOnce(TcpStream) -> F + Send + 'static) -> u16
where
    F: Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        serve(stream).await;
    });
    port
}

/// Connects to `port` on the loopback interface as `host`, with `config`:
/// With `--cacert` naming the self-signed server's file, the handshake
/// With the system's roots only, a self-signed certificate is not trusted,
/// Trusting another server's certificate of the same name (an old
/// A plain HTTP server answers the ClientHello with `400 Bad Request`,
/// A plain HTTP request at a TLS port gets a readable 400 that says to use
/// https://, and `accept` reports the connection refused.
#[tokio::test]
async fn plain_http_at_a_tls_port_is_told_to_use_https() {
    within(async {
        let server = self_signed_server();
        let (done, accepted) = tokio::sync::oneshot::channel();
        let port = listen(move |stream| async move {
            let refused = matches!(accept(&server, stream).await, Ok(Accepted::Refused));
            done.send(refused).unwrap();
        })
        .await;
        let mut client = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        client
            .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        client.read_to_string(&mut answer).await.unwrap();
        let body = format!("{}\n", crate::SPEAKS_TLS);
        assert_eq!(
            answer,
            format!(
                "HTTP/1.1 400 Bad Request\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\
                 Content-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            )
        );
        assert!(accepted.await.unwrap());
    })
    .await;
}

/// Bytes that are neither TLS nor HTTP, and a client that closes before
/// sending any, are refused without an answer.
#[tokio::test]
async fn garbage_and_silence_are_refused() {
    within(async {
        for first_bytes in [&b"\x00\x01\x02"[..], b""] {
            let server = self_signed_server();
            let (done, accepted) = tokio::sync::oneshot::channel();
            let port = listen(move |stream| async move {
                let refused = matches!(accept(&server, stream).await, Ok(Accepted::Refused));
                done.send(refused).unwrap();
            })
            .await;
            let mut client = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            client.write_all(first_bytes).await.unwrap();
            client.shutdown().await.unwrap();
            // Dropping a socket with the garbage still unread resets the
            // connection; either way, no answer comes back.
            let mut answer = Vec::new();
            let _ = client.read_to_end(&mut answer).await;
            assert!(answer.is_empty());
            assert!(accepted.await.unwrap());
        }
    })
    .await;
}

/// `--self-signed` writes the certificate, never the key, to a new file at
/// each call, and the line it prints names that file.
#[test]
fn self_signed_writes_only_the_certificate() {
    let (first, second) = (self_signed_server(), self_signed_server());
    assert_ne!(first.certificate_path(), second.certificate_path());
    let written = std::fs::read_to_string(first.certificate_path()).unwrap();
    assert!(written.starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(!written.contains("PRIVATE KEY"));
    let line = first.certificate_line();
    let path = first.certificate_path().display().to_string();
    assert_eq!(crate::tls_certificate_path(&line), Some(path.as_str()));
}

/// Mistakes in `--tls-cert` and `--tls-key` are one line naming the file.
#[test]
fn bad_certificate_files_are_named() {
    let (cert, key) = self_signed(&["localhost"]).unwrap();
    let (_, other_key) = self_signed(&["localhost"]).unwrap();
    let load = |cert: &PathBuf, key: &PathBuf| {
        let options = ServerTlsOptions {
            tls_cert: Some(cert.clone()),
            tls_key: Some(key.clone()),
            self_signed: false,
        };
        format!("{:#}", options.load(HTTP1).err().unwrap())
    };
    let (cert, key, other_key) = (temp_file(&cert), temp_file(&key), temp_file(&other_key));
    let missing = PathBuf::from("/no/such/cert.pem");
    let (c, k, o) = (cert.display(), key.display(), other_key.display());

    assert_eq!(
        load(&missing, &key),
        "could not read the TLS certificate from /no/such/cert.pem: \
         No such file or directory (os error 2)"
    );
    assert_eq!(load(&key, &key), format!("{k} holds no certificate"));
    assert_eq!(load(&cert, &cert), format!("{c} holds no private key"));
    assert_eq!(
        load(&cert, &other_key),
        format!("the key in {o} does not match the certificate in {c}")
    );
    assert!(ServerTlsOptions::default().load(HTTP1).unwrap().is_none());
}

/// The flags' rules: a certificate needs its key, and `--self-signed`
/// stands alone.
#[test]
fn server_flags_go_together_or_alone() {
    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        tls: ServerTlsOptions,
    }
    let parse = |args: &[&str]| Flags::try_parse_from([&["server"], args].concat());
    assert!(parse(&["--tls-cert", "c.pem", "--tls-key", "k.pem"]).is_ok());
    assert!(parse(&["--self-signed"]).is_ok());
    assert!(parse(&["--tls-cert", "c.pem"]).is_err());
    assert!(parse(&["--tls-key", "k.pem"]).is_err());
    assert!(parse(&["--self-signed", "--tls-cert", "c.pem", "--tls-key", "k.pem"]).is_err());
}
