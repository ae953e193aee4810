//! Real TLS handshakes on the loopback interface, one for each way a
//! connection can succeed or fail, checking the sentence a user would read.

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

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
/// and `--tls-key` would.
fn server_with(cert_pem: &str, key_pem: &str) -> ServerTls {
    let options = ServerTlsOptions {
        tls_cert: Some(temp_file(cert_pem)),
        tls_key: Some(temp_file(key_pem)),
        self_signed: false,
    };
    options.load(HTTP1).unwrap().unwrap()
}

/// A server as `--self-signed` makes it.
fn self_signed_server() -> ServerTls {
    let options = ServerTlsOptions {
        self_signed: true,
        ..Default::default()
    };
    options.load(HTTP1).unwrap().unwrap()
}

/// A client config trusting only `server`'s certificate, as `--cacert` does.
fn trusting(server: &ServerTls) -> Arc<rustls::ClientConfig> {
    let options = ClientTlsOptions {
        cacert: Some(server.certificate_path().to_path_buf()),
        insecure: false,
    };
    options.client_config(HTTP1).unwrap()
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

/// Starts `server` on a free port, accepting one connection with [`accept`].
async fn start(server: ServerTls) -> u16 {
    listen(|stream| async move {
        if let Ok(Accepted::Tls(mut stream)) = accept(&server, stream).await {
            // Hold the connection until the client closes it.
            let _ = stream.read(&mut [0; 1]).await;
        }
    })
    .await
}

/// Connects to `port` on the loopback interface as `host`, with `config`:
/// the handshake's result, or its error as one line.
async fn handshake(
    port: u16,
    host: &str,
    config: Arc<rustls::ClientConfig>,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let url = format!("https://{host}:{port}");
    connect(stream, host, config, &url)
        .await
        .map_err(|err| format!("{err:#}"))
}

/// With `--cacert` naming the self-signed server's file, the handshake
/// succeeds, and `--verbose`'s lines show what was agreed and with whom.
#[tokio::test]
async fn a_trusted_self_signed_server_is_reached() {
    within(async {
        let server = self_signed_server();
        for host in ["localhost", "127.0.0.1"] {
            let port = start(server.clone()).await;
            let stream = handshake(port, host, trusting(&server)).await.unwrap();
            let lines = describe(stream.get_ref().1);
            assert_eq!(lines[0], "* TLS version: TLSv1.3");
            assert!(
                lines[1].starts_with("* TLS cipher suite: TLS13_"),
                "{lines:?}"
            );
            assert_eq!(lines[2], "* TLS ALPN protocol: http/1.1");
            assert_eq!(lines[3], "* TLS server certificate subject: CN=localhost");
            assert_eq!(lines[4], "* TLS server certificate issuer: CN=localhost");
            assert!(lines[5].starts_with("* TLS server certificate valid from: "));
            assert!(lines[6].starts_with("* TLS server certificate valid until: "));
        }
    })
    .await;
}

/// With the system's roots only, a self-signed certificate is not trusted,
/// and the error says both ways out.
#[tokio::test]
async fn an_untrusted_certificate_says_how_to_trust_it() {
    within(async {
        let port = start(self_signed_server()).await;
        let system = ClientTlsOptions::default().client_config(HTTP1).unwrap();
        let err = handshake(port, "localhost", system).await.unwrap_err();
        assert_eq!(
            err,
            format!(
                "https://localhost:{port}: the server's certificate is not trusted \
                 (no trusted certificate issued it); trust it with --cacert FILE, \
                 or skip the check with --insecure"
            )
        );
    })
    .await;
}

/// Trusting another server's certificate of the same name (an old
/// `--self-signed` file, say) is refused the same way: it did not sign this one.
#[tokio::test]
async fn another_certificate_of_the_same_name_is_not_trusted() {
    within(async {
        let port = start(self_signed_server()).await;
        let old = trusting(&self_signed_server());
        let err = handshake(port, "localhost", old).await.unwrap_err();
        assert!(
            err.contains("the server's certificate is not trusted"),
            "{err}"
        );
    })
    .await;
}

/// `--insecure` reaches a server whose certificate nobody trusts.
#[tokio::test]
async fn insecure_skips_the_check() {
    within(async {
        let port = start(self_signed_server()).await;
        let options = ClientTlsOptions {
            cacert: None,
            insecure: true,
        };
        let config = options.client_config(HTTP1).unwrap();
        handshake(port, "localhost", config).await.unwrap();
    })
    .await;
}

/// A certificate for another name is refused, naming the host asked for.
#[tokio::test]
async fn a_certificate_for_another_name_is_refused() {
    within(async {
        let (cert, key) = self_signed(&["example.test"]).unwrap();
        let server = server_with(&cert, &key);
        let port = start(server.clone()).await;
        let err = handshake(port, "localhost", trusting(&server))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            format!(
                "https://localhost:{port}: the server's certificate is not valid for localhost \
                 (it names DnsName(\"example.test\"))"
            )
        );
    })
    .await;
}

/// An expired certificate is refused, with the day it expired.
#[tokio::test]
async fn an_expired_certificate_is_refused() {
    within(async {
        const DAY: Duration = Duration::from_secs(24 * 60 * 60);
        let now = SystemTime::now();
        let (cert, key) = self_signed_valid(&["localhost"], now - 30 * DAY, now - DAY).unwrap();
        let server = server_with(&cert, &key);
        let port = start(server.clone()).await;
        let err = handshake(port, "localhost", trusting(&server))
            .await
            .unwrap_err();
        assert!(
            err.starts_with(&format!(
                "https://localhost:{port}: the server's certificate expired on "
            )),
            "{err}"
        );
    })
    .await;
}

/// A plain HTTP server answers the ClientHello with `400 Bad Request`,
/// which is not TLS, and the error says which mistake that suggests.
#[tokio::test]
async fn a_plain_server_did_not_answer_in_tls() {
    within(async {
        let port = listen(|mut stream| async move {
            let _ = stream.read(&mut [0; 1024]).await;
            let answer = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
            let _ = stream.write_all(answer.as_bytes()).await;
        })
        .await;
        let config = trusting(&self_signed_server());
        let err = handshake(port, "localhost", config).await.unwrap_err();
        assert_eq!(
            err,
            format!(
                "https://localhost:{port} did not answer in TLS: \
                 is it a plain http:// (or ws://) server?"
            )
        );
    })
    .await;
}

/// A server that closes without a word is said to have closed the connection.
#[tokio::test]
async fn a_server_that_closes_during_the_handshake() {
    within(async {
        let port = listen(|mut stream| async move {
            let _ = stream.read(&mut [0; 1024]).await;
        })
        .await;
        let config = trusting(&self_signed_server());
        let err = handshake(port, "localhost", config).await.unwrap_err();
        assert_eq!(
            err,
            format!("https://localhost:{port} closed the connection during the TLS handshake")
        );
    })
    .await;
}

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

/// Mistakes in `--tls-cert`, `--tls-key` and `--cacert` are one line naming the file.
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
    let cacert = ClientTlsOptions {
        cacert: Some(key.clone()),
        insecure: false,
    };
    let err = cacert.client_config(HTTP1).err().unwrap();
    assert_eq!(format!("{err:#}"), format!("{k} holds no certificate"));
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
