//! What both servers do before and after their real work: open the listening
//! socket with a helpful error, accept without giving up, and wait for
//! Ctrl-C or SIGTERM.
//!
//! Not a program; `cargo doc -p common --open` shows it. Beyond the article,
//! whose servers run until killed.
//!
//! What goes wrong here is logged with `tracing`; each server's `main` (or
//! `run`) chooses where the log goes.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use tokio::net::{TcpListener, TcpStream};

/// How long to wait before accepting again after `accept` failed.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// How long a server may take to shut down, once told to: for what is in
/// flight to finish. Past it, what is left is dropped and the server exits.
/// (Both servers' `--shutdown-grace` changes it.)
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What a server logs when told to stop.
const SHUTTING_DOWN: &str = "Shutting down: no new connections; finishing the ones in flight.";

/// Binds a TCP listener on `host:port`.
///
/// This is the moment a server exists for the network: the kernel starts
/// accepting TCP handshakes (SYN, SYN-ACK, ACK) on this port and queues the
/// connections until the server calls `accept`. Port 0 asks the kernel for
/// any free port; `local_addr()` on the result says which one it chose.
///
/// The error names the address and suggests the usual fix, because "address
/// already in use" is the first thing that goes wrong when a demo is run twice.
pub async fn bind(host: &str, port: u16) -> anyhow::Result<TcpListener> {
    TcpListener::bind((host, port)).await.with_context(|| {
        format!(
            "could not listen on {host}:{port} (is another server already running there? \
             choose another port with --port, or --port 0 for any free one)"
        )
    })
}

/// Accepts the next connection: the end of its TCP handshake, which the
/// kernel has already completed on the listening socket.
///
/// When accepting fails, for example because the process is out of file
/// descriptors, this logs it, waits a moment and tries again: retrying at
/// once would only spin, and giving up would stop the server for every
/// client. It is cancel safe, so a server can `select!` on it beside its
/// shutdown signal; one that selects on more than that keeps one `accept`
/// future across turns of its loop, so that the back-off is not cut short.
pub async fn accept(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(accepted) => return accepted,
            Err(err) => {
                tracing::warn!("could not accept a connection: {err}; retrying");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

/// Starts listening for Ctrl-C (SIGINT) and SIGTERM (what `kill` and
/// service managers send), and returns a future that completes when either
/// arrives.
///
/// The handlers are installed here, at once, not when the future is first
/// polled: a server calls this before it prints its started line, so that a
/// signal sent the moment the line appears shuts it down cleanly instead of
/// killing it.
///
/// The servers pass the future to their `serve` function; tests pass a
/// channel instead, which is why `serve` takes any future.
#[cfg(unix)]
pub fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("could not listen for Ctrl-C")?;
    let mut terminate = signal(SignalKind::terminate()).context("could not listen for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        tracing::info!("{SHUTTING_DOWN}");
    })
}

/// Where there are no Unix signals, Ctrl-C alone.
#[cfg(not(unix))]
pub fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    Ok(async {
        // If the handler cannot be installed, never complete rather than
        // shut down at once.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        tracing::info!("{SHUTTING_DOWN}");
    })
}
