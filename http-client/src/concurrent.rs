//! `--concurrent N`: N GETs at once, and how many TCP connections carried
//! them. The demonstration of HTTP/2's multiplexing:
//!
//! ```text
//! cargo run -p http-client -- --concurrent 50 --http2 http://localhost:8000
//! 50 answers over 1 TCP connection in ... ms
//! cargo run -p http-client -- --concurrent 50 http://localhost:8000
//! 50 answers over 50 TCP connections in ... ms
//! ```
//!
//! Over HTTP/2 the N requests are N streams on one connection, their frames
//! interleaved. Over HTTP/1.1 a connection carries one request at a time
//! (pipelining aside, which no browser uses), so N requests in flight at
//! once need N connections, each with its own TCP (and TLS) handshake:
//! why browsers open six per site. Beyond the article, which sends one.

use std::time::{Duration, Instant};

use futures_util::future::try_join_all;

use crate::{Connection, Options};

/// GETs `url` `count` times at once, within `timeout`, and prints a line
/// saying how many answers came over how many TCP connections, and how
/// long it all took, connecting included. `options.http2` chooses one
/// connection for all or, over HTTP/1.1, one each.
pub async fn concurrent(
    url: &str,
    count: usize,
    options: &Options,
    timeout: Duration,
    verbose: bool,
) -> anyhow::Result<()> {
    let uri = common::url::parse(url, "http")?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let work = async {
        let started = Instant::now();
        let (connections, opened) = connect(url, &uri, count, options, verbose).await?;
        let gets = connections.into_iter().map(|mut connection| async move {
            let response = connection.get(path).await?;
            connection.text(response).await
        });
        let answers = try_join_all(gets).await?.len();
        Ok((answers, opened, started.elapsed()))
    };
    let no_answer = || format!("not every answer from {url}");
    let (answers, opened, took) = common::cli::within(timeout, no_answer, work).await?;
    println!("{}", summary(answers, opened, took));
    Ok(())
}

/// One [`Connection`] handle for each of the `count` requests, and how many
/// TCP connections were opened for them: one, shared by all, over HTTP/2;
/// `count`, opened at once, over HTTP/1.1.
async fn connect(
    url: &str,
    uri: &hyper::Uri,
    count: usize,
    options: &Options,
    verbose: bool,
) -> anyhow::Result<(Vec<Connection>, usize)> {
    if options.http2 {
        let connection = Connection::open(url, uri, options, verbose).await?;
        let streams = (0..count).map(|_| connection.share());
        return Ok((streams.collect::<anyhow::Result<_>>()?, 1));
    }
    let opening = (0..count).map(|_| Connection::open(url, uri, options, verbose));
    let connections = try_join_all(opening).await?;
    let opened = connections.len();
    Ok((connections, opened))
}

/// "50 answers over 1 TCP connection in 12.3 ms".
fn summary(answers: usize, connections: usize, took: Duration) -> String {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    format!(
        "{answers} answer{} over {connections} TCP connection{} in {:.1} ms",
        plural(answers),
        plural(connections),
        took.as_secs_f64() * 1000.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One and many read as English.
    #[test]
    fn the_summary_counts_in_english() {
        let took = Duration::from_micros(12_345);
        assert_eq!(
            summary(50, 1, took),
            "50 answers over 1 TCP connection in 12.3 ms"
        );
        assert_eq!(
            summary(1, 2, took),
            "1 answer over 2 TCP connections in 12.3 ms"
        );
    }
}
