//! How every program of the workspace starts and ends: parse the flags
//! (refusing one given where it does nothing), and turn an error into one
//! clear line on standard error and exit code 1.
//!
//! The article's Python programs let an exception print a traceback; a
//! learner running ours for the first time should instead read what went
//! wrong and what to do about it, on one line.

use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// Parses the command line into `T`.
///
/// `--help` and `--version` print and exit 0, as usual. A bad flag prints
/// clap's message and exits with 1, the same code as every other error of
/// these programs, so scripts need to know only one failure code.
pub fn parse_args<T: Parser>() -> T {
    T::try_parse().unwrap_or_else(|err| {
        let code = if err.use_stderr() { 1 } else { 0 };
        // If even printing fails there is nothing better left to do.
        let _ = err.print();
        std::process::exit(code)
    })
}

/// Ends a program: success is exit code 0; an error is printed as one line,
/// its causes joined by `: ` (anyhow's `{:#}`), then exit code 1.
pub fn exit_code(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The error for a flag given where it does nothing, such as `--count` to a
/// client that is not following the feed: "{flag} applies only {only}, not
/// at {url}". Ignoring the flag would leave the user wondering why it had no
/// effect; this says where it has one.
///
/// Checked by the programs rather than by clap, because what decides is the
/// URL's path, not another flag, and so that the error is one line like
/// every other.
pub fn flag_does_not_apply(flag: &str, only: &str, url: &str) -> anyhow::Error {
    anyhow::anyhow!("{flag} applies only {only}, not at {url}")
}

/// Awaits `work`, or gives up after `timeout` with the error
/// "{what} within {timeout} (see --timeout)": a server that accepts a
/// connection and then says nothing cannot make a client hang.
pub async fn within<T>(
    timeout: Duration,
    what: impl FnOnce() -> String,
    work: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    match tokio::time::timeout(timeout, work).await {
        Ok(result) => result,
        Err(_) => anyhow::bail!("{} within {timeout:?} (see --timeout)", what()),
    }
}

/// Parses a number of seconds such as `10` or `0.5` for flags like
/// `--timeout`, refusing what is not a finite, positive duration (a plain
/// `Duration::from_secs_f64` would panic on `-1`).
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    match Duration::try_from_secs_f64(seconds) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        _ => Err(format!("{text:?} is not a positive number of seconds")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sensible durations parse; nonsense is an error, never a panic.
    #[test]
    fn parse_seconds_refuses_what_would_panic() {
        assert_eq!(parse_seconds("2.5"), Ok(Duration::from_millis(2500)));
        for bad in ["-1", "0", "NaN", "inf", "1e300", "ten"] {
            assert!(parse_seconds(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
