//! The article's echo, the reason ws-server exists. In Python:
//!
//! ```python
//! async def echo(websocket, path):
//!     async for message in websocket:
//!         print(f"Received Message: {message}")
//!         await websocket.send(f"Server Response: {message}")
//! ```
//!
//! The loop, `async for message in websocket`, is in `connection.rs`
//! (`converse`), because there it also listens for the heartbeat and for
//! shutdown. For each message that arrives it calls [`echo`] below, which is
//! the loop's body: the other two lines, in the same order.
//!
//! Run `cargo run -p ws-server`, then `cargo run -p ws-client` in a second
//! terminal and type a line.

use tokio_tungstenite::tungstenite::{Error, Message};

use crate::connection::{WebSocket, send};
use crate::printer::Printer;

/// What the echo does with one `message` from its client. With `plain`
/// (`--echo-plain`, for conformance suites such as Autobahn) text comes back
/// unchanged instead of as `Server Response: ...`.
pub(crate) async fn echo(
    websocket: &mut WebSocket,
    message: Message,
    printer: &Printer,
    plain: bool,
) -> Result<(), Error> {
    match message {
        Message::Text(message) => {
            // print(f"Received Message: {message}")
            printer.print(&message);
            // await websocket.send(f"Server Response: {message}")
            let reply = if plain {
                Message::Text(message)
            } else {
                Message::text(common::server_response(&message))
            };
            send(websocket, reply).await
        }
        // Binary messages come back unchanged: the article's f-string is for text.
        Message::Binary(data) => send(websocket, Message::Binary(data)).await,
        // tungstenite has already queued the pong for a ping, and our own
        // close frame for the client's close. Both are written the next time
        // the loop polls the stream, which is why the loop never stops at a
        // Close: polling until the stream ends is what completes the close
        // handshake.
        Message::Ping(_) | Message::Pong(_) | Message::Close(_) | Message::Frame(_) => Ok(()),
    }
}
