//! How the client ends an HTTP/2 connection cleanly, with the WebSocket
//! inside it (`--http2`).
//!
//! Over HTTP/1.1 the close handshake ends the WebSocket and the TCP
//! connection with it. Over HTTP/2 it ends only the stream: the
//! connection is still there, and closing it is HTTP/2's business, in
//! this order:
//!
//! 1. our side of the stream ends, a DATA frame with END_STREAM (the
//!    server's has ended already, or it reset the stream);
//! 2. with no stream left and no request to come, hyper sends GOAWAY and
//!    shuts the connection down (TLS: close_notify, then TCP's FIN);
//! 3. we read on until the server closes its side too.
//!
//! Left out, the program would exit halfway, and the server would see a
//! connection dropped mid-goodbye, or write its own last frames to a
//! socket that is gone (and fail with "broken pipe").

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc;

use crate::dial::Io;

/// Runs hyper's tasks for one connection (it spawns a few: one reads and
/// writes the frames, one sends our WebSocket's DATA), each holding a
/// clone of the sender, so that the receiver returned by [`Tasks::new`]
/// yields `None` once the last has ended: the connection is closed.
#[derive(Clone)]
pub(super) struct Tasks(mpsc::Sender<Infallible>);

impl Tasks {
    pub(super) fn new() -> (Self, mpsc::Receiver<Infallible>) {
        let (alive, closed) = mpsc::channel(1);
        (Self(alive), closed)
    }
}

impl<F> hyper::rt::Executor<F> for Tasks
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, task: F) {
        let alive = self.0.clone();
        tokio::spawn(async move {
            task.await;
            drop(alive);
        });
    }
}

/// The WebSocket's stream of the HTTP/2 connection. Shutting it down ends
/// our side of the stream and lets it go (steps 1 and 2), and returns once
/// every task of the connection has ended, `closed` from [`Tasks::new`].
pub(super) struct Stream {
    upgraded: Option<TokioIo<Upgraded>>,
    closed: mpsc::Receiver<Infallible>,
}

impl Stream {
    pub(super) fn new(upgraded: TokioIo<Upgraded>, closed: mpsc::Receiver<Infallible>) -> Self {
        let upgraded = Some(upgraded);
        Self { upgraded, closed }
    }

    fn upgraded(&mut self) -> io::Result<Pin<&mut TokioIo<Upgraded>>> {
        let upgraded = self.upgraded.as_mut();
        let upgraded = upgraded.ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))?;
        Ok(Pin::new(upgraded))
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.upgraded()?.poll_read(cx, buf)
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.upgraded()?.poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.upgraded()?.poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(upgraded) = self.upgraded.as_mut() {
            // An error only says the server has already reset the stream.
            let _ = ready!(Pin::new(upgraded).poll_shutdown(cx));
            self.upgraded = None;
        }
        // `None` once every task of the connection has ended.
        ready!(self.closed.poll_recv(cx));
        Poll::Ready(Ok(()))
    }
}

/// The connection's socket (or TLS inside it), as hyper writes HTTP/2 on
/// it. Its shutdown sends our FIN (TLS: close_notify first), then reads,
/// and drops, what the server still sends (step 3), until it closes too.
pub(super) struct Linger {
    inner: Box<dyn Io>,
    shut: bool,
}

impl Linger {
    pub(super) fn new(inner: Box<dyn Io>) -> Self {
        let shut = false;
        Self { inner, shut }
    }
}

impl AsyncRead for Linger {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Linger {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.shut {
            ready!(Pin::new(&mut self.inner).poll_shutdown(cx))?;
            self.shut = true;
        }
        let mut scratch = [0; 1024];
        loop {
            let mut buf = ReadBuf::new(&mut scratch);
            ready!(Pin::new(&mut self.inner).poll_read(cx, &mut buf))?;
            if buf.filled().is_empty() {
                return Poll::Ready(Ok(()));
            }
        }
    }
}
