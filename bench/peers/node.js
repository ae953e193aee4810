// Node.js as a user would write two of the servers bench/peers.sh measures
// ours beside: its own `http` module, and the npm package `ws` (the
// WebSocket library most Node servers use):
//
//   node bench/peers/node.js http PORT   every request gets the article's page
//   node bench/peers/node.js ws PORT     a WebSocket echo, compression off
//
// The page's text comes from $HELLO_BODY; `ws` is found through $NODE_PATH
// (peers.sh sets both).
const [mode, port] = process.argv.slice(2);
const host = "127.0.0.1";
const started = (url) => console.log(`Node ${mode} server started. Listening on ${url}`);

if (mode === "http") {
    const body = Buffer.from(process.env.HELLO_BODY);
    const headers = { "Content-Type": "text/html", "Content-Length": body.length };
    require("node:http")
        .createServer((request, response) => response.writeHead(200, headers).end(body))
        .listen(Number(port), host, () => started(`http://${host}:${port}`));
} else if (mode === "ws") {
    const { WebSocketServer } = require("ws");
    const server = new WebSocketServer({ host, port: Number(port), perMessageDeflate: false });
    server.on("connection", (ws) => ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary })));
    server.on("listening", () => started(`ws://${host}:${port}`));
} else {
    console.error("usage: node bench/peers/node.js http|ws PORT");
    process.exit(1);
}
