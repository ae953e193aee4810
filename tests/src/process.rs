//! Running the workspace's real programs as child processes: building them
//! once, starting a server and reading its started line and log, driving a
//! client through its standard input, and checking how a program failed.
//!
//! These are the article's four programs as its reader runs them, with the
//! article's lines on their standard output. The tests that use these
//! helpers run with `cargo test -p tests`.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Output, Stdio};
use std::sync::OnceLock;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};

use crate::within;

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
        // The tests read the servers' log at its default level, whatever
        // RUST_LOG the caller runs them with.
        let mut child = command
            .env("RUST_LOG", "info")
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
