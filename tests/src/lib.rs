//! Helpers for the integration tests in `tests/tests/`: start a server inside
//! the test process on a free port, or start the real programs and read what
//! they print.
//!
//! Run the tests with `cargo test --workspace`.
//!
//! Two rules keep the tests quick and trustworthy. No test needs port 8000
//! or 8765: servers listen on port 0, and the test reads back the port the
//! kernel chose. No test sleeps to wait for something: it waits for the thing
//! itself (a started line, a reply, an exit), and every such wait is bounded
//! by [`TIMEOUT`], so a bug fails a test quickly instead of hanging it.

pub mod raw;
pub mod ws;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{ExitStatus, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use common::feed::Feed;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The longest any single step of a test may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Awaits `future`, failing the test if it takes longer than [`TIMEOUT`].
pub async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(TIMEOUT, future)
        .await
        .expect("a step of this test took longer than TIMEOUT")
}

/// What tells an in-process server to shut down: a channel the test controls,
/// where `main` would pass Ctrl-C.
pub type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

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

/// The path of one of the workspace's programs (`http-server`, `ws-client`, ...).
///
/// Cargo builds a program for the tests of its own package only, and these
/// tests live in a package of their own, so the first call runs
/// `cargo build --bins` once for the whole test binary.
pub fn program(name: &str) -> PathBuf {
    static PROGRAMS: OnceLock<PathBuf> = OnceLock::new();
    PROGRAMS
        .get_or_init(build_programs)
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// Builds the four programs with the profile these tests were built with
/// and returns the folder they are in.
fn build_programs() -> PathBuf {
    // This test binary is target/<profile>/deps/<name>; programs are in target/<profile>/.
    let exe = std::env::current_exe().expect("current_exe");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary in target/<profile>/deps");
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let mut cargo = std::process::Command::new(env!("CARGO"));
    cargo.args([
        "build",
        "--quiet",
        "--bins",
        "--workspace",
        "--manifest-path",
    ]);
    cargo.arg(manifest);
    if dir.ends_with("release") {
        cargo.arg("--release");
    }
    let status = cargo.status().expect("could not run cargo");
    assert!(status.success(), "building the programs failed");
    dir.to_path_buf()
}

/// One of the servers, running as a real program.
pub struct ServerProcess {
    child: Child,
    /// `None` once handed to [`discard_output`](Self::discard_output).
    stdout: Option<Lines<BufReader<ChildStdout>>>,
    /// `None` likewise.
    stderr: Option<Lines<BufReader<ChildStderr>>>,
    /// The URL from its started line, e.g. `ws://127.0.0.1:41234`.
    pub url: String,
}

impl ServerProcess {
    /// Starts `name --port 0` and waits for its first line, which must begin
    /// with `started` (the article's words) and end with the URL.
    pub async fn start(name: &str, started: &str) -> Self {
        let mut command = Command::new(program(name));
        command.args(["--port", "0"]);
        Self::spawn(command, started).await
    }

    /// Like [`start`](Self::start), for any command that ends up running a
    /// server on a free port, such as a shell that sets limits first.
    pub async fn start_with(program: &str, args: &[&str], started: &str) -> Self {
        let mut command = Command::new(program);
        command.args(args);
        Self::spawn(command, started).await
    }

    async fn spawn(mut command: Command, started: &str) -> Self {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("could not start the server");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let line = within(stdout.next_line())
            .await
            .expect("reading stdout")
            .expect("the server exited before printing its started line");
        assert!(line.starts_with(started), "unexpected first line {line:?}");
        let url = common::listening_url(&line)
            .expect("the started line names the URL")
            .to_string();
        Self {
            child,
            stdout: Some(stdout),
            stderr: Some(stderr),
            url,
        }
    }

    /// The next line the server prints, such as `Received Message: hello`.
    pub async fn next_line(&mut self) -> Option<String> {
        let stdout = self.stdout.as_mut().expect("stdout was discarded");
        within(stdout.next_line()).await.expect("reading stdout")
    }

    /// Reads and drops everything the server prints from now on, on both
    /// standard output and standard error. A test that makes the server print
    /// more than a pipe holds (64 KiB) must do this, or the server blocks on
    /// a full pipe.
    pub fn discard_output(&mut self) {
        let mut stdout = self.stdout.take().expect("stdout was discarded");
        let mut stderr = self.stderr.take().expect("stderr was discarded");
        tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
        tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
    }

    /// The next line the server writes to standard error (its log).
    pub async fn next_stderr_line(&mut self) -> Option<String> {
        let stderr = self.stderr.as_mut().expect("stderr was discarded");
        within(stderr.next_line()).await.expect("reading stderr")
    }

    /// Sends SIGTERM, as `kill` or a service manager would.
    pub async fn terminate(&self) {
        let pid = self.child.id().expect("the server is running");
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await
            .expect("could not run kill");
        assert!(status.success());
    }

    /// Waits for the server to exit; returns its status and the rest of
    /// what it wrote to stderr (nothing, if that was discarded).
    pub async fn exit(mut self) -> (ExitStatus, String) {
        let status = within(self.child.wait()).await.expect("wait");
        let mut stderr = String::new();
        if let Some(lines) = self.stderr.as_mut() {
            while let Some(line) = within(lines.next_line()).await.expect("reading stderr") {
                stderr.push_str(&line);
                stderr.push('\n');
            }
        }
        (status, stderr)
    }
}

/// A client running as a real program, with its standard input still open.
pub struct ClientProcess {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl ClientProcess {
    /// Starts `name args...` with piped standard input, output and error.
    pub fn start(name: &str, args: &[&str]) -> Self {
        let mut child = Command::new(program(name))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("could not start the client");
        let stdin = child.stdin.take();
        Self { child, stdin }
    }

    /// Types `text` into the client's standard input.
    pub async fn type_text(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        within(stdin.write_all(text.as_bytes()))
            .await
            .expect("writing stdin");
    }

    /// Closes standard input (Ctrl-D) if still open, and waits for the client to exit.
    pub async fn finish(mut self) -> Output {
        self.stdin = None;
        within(self.child.wait_with_output())
            .await
            .expect("waiting for the client")
    }
}

/// Runs a client to completion with `input` as its standard input.
pub async fn run_client(name: &str, args: &[&str], input: &str) -> Output {
    let mut client = ClientProcess::start(name, args);
    client.type_text(input).await;
    client.finish().await
}

/// A program's standard output or error as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts a program failed the way every program here must: exit code 1
/// and one line on standard error, `error: ...`, containing each of `words`,
/// never a panic or a backtrace.
pub fn assert_one_line_error(output: &Output, words: &[&str]) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.starts_with("error: "), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "stderr: {stderr}");
    for word in words {
        assert!(stderr.contains(word), "{word:?} missing from {stderr:?}");
    }
}

/// A `Write` that hands each complete line to a channel, so a test can
/// watch a client's output as it is printed, from another task.
pub struct LineSink {
    lines: tokio::sync::mpsc::UnboundedSender<String>,
    partial: Vec<u8>,
}

impl LineSink {
    /// The sink, and where its lines come out.
    pub fn new() -> (Self, tokio::sync::mpsc::UnboundedReceiver<String>) {
        let (lines, printed) = tokio::sync::mpsc::unbounded_channel();
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
