//! What the four programs share: where they listen, and every line the
//! article prints, written once so that a server and its client can never
//! drift apart.
//!
//! This crate is not a program; `cargo doc -p common --open` shows it.
//!
//! Mirrors the string literals of the article's four Python programs
//! (section 5, "Example Code in Python"): `print("HTTP server started.")`,
//! `f"Server Response: {message}"`, `input("Enter a message: ")` and the rest.

pub mod cli;
pub mod feed;
pub mod server;
pub mod shared;
pub mod tap;
pub mod tls;
pub mod transcript;
pub mod url;

/// Where both servers listen unless told otherwise: the loopback interface,
/// so a demo never opens a port to the network by accident. (The article's
/// Python server binds `''`, every interface; `--host 0.0.0.0` does that.)
pub const DEFAULT_HOST: &str = "127.0.0.1";

/// The HTTP server's port in the article: `server_address = ('', 8000)`.
pub const HTTP_PORT: u16 = 8000;

/// The WebSocket server's port in the article: `websockets.serve(echo, "localhost", 8765)`.
pub const WS_PORT: u16 = 8765;

/// The URL the article's HTTP client asks: `requests.get('http://localhost:8000')`.
pub const DEFAULT_HTTP_URL: &str = "http://localhost:8000";

/// The URL the article's WebSocket client dials: `websockets.connect("ws://localhost:8765")`.
pub const DEFAULT_WS_URL: &str = "ws://localhost:8765";

/// The first words the HTTP server prints once it listens.
pub const HTTP_SERVER_STARTED: &str = "HTTP server started.";

/// The body of every answer the HTTP server gives.
pub const HELLO_BODY: &str = "Hello, World! This is an HTTP response.";

/// The `Content-Type` of that body: `self.send_header('Content-type', 'text/html')`.
pub const HTML_CONTENT_TYPE: &str = "text/html";

/// The first words the WebSocket server prints once it listens.
pub const WS_SERVER_STARTED: &str = "WebSocket server started.";

/// What the WebSocket client asks before reading each line.
pub const PROMPT: &str = "Enter a message: ";

/// What ws-server and ws-client put in a ping (a frame with opcode 9) when
/// they check that the other end is still there. Beyond the article: the
/// other end answers with a pong (opcode 10) that carries the same bytes.
pub const PING_PAYLOAD: &str = "are you there?";

/// What joins a server's started words and its URL in the started line.
const LISTENING_ON: &str = " Listening on ";

/// The HTTP server's started line, with the URL it really listens on
/// (which tells a reader, and a test, the port when it was 0).
pub fn http_server_started(url: &str) -> String {
    format!("{HTTP_SERVER_STARTED}{LISTENING_ON}{url}")
}

/// The WebSocket server's started line, with the URL it really listens on.
pub fn ws_server_started(url: &str) -> String {
    format!("{WS_SERVER_STARTED}{LISTENING_ON}{url}")
}

/// The URL in a started line, for whatever starts a server on port 0 and
/// must then find it (tests, benchmarks).
pub fn listening_url(started_line: &str) -> Option<&str> {
    started_line.rsplit_once(LISTENING_ON).map(|(_, url)| url)
}

/// What joins the words of the certificate line and the path it names.
const TLS_CERTIFICATE: &str = "TLS certificate: ";

/// The line a TLS server prints after its started line, naming the file
/// that holds its certificate and telling a reader how to trust it:
/// "TLS certificate: PATH (trust it with --cacert PATH)".
pub fn tls_certificate_line(path: &std::path::Path) -> String {
    let path = path.display();
    format!("{TLS_CERTIFICATE}{path} (trust it with --cacert {path})")
}

/// The path in a certificate line, for whatever starts a server with
/// `--self-signed` and must then trust it (tests, benchmarks), as
/// [`listening_url`] finds the URL in a started line.
pub fn tls_certificate_path(certificate_line: &str) -> Option<&str> {
    let rest = certificate_line.strip_prefix(TLS_CERTIFICATE)?;
    rest.split_once(" (trust it with").map(|(path, _)| path)
}

/// The one-line body of the `400 Bad Request` a TLS server sends to a
/// client that spoke plain HTTP to it (`curl http://` at an https:// port).
/// Beyond the article, which has no TLS. Clients recognise it to say the
/// same thing in their own error.
pub const SPEAKS_TLS: &str =
    "This port speaks TLS: use https:// (or wss://) instead of http:// (or ws://).";

/// What a client prints on standard error when it is given `--insecure`,
/// before it connects, so that nobody forgets the flag is on.
pub const INSECURE_WARNING: &str = "warning: --insecure: the server's certificate is not checked; \
     anyone on the path could pretend to be it";

/// The HTTP client's first line: `print(f"Status Code: {response.status_code}")`.
pub fn status_code_line(status: u16) -> String {
    format!("Status Code: {status}")
}

/// The HTTP client's second line: `print(f"Response Body: {response.text}")`.
pub fn response_body_line(body: &str) -> String {
    format!("Response Body: {body}")
}

/// What the WebSocket server prints before each text message it receives:
/// `print(f"Received Message: {message}")`. (Not a function like the other
/// lines: the server writes it and the message straight into its output
/// buffer, with no string of their own, since it prints one for every message.)
pub const RECEIVED_MESSAGE: &str = "Received Message: ";

/// What the WebSocket server sends back: `await websocket.send(f"Server Response: {message}")`.
///
/// This runs for every message, so it is built in one allocation of the
/// exact size rather than by `format!`, which guesses a size, grows the
/// string when the guess is short, and goes through the formatting machinery.
pub fn server_response(message: &str) -> String {
    const PREFIX: &str = "Server Response: ";
    let mut line = String::with_capacity(PREFIX.len() + message.len());
    line.push_str(PREFIX);
    line.push_str(message);
    line
}

/// What the WebSocket client prints once a line is sent: `print(f"Sent message: {message}")`.
pub fn sent_message(message: &str) -> String {
    format!("Sent message: {message}")
}

/// What the WebSocket client prints for the answer: `print(f"Received response: {response}")`.
pub fn received_response(response: &str) -> String {
    format!("Received response: {response}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default URLs point at the default ports, so `cargo run -p http-client`
    /// finds `cargo run -p http-server` without any flags.
    #[test]
    fn default_urls_use_default_ports() {
        assert!(DEFAULT_HTTP_URL.ends_with(&format!(":{HTTP_PORT}")));
        assert!(DEFAULT_WS_URL.ends_with(&format!(":{WS_PORT}")));
    }

    /// The server's two lines per message are the article's f-strings, exactly.
    #[test]
    fn per_message_lines_are_the_article_words() {
        assert_eq!(format!("{RECEIVED_MESSAGE}hi"), "Received Message: hi");
        assert_eq!(server_response("hi"), "Server Response: hi");
        assert_eq!(server_response(""), "Server Response: ");
    }

    /// The started lines begin with the article's exact words, which scripts wait for.
    #[test]
    fn started_lines_begin_with_the_article_words() {
        let line = http_server_started("http://127.0.0.1:8000");
        assert_eq!(
            line,
            "HTTP server started. Listening on http://127.0.0.1:8000"
        );
        assert!(ws_server_started("ws://x").starts_with("WebSocket server started."));
        assert_eq!(listening_url(&line), Some("http://127.0.0.1:8000"));
    }

    /// The certificate line says how to trust the file it names, and the
    /// path can be read back from it.
    #[test]
    fn certificate_line_names_the_file_twice() {
        let line = tls_certificate_line(std::path::Path::new("/tmp/a b.pem"));
        assert_eq!(
            line,
            "TLS certificate: /tmp/a b.pem (trust it with --cacert /tmp/a b.pem)"
        );
        assert_eq!(tls_certificate_path(&line), Some("/tmp/a b.pem"));
        assert_eq!(tls_certificate_path("HTTP server started."), None);
    }
}
