//! Numbers behind the article's claims, measured on the machine you run it on.
//!
//! Run: `cargo run --release -p bench` for the comparison table (about 20
//! seconds), `cargo run --release -p bench -- memory` for the memory an idle
//! WebSocket connection costs the server, `cargo run --release -p bench --
//! feed` for the feed four ways, `cargo run --release -p bench -- fanout`
//! for one feed pushed to 10,000 followers.
//!
//! Mirrors the article's comparison table: "Overhead: High (each request
//! re-establishes)" for HTTP against "Low (single, sustained connection)" for
//! WebSocket, and "persistent connections require more resources from the
//! server". [`compare`] measures the first, [`memory`] the second, and
//! [`feed`] the ways of delivering a live feed that the articles compare;
//! [`fanout`] pushes one feed to many followers. `bench/peers.sh` uses
//! [`peers`], [`memory`] and [`fanout`] to put our servers beside the ones a
//! user would pick instead (nginx, Bun, Node), the article's Python
//! programs, a bare hyper server and a raw TCP echo.

pub mod compare;
mod connection;
mod counted;
pub mod fanout;
pub mod feed;
pub mod memory;
pub mod peers;
mod servers;
pub mod watched;

/// One line saying what this was measured on: cores, CPU, kernel, build.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|name| name.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let build = if cfg!(debug_assertions) {
        "debug build"
    } else {
        "release build"
    };
    format!("{cores} cores, {cpu}, Linux {}, {build}", kernel.trim())
}
