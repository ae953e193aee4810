//! Both of our servers inside the benchmark's own process, on free ports,
//! with one feed behind their `/tick` paths: what the comparison and the
//! feed benchmarks measure, with no process boundary in the way.
//!
//! Used by `cargo run --release -p bench` and `-- feed`; not run on its own.

use std::net::SocketAddr;

use common::feed::Feed;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Both servers, in this process, on free ports.
pub(crate) struct Servers {
    pub(crate) http: SocketAddr,
    pub(crate) ws: SocketAddr,
    stops: Vec<oneshot::Sender<()>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Servers {
    /// Starts both servers, with `feed` behind their `/tick` paths.
    pub(crate) async fn start(feed: Feed) -> anyhow::Result<Self> {
        let http_listener = TcpListener::bind("127.0.0.1:0").await?;
        let ws_listener = TcpListener::bind("127.0.0.1:0").await?;
        let (http, ws) = (http_listener.local_addr()?, ws_listener.local_addr()?);
        let (http_stop, http_stopped) = oneshot::channel::<()>();
        let (ws_stop, ws_stopped) = oneshot::channel::<()>();
        // The echo comes back unchanged, so both directions carry the same
        // payload, and no line is printed per message.
        let options = ws_server::Options {
            echo_plain: true,
            quiet: true,
            ..ws_server::Options::default()
        };
        let tasks = vec![
            tokio::spawn(http_server::serve(http_listener, feed.clone(), async {
                let _ = http_stopped.await;
            })),
            tokio::spawn(ws_server::serve(ws_listener, options, feed, async {
                let _ = ws_stopped.await;
            })),
        ];
        Ok(Self {
            http,
            ws,
            stops: vec![http_stop, ws_stop],
            tasks,
        })
    }

    /// Shuts both down and waits until they have.
    pub(crate) async fn stop(self) {
        for stop in self.stops {
            let _ = stop.send(());
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
