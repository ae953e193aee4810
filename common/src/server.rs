//! What both servers do before and after their real work: open the listening
//! socket with a helpful error, and wait for Ctrl-C or SIGTERM.

use anyhow::Context;
use tokio::net::TcpListener;

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

/// Completes when the process is asked to stop: Ctrl-C in the terminal
/// (SIGINT) or SIGTERM (what `kill` and service managers send).
///
/// The servers pass this future to their `serve` function; tests pass a
/// channel instead, which is why `serve` takes any future.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        // If the handler cannot be installed, never complete rather than
        // shut down at once.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };

    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    eprintln!("Shutting down: no new connections; finishing the ones in flight.");
}
