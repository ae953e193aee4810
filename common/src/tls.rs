//! TLS for all four programs: what turns `http://` into `https://` and
//! `ws://` into `wss://`. Beyond the article, whose programs speak plain text.
//!
//! This module is not a program; `cargo doc -p common --open` shows it, and
//! `cargo test -p common tls` runs real handshakes on the loopback interface.
//!
//! TLS sits between TCP and HTTP. After TCP's three-way handshake, and before
//! the first byte of HTTP (or of the WebSocket upgrade, which is HTTP too),
//! the client and the server exchange TLS handshake messages: the client
//! says hello with the versions and ciphers it knows, the server answers
//! with its choice and its certificate, and both derive keys. From then on
//! every byte of HTTP travels inside encrypted TLS records. HTTP itself does
//! not change at all: the same request line, the same `101 Switching
//! Protocols`, the same frames, only wrapped.
//!
//! - Servers (`tls/server.rs`): [`ServerTlsOptions`], the flags
//!   `--tls-cert`, `--tls-key` and `--self-signed`, and [`accept`], which
//!   tells a TLS client from a plain one.
//! - Clients (`tls/client.rs`): [`ClientTlsOptions`], the flags `--cacert`
//!   and `--insecure`, and [`connect`], which turns every way a handshake
//!   can fail into one clear sentence.
//! - [`describe`] (`tls/describe.rs`): what `--verbose` prints about an
//!   established connection.
//!
//! Everything uses rustls with the `ring` crypto provider, chosen explicitly
//! by `provider()` rather than installed process-wide, so that nothing depends
//! on which provider some other part of the program installed first.

mod client;
mod describe;
mod server;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{Context, anyhow, bail};
use rcgen::{CertificateParams, DnType, KeyPair};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::{self, PemObject};

pub use client::{ClientTlsOptions, connect};
pub use describe::{cost_line, describe};
pub use server::{Accepted, ServerTls, ServerTlsOptions, accept};

/// The cryptography every TLS config here is built with: ring's ciphers,
/// key exchanges and signature checks.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificates in a PEM file (`-----BEGIN CERTIFICATE-----` sections),
/// at least one, for `--tls-cert` and `--cacert`.
fn read_certificates(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certificates = CertificateDer::pem_file_iter(path)
        .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
        .map_err(|err| pem_error("certificate", path, err))?;
    if certificates.is_empty() {
        bail!("{} holds no certificate", path.display());
    }
    Ok(certificates)
}

/// One line saying why a PEM file could not be used, naming it.
fn pem_error(what: &str, path: &Path, err: pem::Error) -> anyhow::Error {
    let path = path.display();
    match err {
        pem::Error::NoItemsFound => anyhow!("{path} holds no {what}"),
        // The io::Error's own words ("No such file or directory"), without
        // the PEM parser's "I/O error: " in front.
        pem::Error::Io(err) => anyhow!("could not read the TLS {what} from {path}: {err}"),
        err => anyhow!("could not read the TLS {what} from {path}: {err}"),
    }
}

/// A new self-signed certificate for `names` (DNS names such as `localhost`,
/// or IP addresses such as `127.0.0.1` and `::1`), valid from a day ago (in
/// case this machine's clock and a client's disagree) for a year, and its
/// private key: `(certificate PEM, key PEM)`.
///
/// `--self-signed` uses it; so can a test that needs a certificate for
/// another name.
pub fn self_signed(names: &[&str]) -> anyhow::Result<(String, String)> {
    const DAY: Duration = Duration::from_secs(24 * 60 * 60);
    let now = SystemTime::now();
    self_signed_valid(names, now - DAY, now + 365 * DAY)
}

/// Like [`self_signed`], valid only from `not_before` to `not_after`: a
/// test that needs an expired certificate puts both in the past.
pub fn self_signed_valid(
    names: &[&str],
    not_before: SystemTime,
    not_after: SystemTime,
) -> anyhow::Result<(String, String)> {
    let names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
    // rcgen reads each name as an IP address if it parses as one, and puts
    // it in the certificate's subjectAltName extension, which is what a
    // client checks the host of its URL against.
    let mut params =
        CertificateParams::new(names.clone()).context("could not make a certificate")?;
    if let Some(first) = names.first() {
        // The subject's common name is only for people: `--verbose` shows it.
        params.distinguished_name.push(DnType::CommonName, first);
    }
    params.not_before = not_before.into();
    params.not_after = not_after.into();
    // An ECDSA P-256 key: small and fast, and every TLS client supports it.
    let key = KeyPair::generate().context("could not generate a key")?;
    let certificate = params
        .self_signed(&key)
        .context("could not sign the certificate")?;
    Ok((certificate.pem(), key.serialize_pem()))
}

#[cfg(test)]
mod tests;
