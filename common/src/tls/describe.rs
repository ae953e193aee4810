//! What a client's `--verbose` shows about a TLS connection once its
//! handshake is done: what was agreed, and whose certificate it was.
//!
//! The transcript (`transcript.rs`) marks what we send with `>` and what we
//! receive with `<`; these lines are neither, facts about the connection,
//! so they start with `*`, as curl's do. Beyond the article, which has no TLS.

use rustls::pki_types::{CertificateDer, UnixTime};

use crate::tap::Counters;
use rustls::{CommonState, ProtocolVersion};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;
use x509_parser::time::ASN1Time;

/// Lines describing an established TLS connection (a `ClientConnection`
/// derefs to the `CommonState` this takes): the version, the cipher suite
/// and the application protocol both ends agreed on in the handshake, then
/// the subject, issuer and validity of the peer's certificate.
///
/// ```text
/// * TLS version: TLSv1.3
/// * TLS cipher suite: TLS13_AES_256_GCM_SHA384
/// * TLS ALPN protocol: http/1.1
/// * TLS server certificate subject: CN=localhost
/// * TLS server certificate issuer: CN=localhost
/// * TLS server certificate valid from: May  1 10:00:00 2025 +00:00
/// * TLS server certificate valid until: May  1 10:00:00 2026 +00:00
/// ```
pub fn describe(connection: &CommonState) -> Vec<String> {
    let version = match connection.protocol_version() {
        Some(ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
        Some(ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
        Some(other) => format!("{other:?}"),
        None => "none yet".to_string(),
    };
    let suite = connection
        .negotiated_cipher_suite()
        .map_or("none yet".to_string(), |suite| {
            format!("{:?}", suite.suite())
        });
    // ALPN: the client offered protocols in its ClientHello and the server
    // picked one, or none if it was offered none it speaks.
    let alpn = connection
        .alpn_protocol()
        .map_or("none".to_string(), |protocol| {
            String::from_utf8_lossy(protocol).into_owned()
        });
    let mut lines = vec![
        format!("* TLS version: {version}"),
        format!("* TLS cipher suite: {suite}"),
        format!("* TLS ALPN protocol: {alpn}"),
    ];
    // The first certificate is the server's own (the end entity); any
    // others are the authorities that vouch for it.
    if let Some(certificate) = connection.peer_certificates().and_then(<[_]>::first) {
        lines.extend(certificate_lines(certificate));
    }
    lines
}

/// The last line of `--verbose` over TLS: the bytes on the `socket`
/// (counted below TLS) beside the bytes of `protocol` (`HTTP`, `WebSocket`)
/// `inside` TLS. The difference is the handshake, and for each record (in
/// TLS 1.3) a 5-byte header, a 1-byte inner content type and a 16-byte
/// authentication tag: 22 bytes.
pub fn cost_line(socket: &Counters, inside: &Counters, protocol: &str) -> String {
    let ((sent, received), (inner_sent, inner_received)) = (socket.read(), inside.read());
    format!(
        "* TLS: {sent} bytes sent and {received} received on the socket, \
         for {inner_sent} and {inner_received} of {protocol} inside"
    )
}

/// The subject, issuer and validity of one certificate. rustls hands it
/// over as DER, the binary ASN.1 encoding; x509-parser reads its fields.
fn certificate_lines(certificate: &CertificateDer<'_>) -> Vec<String> {
    match X509Certificate::from_der(certificate) {
        Ok((_, certificate)) => vec![
            format!(
                "* TLS server certificate subject: {}",
                certificate.subject()
            ),
            format!("* TLS server certificate issuer: {}", certificate.issuer()),
            format!(
                "* TLS server certificate valid from: {}",
                certificate.validity().not_before
            ),
            format!(
                "* TLS server certificate valid until: {}",
                certificate.validity().not_after
            ),
        ],
        Err(err) => vec![format!(
            "* TLS server certificate: could not be read: {err}"
        )],
    }
}

/// A time as certificates show it, such as `May  1 10:00:00 2026 +00:00`.
pub(super) fn date(time: UnixTime) -> String {
    let seconds = time.as_secs();
    i64::try_from(seconds)
        .ok()
        .and_then(|seconds| ASN1Time::from_timestamp(seconds).ok())
        .map_or(format!("{seconds} seconds after 1970"), |time| {
            time.to_string()
        })
}
