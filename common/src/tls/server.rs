//! The servers' half of TLS: the flags that give a server its certificate,
//! and [`accept`], which runs the TLS handshake on a new connection, or
//! tells a client that spoke plain HTTP to use https:// instead.
//!
//! Both servers use it (`cargo run -p http-server -- --self-signed`, then
//! `curl --cacert FILE https://localhost:8000`); `cargo test -p common tls`
//! runs it. Beyond the article, whose servers speak plain text.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, anyhow, bail};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::SPEAKS_TLS;

/// The flags that turn a server's `http://` into `https://` (or `ws://`
/// into `wss://`); with none of them, it speaks plain text as in the article.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ServerTlsOptions {
    /// Speak TLS, with the certificate chain in this PEM file (needs --tls-key)
    ///
    /// The server's own certificate comes first, then any intermediate
    /// certificates of the authority that issued it.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The private key of --tls-cert's certificate, in a PEM file
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Speak TLS, with a certificate for localhost, 127.0.0.1 and ::1 generated at start
    ///
    /// The certificate (never the key) is written to a file in the system's
    /// temporary folder, whose path the server prints: give it to a client's
    /// --cacert (or to curl's) to trust this server.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    pub self_signed: bool,
}

impl ServerTlsOptions {
    /// The server's TLS, or `None` if no TLS flag was given and the server
    /// speaks plain text.
    ///
    /// `alpn` lists the application protocols the server speaks, most
    /// preferred first. A client's ClientHello may list the ones it speaks
    /// (ALPN, RFC 7301); the server picks one and says so in its answer.
    /// Both servers here pass `&[b"h2", b"http/1.1"]`: HTTP/2 to a client
    /// that offers it (browsers do), HTTP/1.1 to one that does not.
    pub fn load(&self, alpn: &[&[u8]]) -> anyhow::Result<Option<ServerTls>> {
        if self.self_signed {
            return ServerTls::self_signed(alpn).map(Some);
        }
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => ServerTls::from_files(cert, key, alpn).map(Some),
            (None, None) => Ok(None),
            // clap refuses one without the other; this is for a caller
            // that fills the fields itself.
            _ => bail!("--tls-cert and --tls-key go together: give both, or neither"),
        }
    }
}

/// A server's TLS, ready to accept connections: its certificate and key,
/// and where the certificate can be found. Cloning it is cheap (the config
/// inside is shared), so each connection task can have its own.
#[derive(Clone)]
pub struct ServerTls {
    acceptor: TlsAcceptor,
    /// The file holding the certificate, for the line that tells a reader
    /// how to trust it.
    certificate_path: PathBuf,
    /// Whether that file is ours, written for `--self-signed`.
    written: bool,
}

/// Shows where the certificate is; the key and config stay out of logs.
impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("certificate_path", &self.certificate_path)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// TLS with a certificate chain and key read from PEM files.
    fn from_files(cert_path: &Path, key_path: &Path, alpn: &[&[u8]]) -> anyhow::Result<Self> {
        let chain = super::read_certificates(cert_path)?;
        let key = PrivateKeyDer::from_pem_file(key_path)
            .map_err(|err| super::pem_error("private key", key_path, err))?;
        let config = server_config(chain, key, alpn).map_err(|err| match err {
            rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                anyhow!(
                    "the key in {} does not match the certificate in {}",
                    key_path.display(),
                    cert_path.display()
                )
            }
            err => anyhow!("could not use the key in {}: {err}", key_path.display()),
        })?;
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            certificate_path: cert_path.to_path_buf(),
            written: false,
        })
    }

    /// TLS with a new self-signed certificate for the loopback names, whose
    /// PEM is written to a new file in the temporary folder. The key stays
    /// in memory: it never touches the disk, and dies with the server.
    fn self_signed(alpn: &[&[u8]]) -> anyhow::Result<Self> {
        let (cert_pem, key_pem) = super::self_signed(&["localhost", "127.0.0.1", "::1"])?;
        let certificate_path = temp_pem_path();
        // A new file only (`create_new`): in a temporary folder others can
        // write to, a link planted under this name must not make us
        // overwrite the file it points to.
        let written = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&certificate_path)
            .and_then(|mut file| io::Write::write_all(&mut file, cert_pem.as_bytes()));
        written.with_context(|| {
            format!(
                "could not write the self-signed certificate to {}",
                certificate_path.display()
            )
        })?;
        let chain = vec![CertificateDer::from_pem_slice(cert_pem.as_bytes())?];
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())?;
        let config = server_config(chain, key, alpn)?;
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            certificate_path,
            written: true,
        })
    }

    /// The file holding the certificate: the `--tls-cert` file, or the one
    /// `--self-signed` wrote.
    pub fn certificate_path(&self) -> &Path {
        &self.certificate_path
    }

    /// The line a server prints after its started line: "TLS certificate:
    /// PATH (trust it with --cacert PATH)".
    pub fn certificate_line(&self) -> String {
        crate::tls_certificate_line(&self.certificate_path)
    }

    /// Removes the certificate file `--self-signed` wrote, once the server
    /// is done with it (a `--tls-cert` file is the user's, and stays).
    pub fn remove_written_certificate(&self) {
        if self.written {
            let _ = fs::remove_file(&self.certificate_path);
        }
    }

    /// What runs the TLS handshake, for a caller that does not need
    /// [`accept`]'s answer to plain HTTP.
    pub fn acceptor(&self) -> TlsAcceptor {
        self.acceptor.clone()
    }
}

/// A server config with the ring provider, TLS 1.2 and 1.3, no client
/// certificates, one certificate chain and key, and `alpn`'s protocols.
fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    alpn: &[&[u8]],
) -> Result<ServerConfig, rustls::Error> {
    // `with_single_cert` also checks that the key belongs to the first
    // certificate, so a mixed-up pair of files fails here, at start, rather
    // than at every client's handshake.
    let mut config = ServerConfig::builder_with_provider(super::provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
    Ok(config)
}

/// A new path in the system's temporary folder, `http-vs-websocket-PID-N.pem`,
/// different at each call: two servers in one process (as in the tests)
/// never share a file.
pub(super) fn temp_pem_path() -> PathBuf {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let name = format!("http-vs-websocket-{}-{call}.pem", std::process::id());
    std::env::temp_dir().join(name)
}

/// What became of a connection handed to [`accept`].
///
/// A TLS stream holds rustls's connection state, about a kilobyte; an
/// `Accepted` is made once per connection and unpacked at once, so it is
/// not worth a box (clippy's worry is enums copied around often).
#[expect(
    clippy::large_enum_variant,
    reason = "made once per connection and unpacked at once"
)]
pub enum Accepted {
    /// The TLS handshake is done: read and write plain HTTP through this
    /// stream, which encrypts and decrypts on the way.
    Tls(TlsStream<TcpStream>),
    /// The client spoke plain HTTP (and was told to use https://), sent
    /// something that is neither, or closed before saying anything. The
    /// connection is closed; there is nothing more to do.
    Refused,
}

/// How much of a plain HTTP request head [`accept`] reads before answering.
const MAX_PLAIN_HEAD: u64 = 8 * 1024;

/// Starts TLS on a new connection: looks at its first byte, without taking
/// it, to tell a TLS client from a plain HTTP one, then runs the handshake
/// or refuses.
///
/// There is no deadline inside: wrap the whole call in the server's
/// handshake deadline, so that a client that starts a handshake (or a
/// request) and then stalls is dropped.
pub async fn accept(tls: &ServerTls, stream: TcpStream) -> io::Result<Accepted> {
    // Every TLS connection opens with a record carrying the client's
    // ClientHello. A record's 5-byte header is:
    //
    //   byte 0      content type: 22 (0x16) for a handshake message
    //   bytes 1-2   a version, 0x03 0x01 (kept at TLS 1.0 for old middleboxes;
    //               the real version is agreed inside the hello)
    //   bytes 3-4   the length of the message that follows
    //
    // A plain HTTP request opens with its method in capital letters, the `G`
    // of `GET /`. `peek` copies the first byte without taking it off the
    // socket, so rustls still reads the record from its start.
    let mut first = [0; 1];
    if stream.peek(&mut first).await? == 0 {
        // Closed before sending anything.
        return Ok(Accepted::Refused);
    }
    match first[0] {
        0x16 => {
            // The ClientHello holds the client's key share, so the server
            // can answer in one flight: its ServerHello, then (encrypted
            // already) its certificate, a signature proving it holds the
            // key, and Finished. The client checks them and sends its own
            // Finished, with its first HTTP request right behind it: TLS 1.3
            // costs one round trip before the request (TLS 1.2 cost two).
            let stream = tls.acceptor.accept(stream).await?;
            Ok(Accepted::Tls(stream))
        }
        byte if byte.is_ascii_alphabetic() => {
            refuse_plain_http(stream).await?;
            Ok(Accepted::Refused)
        }
        // Neither TLS nor HTTP: there is no one to explain anything to.
        _ => Ok(Accepted::Refused),
    }
}

/// Answers a plain HTTP request at this TLS port with `400 Bad Request` and
/// a sentence saying to use https://, as nginx does, then closes.
async fn refuse_plain_http(mut stream: TcpStream) -> io::Result<()> {
    // Read the request head first, up to the blank line that ends it (or a
    // bounded amount). Closing a socket that still has unread bytes makes
    // the kernel send a reset (RST) instead of a normal close (FIN), and a
    // reset can destroy our answer before the client has read it.
    let mut head = BufReader::new((&mut stream).take(MAX_PLAIN_HEAD));
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = head.read_until(b'\n', &mut line).await?;
        if read == 0 || line == b"\r\n" || line == b"\n" {
            break;
        }
    }
    let body = format!("{SPEAKS_TLS}\n");
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Connection: close\r\n\
         \r\n\
         {body}",
        body.len()
    );
    stream.write_all(answer.as_bytes()).await?;
    stream.shutdown().await
}
