//! Memory per idle WebSocket connection: how much the article's "requires
//! more resources from the server" costs here.
//!
//! A ws-server runs in a process of its own (this benchmark program started
//! again as `bench serve-ws`, so it is the same code); this process opens
//! many connections to it, each completing the handshake and one ping, then
//! leaves them idle. The server's resident memory before and after, read
//! from `/proc/PID/status`, divided by the number of connections, is the
//! cost of one idle connection.

use std::process::Stdio;
use std::sync::Arc;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// The measurement.
#[derive(Debug)]
pub struct Measurement {
    /// Idle connections held open.
    pub connections: usize,
    /// The server's resident memory with no connections, in KiB.
    pub before_kib: u64,
    /// The same with all of them open, in KiB.
    pub after_kib: u64,
}

impl Measurement {
    /// KiB of server memory per idle connection.
    pub fn per_connection_kib(&self) -> f64 {
        self.after_kib.saturating_sub(self.before_kib) as f64 / self.connections as f64
    }
}

/// Starts a ws-server process, opens `connections` idle connections, and
/// measures its memory.
///
/// Ctrl-C ends the measurement cleanly, so that the server process, which
/// is killed when its handle is dropped, does not outlive this one.
pub async fn run(connections: usize) -> anyhow::Result<Measurement> {
    tokio::select! {
        result = measure(connections) => result,
        _ = tokio::signal::ctrl_c() => bail!("interrupted"),
    }
}

async fn measure(connections: usize) -> anyhow::Result<Measurement> {
    #[cfg(unix)]
    rlimit::increase_nofile_limit(u64::MAX).context("could not raise the open-file limit")?;
    let (mut server, url) = start_server().await?;
    let pid = server.id().context("the server exited")?;
    let before_kib = resident_kib(pid)?;

    // Connect a few hundred at a time, each with a small read buffer so this
    // side's memory stays small too.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let slots = Arc::new(Semaphore::new(200));
    let mut opening = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (url, slots) = (url.clone(), slots.clone());
        opening.spawn(async move {
            let _slot = slots.acquire_owned().await?;
            let (mut ws, _) =
                tokio_tungstenite::connect_async_with_config(&url, Some(config), true).await?;
            // One ping and its pong: the server has now read from this
            // connection, as any live connection has been.
            ws.send(Message::Ping("hi".into())).await?;
            while let Some(message) = ws.next().await {
                if message?.is_pong() {
                    return anyhow::Ok(ws);
                }
            }
            bail!("the server closed a connection")
        });
    }
    let mut open = Vec::with_capacity(connections);
    while let Some(result) = opening.join_next().await {
        open.push(result??);
    }
    let after_kib = resident_kib(pid)?;
    drop(open);
    server.kill().await?;
    Ok(Measurement {
        connections,
        before_kib,
        after_kib,
    })
}

/// Starts `bench serve-ws` and returns it with the URL from its started line.
async fn start_server() -> anyhow::Result<(Child, String)> {
    let mut server = Command::new(std::env::current_exe()?)
        .arg("serve-ws")
        .stdout(Stdio::piped())
        // Its log would only say that the connections were dropped at the end.
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("could not start the server")?;
    let stdout = server.stdout.take().context("no stdout")?;
    let line = BufReader::new(stdout)
        .lines()
        .next_line()
        .await?
        .context("the server exited before its started line")?;
    let url = common::listening_url(&line)
        .context("no URL in the started line")?
        .to_string();
    Ok((server, url))
}

/// The resident memory of process `pid`, in KiB (`VmRSS` in `/proc/PID/status`).
fn resident_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .context("could not read the server's /proc status (this measurement needs Linux)")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in /proc status")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This process's own resident memory reads as a plausible number.
    #[test]
    fn reads_resident_memory_from_proc() {
        let kib = resident_kib(std::process::id()).expect("VmRSS");
        assert!((100..10_000_000).contains(&kib), "{kib} KiB");
    }
}
