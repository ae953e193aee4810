//! Beyond one machine: the chat room and the feed shared by every server
//! instance started with the same `--redis URL`.
//!
//! SKELETON: the signatures every crate codes against; the bodies are being
//! written (issue #21). Without `--redis` nothing here runs.

use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::feed::Feed;

/// The flag both servers take (`--redis URL`).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct RedisOptions {
    /// Share the chat room and the feed with every other instance started
    /// with the same URL, e.g. redis://127.0.0.1:6379. Without it, both
    /// stay in this process
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,
}

impl RedisOptions {
    /// Connects if `--redis` was given: `Ok(None)` without it, and a
    /// one-line error if Redis cannot be reached now.
    pub async fn connect(&self) -> anyhow::Result<Option<Redis>> {
        match &self.redis {
            Some(url) => Redis::connect(url).await.map(Some),
            None => Ok(None),
        }
    }
}

/// A handle on Redis, shared by everything in this process. Cloning it
/// gives another handle on the same connection.
#[derive(Clone, Debug)]
pub struct Redis {
    instance: u64,
}

impl Redis {
    /// Connects to `url`, failing fast (a one-line error) if Redis is not
    /// there, and takes this instance's number.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        anyhow::bail!("--redis {url}: not built yet")
    }

    /// This instance's number, unique among every instance that ever
    /// connected to this Redis.
    pub fn instance(&self) -> u64 {
        self.instance
    }

    /// The feed shared by every instance: a replica of the ticks in Redis,
    /// made by whichever instance holds the lease, every `interval`. Closing
    /// it (shutdown) stops the task behind it and gives the lease up.
    pub fn feed(&self, interval: Duration) -> Feed {
        let _ = interval;
        Feed::new()
    }

    /// A channel every instance publishes to and hears from, named `name`.
    pub async fn topic(&self, name: &str) -> anyhow::Result<Topic> {
        let _ = name;
        let (publisher, heard) = mpsc::unbounded_channel();
        Ok(Topic {
            publisher: Publisher { queue: publisher },
            heard,
        })
    }
}

/// One instance's end of a topic: what it publishes, and what it hears.
pub struct Topic {
    publisher: Publisher,
    heard: mpsc::UnboundedReceiver<Bytes>,
}

impl Topic {
    /// A handle that publishes to this topic.
    pub fn publisher(&self) -> Publisher {
        self.publisher.clone()
    }

    /// The next message published by any instance (this one included), in
    /// the order each instance published them; `None` once every publisher
    /// is gone.
    pub async fn next(&mut self) -> Option<Bytes> {
        self.heard.recv().await
    }
}

/// Publishes to a topic without waiting for Redis.
#[derive(Clone, Debug)]
pub struct Publisher {
    queue: mpsc::UnboundedSender<Bytes>,
}

impl Publisher {
    /// Queues `message` for every instance. Never waits: messages go out in
    /// order from a task of their own. While Redis is out of reach, a message
    /// is heard by this instance alone.
    pub fn publish(&self, message: Bytes) {
        let _ = self.queue.send(message);
    }
}
