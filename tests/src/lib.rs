//! Helpers for the integration tests in `tests/tests/`: start a server inside
//! the test process on a free port (`in_process.rs`), or start the real
//! programs and read what they print (`process.rs`), then talk to a server
//! as a WebSocket client (`ws.rs`) or byte by byte (`raw.rs`), over TLS
//! with certificates made for the test (`certs.rs`).
//!
//! Run the tests with `cargo test --workspace`.
//!
//! Two rules keep the tests quick and trustworthy. No test needs port 8000
//! or 8765: servers listen on port 0, and the test reads back the port the
//! kernel chose. No test sleeps to wait for something: it waits for the thing
//! itself (a started line, a reply, an exit), and every such wait is bounded
//! by [`TIMEOUT`], so a bug fails a test quickly instead of hanging it.

pub mod certs;
pub mod h2;
pub mod h2ws;
mod in_process;
mod process;
pub mod raw;
pub mod ws;

pub use in_process::{
    InProcessServer, LineSink, raise_open_file_limit, serve_one, start_http_server,
    start_http_server_with, start_ws_server, start_ws_server_with, unused_port, ws_options,
};
pub use process::{ClientProcess, ServerProcess, assert_one_line_error, program, run_client, text};

use std::future::Future;
use std::time::Duration;

/// The longest any single step of a test may take before the test fails:
/// 15 s, apart from every deadline of the servers' own (10 s by default for
/// a request head, a handshake, a reply's write and the shutdown grace), so
/// a step cut short by it was not waiting for one of those.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// Awaits `future`, failing the test if it takes longer than [`TIMEOUT`].
pub async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(TIMEOUT, future)
        .await
        .expect("a step of this test took longer than TIMEOUT")
}
