//! Certificates for the TLS tests, written to files as a user would have
//! them: one that is good for `localhost`, `127.0.0.1` and `::1`, one for
//! another name, and one that has expired. Each is made fresh by rcgen
//! (through `common::tls`), so no key is ever committed.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

/// The names a good test certificate is for: those `--self-signed` uses.
pub const LOCAL_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// A certificate and its key, in PEM files of their own; both files are
/// removed when it is dropped.
pub struct CertFiles {
    /// The certificate: what a client trusts with `--cacert`.
    pub cert: PathBuf,
    /// The private key: only the server reads it.
    pub key: PathBuf,
}

impl CertFiles {
    /// A certificate for `names`, valid from a day ago for a year.
    pub fn new(names: &[&str]) -> Self {
        let (cert, key) = common::tls::self_signed(names).expect("rcgen makes a certificate");
        Self::write(&cert, &key)
    }

    /// A certificate for [`LOCAL_NAMES`] that expired yesterday.
    pub fn expired() -> Self {
        let day = Duration::from_secs(24 * 60 * 60);
        let now = SystemTime::now();
        let (cert, key) = common::tls::self_signed_valid(LOCAL_NAMES, now - 30 * day, now - day)
            .expect("rcgen makes a certificate");
        Self::write(&cert, &key)
    }

    fn write(cert: &str, key: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let base = std::env::temp_dir().join(format!("tests-{}-{n}", std::process::id()));
        let files = Self {
            cert: base.with_extension("cert.pem"),
            key: base.with_extension("key.pem"),
        };
        std::fs::write(&files.cert, cert).expect("write the certificate");
        std::fs::write(&files.key, key).expect("write the key");
        files
    }

    /// The server's side: `--tls-cert` and `--tls-key` with these files.
    pub fn server_options(&self) -> common::tls::ServerTlsOptions {
        common::tls::ServerTlsOptions {
            tls_cert: Some(self.cert.clone()),
            tls_key: Some(self.key.clone()),
            self_signed: false,
        }
    }

    /// The client's side: `--cacert` with this certificate.
    pub fn client_options(&self) -> common::tls::ClientTlsOptions {
        common::tls::ClientTlsOptions {
            cacert: Some(self.cert.clone()),
            insecure: false,
        }
    }
}

impl Drop for CertFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.cert);
        let _ = std::fs::remove_file(&self.key);
    }
}
