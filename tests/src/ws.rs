//! A WebSocket client for tests, in small steps: connect, send and receive,
//! hang up properly. Every step is bounded by [`TIMEOUT`](crate::TIMEOUT).

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::within;

/// A tokio-tungstenite client's end of a connection.
pub type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A client connected to `url`.
pub async fn connect(url: &str) -> Client {
    within(connect_async(url)).await.expect("connect").0
}

/// The next message the server sends, on any stream: TCP, TLS, or an
/// HTTP/2 stream.
pub async fn receive<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut WebSocketStream<S>,
) -> Message {
    within(client.next())
        .await
        .expect("the connection ended")
        .expect("a WebSocket error")
}

/// Sends `text` and returns the reply's text.
pub async fn echo<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut WebSocketStream<S>,
    text: &str,
) -> String {
    within(client.send(Message::text(text)))
        .await
        .expect("send");
    receive(client)
        .await
        .into_text()
        .expect("a text reply")
        .to_string()
}

/// Ends the conversation as a well-behaved client does: a close frame, then
/// reading until the server's close frame has come back and the stream ends.
pub async fn hang_up<S: AsyncRead + AsyncWrite + Unpin>(mut client: WebSocketStream<S>) {
    within(client.close(None)).await.expect("close");
    while within(client.next()).await.is_some() {}
}

/// A new client on `url` sends a message and gets the article's reply: the
/// proof, after a test has misbehaved at a WebSocket server, that the server
/// still serves everyone else.
pub async fn assert_still_serves(url: &str) {
    let mut client = connect(url).await;
    assert_eq!(
        echo(&mut client, "still there?").await,
        "Server Response: still there?"
    );
    hang_up(client).await;
}
