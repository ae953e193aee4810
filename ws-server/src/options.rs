//! ws-server's choices: the flags `ws-server --help` lists, with their
//! defaults, and the limits behind them. Used by `run` and `serve` in
//! `lib.rs`; tests build an [`Options`] with `..Options::default()`.
//!
//! Beyond the article, whose server has no choices: each limit here is one
//! of the defences `lib.rs` describes.

use common::server::SHUTDOWN_GRACE;
use common::shared::Redis;
use common::tls::ServerTls;

/// The default largest message (and frame): 1 MiB, the default of Python's
/// `websockets`, which the article uses.
pub const MAX_MESSAGE_SIZE: usize = 1024 * 1024;

/// The default cap on connections (and WebSockets) served at once.
const MAX_CONNECTIONS: usize = 10_000;

/// How many connections past the cap are answered `503` at once. Beyond
/// them a new connection is closed without an answer: a flood past the cap
/// must not cost a task each, nor, over TLS, a handshake each.
pub const MAX_REFUSALS: usize = 64;

/// The default number of seconds a new connection has to finish the handshake.
const HANDSHAKE_TIMEOUT_SECS: u64 = 10;

/// The default number of seconds of silence before a peer is pinged.
const PING_INTERVAL_SECS: u64 = 30;

/// Choices a user makes on the command line (`ws-server --help` lists them).
#[derive(Clone, Debug, clap::Args)]
pub struct Options {
    /// Send each message back unchanged instead of "Server Response: m"
    /// (for conformance suites such as Autobahn)
    #[arg(long)]
    pub echo_plain: bool,
    /// Do not print "Received Message: m" for each message (for benchmarks)
    #[arg(long)]
    pub quiet: bool,
    /// Largest message (and frame) accepted, in bytes; a larger one is
    /// refused with close code 1009, "message too big"
    #[arg(long, default_value_t = MAX_MESSAGE_SIZE)]
    pub max_message_size: usize,
    /// Most connections and WebSockets served at once: each TCP connection
    /// counts one, and each WebSocket over HTTP/2 one more, since one HTTP/2
    /// connection carries many. Past it a new connection, or a new WebSocket
    /// on an HTTP/2 connection, is answered "503 Service Unavailable"
    #[arg(long, default_value_t = MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Seconds a new connection has to complete the WebSocket handshake
    #[arg(long, default_value_t = HANDSHAKE_TIMEOUT_SECS)]
    pub handshake_timeout: u64,
    /// Seconds of silence after which a peer is pinged; a peer silent for
    /// one more interval is disconnected (0: never ping; at most a day)
    #[arg(long, default_value_t = PING_INTERVAL_SECS,
          value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub ping_interval: u64,
    /// Seconds shutting down may take: for clients to finish the close
    /// handshake and the last "Received Message" lines to be printed; past
    /// it the server exits anyway
    #[arg(long, default_value_t = SHUTDOWN_GRACE.as_secs())]
    pub shutdown_grace: u64,
    /// Also accept WebSockets opened by pages from ORIGIN, such as
    /// `http://example.com:8000` (repeatable). Without it, only pages from
    /// the host this server is reached at may connect, and clients that send
    /// no Origin (those that are not browsers)
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,
    /// TLS, once loaded (`wss://`); `None` for plain `ws://`. The flags
    /// that choose it are `common::tls::ServerTlsOptions`.
    #[arg(skip)]
    pub tls: Option<ServerTls>,
    /// With `--redis URL`, the connection that shares the room with the
    /// other instances (`chat/shared.rs`); `None`, and the room is this
    /// process's alone. The flag is `common::shared::RedisOptions`.
    #[arg(skip)]
    pub redis: Option<Redis>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            echo_plain: false,
            quiet: false,
            max_message_size: MAX_MESSAGE_SIZE,
            max_connections: MAX_CONNECTIONS,
            handshake_timeout: HANDSHAKE_TIMEOUT_SECS,
            ping_interval: PING_INTERVAL_SECS,
            shutdown_grace: SHUTDOWN_GRACE.as_secs(),
            allow_origins: Vec::new(),
            tls: None,
            redis: None,
        }
    }
}
