//! The clients' half of TLS: the flags that say which servers to trust, and
//! [`connect`], which runs the TLS handshake on a connection and turns each
//! way it can fail into one sentence that says what to do.
//!
//! Both clients use it (`cargo run -p http-client -- --cacert FILE
//! https://localhost:8000`); `cargo test -p common tls` runs it. Beyond the
//! article, whose clients speak plain text.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// The flags that say which servers a client trusts at an `https://` or
/// `wss://` URL; with neither, it trusts what the system trusts.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ClientTlsOptions {
    /// Trust the certificate (or certificate authority) in this PEM file instead of the system's, as curl's --cacert
    ///
    /// Give it the file a server started with --self-signed prints.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Do not check the server's certificate: anyone can pretend to be the server (curl's --insecure)
    ///
    /// The connection is still encrypted, but to whoever answered.
    #[arg(long, conflicts_with = "cacert")]
    pub insecure: bool,
}

impl ClientTlsOptions {
    /// What a client dialing `uri` needs: `None` for `http://` and `ws://`,
    /// the config for `https://` and `wss://` (with the warning on standard
    /// error that `--insecure` owes its user). Made before dialing, so that
    /// a bad `--cacert` file is reported before anything is sent.
    pub fn config_for(
        &self,
        uri: &http::Uri,
        alpn: &[&[u8]],
    ) -> anyhow::Result<Option<Arc<ClientConfig>>> {
        if !crate::url::is_tls(uri) {
            return Ok(None);
        }
        if self.insecure {
            eprintln!("{}", crate::INSECURE_WARNING);
        }
        self.client_config(alpn).map(Some)
    }

    /// The client config these flags ask for, with `alpn`'s application
    /// protocols offered in the ClientHello (`&[b"http/1.1"]` for both
    /// clients here).
    ///
    /// An empty or unreadable system store is not an error here: the
    /// handshake will then say that the server's certificate is not trusted,
    /// and how to trust it.
    pub fn client_config(&self, alpn: &[&[u8]]) -> anyhow::Result<Arc<ClientConfig>> {
        let provider = super::provider();
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?;
        let builder = if self.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        } else {
            builder.with_root_certificates(self.roots()?)
        };
        let mut config = builder.with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
        Ok(Arc::new(config))
    }

    /// The certificates a server's certificate must lead back to: the
    /// `--cacert` file's, or the system's.
    fn roots(&self) -> anyhow::Result<RootCertStore> {
        let mut roots = RootCertStore::empty();
        let Some(cacert) = &self.cacert else {
            // On Linux, the bundle the ca-certificates package keeps (or
            // the file named by SSL_CERT_FILE). A certificate the store
            // cannot use is skipped, as curl does.
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            return Ok(roots);
        };
        let certificates = super::read_certificates(cacert)?;
        for certificate in certificates {
            roots.add(certificate).with_context(|| {
                format!(
                    "{} holds a certificate that cannot be trusted",
                    cacert.display()
                )
            })?;
        }
        Ok(roots)
    }
}

/// Runs the TLS handshake as a client on `stream` (a TCP connection to
/// `host`, already open) and returns the stream to read and write plain HTTP
/// through. `host` is the URL's host: a DNS name, or an IP address without
/// brackets. `url` is only for the error.
///
/// A failed handshake becomes one line naming `url` and the cause: a
/// certificate that is not trusted, is for another name, or has expired; a
/// server that does not speak TLS; a server that closed the connection.
pub async fn connect<S>(
    stream: S,
    host: &str,
    config: Arc<ClientConfig>,
    url: &str,
) -> anyhow::Result<TlsStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // The name goes into the ClientHello (the SNI extension, for a DNS
    // name), so that one address can serve many sites, and it is the name
    // the server's certificate must carry.
    let name = ServerName::try_from(host.to_string())
        .map_err(|_| anyhow!("{url}: {host:?} is not a host name TLS can check"))?;
    TlsConnector::from(config)
        .connect(name, stream)
        .await
        .map_err(|err| handshake_error(&err, host, url))
}

/// One line saying why a handshake with `url` failed.
fn handshake_error(err: &io::Error, host: &str, url: &str) -> anyhow::Error {
    if matches!(
        err.kind(),
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
    ) {
        return anyhow!("{url} closed the connection during the TLS handshake");
    }
    // tokio-rustls hands rustls's own error inside the io::Error.
    let Some(tls) = err.get_ref().and_then(|inner| inner.downcast_ref()) else {
        return anyhow!("{url}: the TLS handshake failed: {err}");
    };
    match tls {
        rustls::Error::InvalidCertificate(problem) => certificate_error(problem, host, url),
        // What came back was not TLS records: the first bytes of a plain
        // HTTP answer (`HTTP/1.1 400`) read as a record header are an
        // unknown content type, a wrong version, or an absurd length.
        rustls::Error::InvalidMessage(_)
        | rustls::Error::InappropriateMessage { .. }
        | rustls::Error::InappropriateHandshakeMessage { .. }
        | rustls::Error::PeerSentOversizedRecord => {
            anyhow!("{url} did not answer in TLS: is it a plain http:// (or ws://) server?")
        }
        // ALPN: the server speaks none of the protocols we offered.
        rustls::Error::AlertReceived(rustls::AlertDescription::NoApplicationProtocol) => anyhow!(
            "{url} refused the TLS handshake: it speaks none of the protocols offered (ALPN)"
        ),
        rustls::Error::AlertReceived(alert) => {
            anyhow!("{url} refused the TLS handshake (it sent the alert {alert:?})")
        }
        other => anyhow!("{url}: the TLS handshake failed: {other}"),
    }
}

/// One line saying why the server's certificate was refused.
fn certificate_error(problem: &CertificateError, host: &str, url: &str) -> anyhow::Error {
    match problem {
        // No trusted certificate signed it: a self-signed certificate that
        // nobody was told to trust, or one signed by a private authority.
        // The other two: a trusted certificate has the issuer's name but did
        // not sign it, such as the `CN=localhost` of an old `--self-signed`
        // file, or of Debian's "snakeoil" certificate among the system's.
        CertificateError::UnknownIssuer
        | CertificateError::BadSignature
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => anyhow!(
            "{url}: the server's certificate is not trusted (no trusted certificate issued it); \
             trust it with --cacert FILE, or skip the check with --insecure"
        ),
        // The names it does carry, as rustls writes them: `DnsName("example.com")`,
        // `IpAddress(127.0.0.1)`.
        CertificateError::NotValidForNameContext { presented, .. } if !presented.is_empty() => {
            anyhow!(
                "{url}: the server's certificate is not valid for {host} (it names {})",
                presented.join(", ")
            )
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            anyhow!("{url}: the server's certificate is not valid for {host}")
        }
        CertificateError::ExpiredContext { not_after, .. } => anyhow!(
            "{url}: the server's certificate expired on {}",
            super::describe::date(*not_after)
        ),
        CertificateError::Expired => anyhow!("{url}: the server's certificate expired"),
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => anyhow!(
            "{url}: the server's certificate is not valid yet (is this machine's clock right?)"
        ),
        other => anyhow!("{url}: the server's certificate was refused: {other}"),
    }
}

/// The verifier behind `--insecure`: it accepts any certificate for any
/// name, but still checks the handshake's signatures with the provider's
/// algorithms, so the connection is at least encrypted to whoever holds the
/// key of the certificate it was shown.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, certificate, signature, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, certificate, signature, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
