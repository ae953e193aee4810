//! The server process a measurement watches: its address, and what
//! `/proc` says it uses (resident memory, CPU time).
//!
//! Either this benchmark program starts one itself (itself again, as
//! `bench serve-ws`, so it is ws-server's own code in a process of its own),
//! or `bench/peers.sh` names one it started (`--url URL --pid PID`), so the
//! same measurement runs against Bun, Node and our other servers.
//!
//! Used by `cargo run --release -p bench -- memory` and `-- fanout`; not run
//! on its own.

use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A server process to measure.
pub struct Watched {
    /// Where it listens, e.g. `ws://127.0.0.1:40123`.
    pub url: String,
    pid: u32,
    /// The process, if this program started it (killed when dropped).
    _child: Option<Child>,
}

impl Watched {
    /// A server someone else started: `url` to reach it, `pid` to watch it.
    pub fn external(url: String, pid: u32) -> Self {
        Self {
            url,
            pid,
            _child: None,
        }
    }

    /// Starts `bench serve-ws ARGS…` and waits for its started line.
    pub async fn start_ws_server(args: &[&str]) -> anyhow::Result<Self> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("serve-ws")
            .args(args)
            .stdout(Stdio::piped())
            // Its log would only say that the connections were dropped at the end.
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("could not start the server")?;
        let pid = child.id().context("the server exited")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let line = BufReader::new(stdout)
            .lines()
            .next_line()
            .await?
            .context("the server exited before its started line")?;
        let url = common::listening_url(&line)
            .context("no URL in the started line")?
            .to_string();
        Ok(Self {
            url,
            pid,
            _child: Some(child),
        })
    }

    /// Its resident memory, in KiB (`VmRSS` in `/proc/PID/status`).
    pub fn resident_kib(&self) -> anyhow::Result<u64> {
        resident_kib(self.pid)
    }

    /// The CPU time it has used so far, in user and kernel mode together
    /// (fields 14 and 15 of `/proc/PID/stat`, all its threads).
    pub fn cpu_time(&self) -> anyhow::Result<Duration> {
        cpu_time(self.pid)
    }
}

fn resident_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .context("could not read the server's /proc status (this measurement needs Linux)")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in /proc status")
}

/// Clock ticks per second in `/proc/PID/stat`: Linux's `USER_HZ`, which is
/// 100 on every architecture it runs on.
const TICKS_PER_SECOND: u64 = 100;

fn cpu_time(pid: u32) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .context("could not read the server's /proc stat (this measurement needs Linux)")?;
    let ticks = cpu_ticks(&stat).context("no CPU times in /proc stat")?;
    Ok(Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND))
}

/// utime plus stime, fields 14 and 15 of a `/proc/PID/stat` line. The
/// command name, field 2, is in parentheses and may hold spaces and
/// parentheses of its own, so fields are counted from the last `)`.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    // `rest` begins with field 3.
    let mut fields = rest.split_whitespace().skip(14 - 3);
    let user: u64 = fields.next()?.parse().ok()?;
    let kernel: u64 = fields.next()?.parse().ok()?;
    Some(user + kernel)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This process's own memory reads as a plausible number.
    #[test]
    fn reads_resident_memory_from_proc() {
        let kib = resident_kib(std::process::id()).expect("VmRSS");
        assert!((100..10_000_000).contains(&kib), "{kib} KiB");
        assert!(cpu_time(std::process::id()).is_ok());
    }

    /// The CPU times are found after a command name with spaces and a `)`.
    #[test]
    fn cpu_ticks_skip_an_awkward_command_name() {
        let stat = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 \
                    120 0 0 0 731 269 0 0 20 0 3 0 1000 0 0";
        assert_eq!(cpu_ticks(stat), Some(731 + 269));
        assert_eq!(cpu_ticks("4242 (cut) S 1"), None);
    }
}
