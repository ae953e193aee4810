//! One accepted connection of http-server, from its first byte to its end:
//! the TLS handshake if there is one, then HTTP/1.1 or HTTP/2, whichever
//! the client speaks, with the deadlines and limits that keep one client
//! from holding the server.
//!
//! Not a program; `lib.rs`'s accept loop gives each connection to
//! [`Connection::serve`] in a task of its own. Beyond the article, whose
//! server speaks HTTP/1.0 and trusts every client.

use std::time::Duration;

use anyhow::{Context, bail};
use common::feed::Feed;
use common::tls::{Accepted, ServerTls};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::Watcher;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::Notify;

use crate::{MAX_HEAD_SIZE, Options, answer};

/// How many requests one HTTP/2 connection may have in flight at once
/// (`SETTINGS_MAX_CONCURRENT_STREAMS`): RFC 9113 advises no fewer than 100.
const MAX_STREAMS: u32 = 100;

/// How often an HTTP/2 connection is pinged to check that the client is
/// still there.
const PING_INTERVAL: Duration = Duration::from_secs(20);

/// hyper's settings for every connection, for both versions. The first bytes
/// decide which applies: the HTTP/2 connection preface, `PRI *
/// HTTP/2.0\r\n\r\nSM\r\n\r\n`, means HTTP/2 (a client that knows, or has
/// agreed by ALPN, that this server speaks it); anything else is read as
/// HTTP/1.1. The preface was chosen so that an HTTP/1.1 server reads it as
/// a request it refuses, never as one it answers.
pub(crate) fn settings(options: &Options) -> auto::Builder<TokioExecutor> {
    let deadline = Duration::from_secs(options.header_timeout);
    // HTTP/2 runs each request (each stream) in a task of its own, on
    // tokio: that is the executor.
    let mut settings = auto::Builder::new(TokioExecutor::new());
    // HTTP/1.1: the deadline starts when the connection is ready to read a
    // head: on accepting it, and again after each answer, so it also
    // bounds how long an idle keep-alive connection stays open.
    settings
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(deadline)
        .max_buf_size(MAX_HEAD_SIZE);
    // HTTP/2 has no head to wait for: frames of many requests interleave,
    // and hyper has no deadline for a request's HEADERS, nor for a
    // connection with no request open. What bounds a connection there is a
    // PING frame every PING_INTERVAL, which a live client must answer within
    // the header deadline or be disconnected; `Connection::http` adds a
    // deadline for the first request. A client that answers pings may keep
    // an idle connection open until the server shuts down (a GOAWAY frame).
    settings
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(MAX_STREAMS)
        // The same bound as an HTTP/1.1 head, for a request's headers once
        // HPACK has decoded them.
        .max_header_list_size(MAX_HEAD_SIZE as u32)
        .keep_alive_interval(PING_INTERVAL)
        .keep_alive_timeout(deadline);
    settings
}

/// What one connection's task needs to serve it.
pub(crate) struct Connection {
    /// hyper's settings: deadlines and limits, for both versions.
    pub(crate) http: auto::Builder<TokioExecutor>,
    /// The feed behind `/tick/...`.
    pub(crate) feed: Feed,
    /// Lets shutdown ask this connection to finish, and wait until it has.
    pub(crate) watcher: Watcher,
}

impl Connection {
    /// Serves one accepted connection: plain HTTP on the socket, or with
    /// `tls`, HTTP inside TLS once the handshake is done within `deadline`.
    pub(crate) async fn serve(
        self,
        stream: TcpStream,
        tls: Option<ServerTls>,
        deadline: Duration,
    ) -> anyhow::Result<()> {
        // Send each write at once, not after waiting for the last one's
        // acknowledgement (Nagle's algorithm): HTTP/2 writes several small
        // frames (SETTINGS, its ACK, HEADERS, DATA), and that wait, beside
        // the client's delayed ACK, would cost 40 ms.
        stream
            .set_nodelay(true)
            .context("could not set TCP_NODELAY")?;
        let Some(tls) = tls else {
            return self.http(stream, deadline).await;
        };
        // A peer that starts a handshake and stalls, or says nothing at all,
        // would hold the socket forever: it gets the same deadline as a
        // request head. So does the `400` answer to a plain HTTP request.
        let accepted = tokio::time::timeout(deadline, common::tls::accept(&tls, stream))
            .await
            .with_context(|| format!("no TLS handshake within {deadline:?}"))?
            .context("the TLS handshake failed")?;
        match accepted {
            // In the handshake the client may have listed the protocols it
            // speaks (ALPN) and the server picked `h2` or `http/1.1`; a
            // client that picked `h2` starts with the preface, as over TCP.
            Accepted::Tls(stream) => self.http(stream, deadline).await,
            // Told to use https://, or not even HTTP: nothing more to do.
            Accepted::Refused => bail!("refused: not a TLS client"),
        }
    }

    /// HTTP/1.1 or HTTP/2 on `stream`, the socket itself or a TLS stream:
    /// hyper reads requests from it and writes the answers `answer` gives.
    /// `TokioIo` only adapts tokio's streams to hyper's traits.
    ///
    /// The first request must arrive within `deadline`, whichever the
    /// version: hyper's HTTP/1.1 deadline starts only once the first bytes
    /// have told the versions apart, and HTTP/2 has none, so a client that
    /// connects and says nothing, or half a preface, is dropped here.
    async fn http<S>(self, stream: S, deadline: Duration) -> anyhow::Result<()>
    where
        S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let feed = self.feed;
        let first_request = std::sync::Arc::new(Notify::new());
        let arrived = first_request.clone();
        let site = service_fn(move |request| {
            // A permit, kept until `notified` takes it: the first request
            // counts even if it arrives before anyone waits.
            arrived.notify_one();
            answer(feed.clone(), request)
        });
        let connection = self.http.serve_connection(TokioIo::new(stream), site);
        let mut connection = std::pin::pin!(self.watcher.watch(connection));
        tokio::select! {
            ended = &mut connection => return ended.map_err(anyhow::Error::from_boxed),
            waited = tokio::time::timeout(deadline, first_request.notified()) => {
                if waited.is_err() {
                    bail!("no request within {deadline:?}");
                }
            }
        }
        connection.await.map_err(anyhow::Error::from_boxed)
    }
}
