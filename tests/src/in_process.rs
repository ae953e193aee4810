//! Running the servers inside the test process, each on a free port of its
//! own, and watching an in-process client's output: the quick way to test,
//! with no program to build or start. Also the stand-in servers a test writes
//! itself, for a client to meet when the real ones cannot misbehave the way
//! the test needs, and the open-file limit a test raises to hold many
//! connections at once.
//!
//! The servers are the article's two, http-server and ws-server, through
//! their libraries' `serve`: the accept loop `main` runs too, given a
//! port-0 listener and a channel to stop it instead of the flags and
//! Ctrl-C. The tests that use these
//! helpers run with `cargo test -p tests`.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use common::feed::Feed;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::{text, within};

/// What tells an in-process server to shut down: a channel the test controls,
/// where `main` would pass Ctrl-C.
pub(crate) type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A server running inside the test process, on 127.0.0.1 and a free port.
pub struct InProcessServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The feed it serves under `/tick`. Nothing ticks it: a test makes each
    /// tick with `feed.publish()`, so what a client prints is exact.
    pub feed: Feed,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl InProcessServer {
    /// Binds 127.0.0.1:0 and runs `serve(listener, feed, shutdown)` in a task.
    async fn start<F, Fut>(serve: F) -> Self
    where
        F: FnOnce(TcpListener, Feed, Shutdown) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local_addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown: Shutdown = Box::pin(async move {
            let _ = stopped.await;
        });
        let feed = Feed::new();
        let task = tokio::spawn(serve(listener, feed.clone(), shutdown));
        Self {
            addr,
            feed,
            stop,
            task,
        }
    }

    /// `http://` and the address.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://` and the address.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Signals shutdown and waits for `serve` to return.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        within(self.task).await.expect("the server task panicked");
    }
}

/// Starts [`http_server::serve`] in-process.
pub async fn start_http_server() -> InProcessServer {
    InProcessServer::start(http_server::serve).await
}

/// Starts [`http_server::serve_with`] in-process, with `options`: its
/// deadline for a request head and its shutdown grace.
pub async fn start_http_server_with(options: http_server::Options) -> InProcessServer {
    InProcessServer::start(move |listener, feed, shutdown| {
        http_server::serve_with(listener, options, feed, shutdown)
    })
    .await
}

/// The options of an in-process ws-server: the defaults, but `quiet`.
///
/// The `Received Message` lines come from a printing thread: in a test they
/// would land in the test output uncaptured, and tokio's paused clock cannot
/// see another OS thread, so waiting for it at shutdown would let the clock
/// jump. The lines are checked with the real program (`programs.rs`).
pub fn ws_options() -> ws_server::Options {
    ws_server::Options {
        quiet: true,
        ..ws_server::Options::default()
    }
}

/// Starts [`ws_server::serve`] in-process, as the article's echo.
pub async fn start_ws_server() -> InProcessServer {
    start_ws_server_with(ws_options()).await
}

/// Starts [`ws_server::serve`] in-process with `options`.
pub async fn start_ws_server_with(options: ws_server::Options) -> InProcessServer {
    InProcessServer::start(move |listener, feed, shutdown| {
        ws_server::serve(listener, options, feed, shutdown)
    })
    .await
}

/// A stand-in server of the test's own, for a client to meet when the real
/// ones cannot misbehave the way the test needs: it takes one connection on
/// a free port and hands the TCP stream to `serve`. Returns the URL to give
/// the client (`scheme://`, the address, then `path`) and the server's task,
/// which yields what `serve` returns.
pub async fn serve_one<F, Fut>(
    scheme: &str,
    path: &str,
    serve: F,
) -> (String, JoinHandle<Fut::Output>)
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!(
        "{scheme}://{}{path}",
        listener.local_addr().expect("local_addr")
    );
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        serve(stream).await
    });
    (url, server)
}

/// A port on 127.0.0.1 where nothing listens: bound, read, released.
pub async fn unused_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("local_addr").port()
}

/// Lets this process hold a thousand connections or more. A test that holds
/// both ends of many connections needs two file descriptors for each, and
/// the usual soft limit of 1,024 would stop it near five hundred; a process
/// may raise its own soft limit up to the hard limit.
pub fn raise_open_file_limit() {
    #[cfg(unix)]
    rlimit::increase_nofile_limit(u64::MAX).expect("raise the open-file limit");
}

/// A `Write` that hands each complete line to a channel, so a test can
/// watch a client's output as it is printed, from another task.
pub struct LineSink {
    lines: mpsc::UnboundedSender<String>,
    partial: Vec<u8>,
}

impl LineSink {
    /// The sink, and where its lines come out.
    pub fn new() -> (Self, mpsc::UnboundedReceiver<String>) {
        let (lines, printed) = mpsc::unbounded_channel();
        let sink = Self {
            lines,
            partial: Vec::new(),
        };
        (sink, printed)
    }
}

impl std::io::Write for LineSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        for &byte in bytes {
            if byte == b'\n' {
                let line = text(&std::mem::take(&mut self.partial));
                // The test may have stopped listening; the client need not know.
                let _ = self.lines.send(line);
            } else {
                self.partial.push(byte);
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
