//! The URL check both clients make before they dial: is this a URL, of a
//! scheme this client speaks (plain, or its TLS twin), with a host to
//! connect to?
//!
//! Catching these up front turns a confusing failure deep in a library
//! ("URL scheme not supported", "invalid authority") into a sentence that
//! says what to type instead.

use anyhow::{Context, bail};
use http::Uri;

/// Parses `url` and checks that it is `scheme://host[:port][/path]`, where
/// `scheme` is `"http"` or `"ws"`, or the same over TLS (`https`, `wss`).
pub fn parse(url: &str, scheme: &str) -> anyhow::Result<Uri> {
    let uri: Uri = url
        .parse()
        .with_context(|| format!("{url:?} is not a valid URL"))?;
    let example = format!("{scheme}://host:port/path");
    match uri.scheme_str() {
        Some(given) if given == scheme || given == format!("{scheme}s") => {}
        Some(given) => {
            bail!("{url}: this client speaks {scheme}:// and {scheme}s://, not {given}://")
        }
        None => bail!("{url:?} is not a full URL; write it as {example}"),
    }
    if uri.host().is_none_or(str::is_empty) {
        bail!("{url:?} names no host; write it as {example}");
    }
    Ok(uri)
}

/// Whether `uri` asks for TLS: `https://` or `wss://`.
pub fn is_tls(uri: &Uri) -> bool {
    matches!(uri.scheme_str(), Some("https" | "wss"))
}

/// The host to dial (an IPv6 literal without its brackets: `Uri` keeps
/// `[::1]`, a socket address wants `::1`) and the port: the URL's, or the
/// scheme's own, 443 with TLS and 80 without.
pub fn host_and_port(uri: &Uri) -> (&str, u16) {
    let host = uri.host().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let default = if is_tls(uri) { 443 } else { 80 };
    (host, uri.port_u16().unwrap_or(default))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only URLs of the client's own scheme, with a host, get as far as a connection.
    #[test]
    fn accepts_its_scheme_and_refuses_the_rest() {
        assert!(parse("http://localhost:8000", "http").is_ok());
        assert!(parse("http://[::1]:8000/x?y=1", "http").is_ok());
        assert!(parse("ws://[::1]:8765/chat", "ws").is_ok());
        assert!(parse("https://localhost", "http").is_ok());
        assert!(parse("wss://localhost", "ws").is_ok());
        for (bad, scheme) in [
            ("ws://localhost:8765", "http"),
            ("wss://localhost", "http"),
            ("http://localhost:8000", "ws"),
            ("httpss://localhost", "http"),
            ("localhost:8000", "http"),
            ("http://[::1", "http"),
            ("", "ws"),
        ] {
            assert!(
                parse(bad, scheme).is_err(),
                "{bad:?} should be refused for {scheme}"
            );
        }
    }

    /// IPv6 literals lose their brackets; a missing port is the scheme's.
    #[test]
    fn host_and_port_are_ready_to_dial() {
        let uri = parse("ws://[::1]:8765/chat", "ws").unwrap();
        assert_eq!(host_and_port(&uri), ("::1", 8765));
        let uri = parse("http://localhost/", "http").unwrap();
        assert_eq!(host_and_port(&uri), ("localhost", 80));
        let uri = parse("wss://localhost/", "ws").unwrap();
        assert_eq!(host_and_port(&uri), ("localhost", 443));
    }
}
