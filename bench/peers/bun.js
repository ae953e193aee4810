// Bun 1.4 (its own HTTP server, and uWebSockets inside for WebSocket) as a
// user would write each of the servers bench/peers.sh measures ours beside:
//
//   bun bench/peers/bun.js http PORT    every request gets the article's page
//   bun bench/peers/bun.js ws PORT      a WebSocket echo, compression off
//   bun bench/peers/bun.js feed PORT    /tick pushes a tick five times a second
//
// The page's text comes from $HELLO_BODY (peers.sh sets it). The feed's
// ticks are the JSON text of ours (common/src/feed.rs), sent to every
// follower at once with server.publish: Bun frames each tick once and
// copies the same bytes to every subscriber.
const [mode, port] = process.argv.slice(2);
const hostname = "127.0.0.1";
const started = (url) => console.log(`Bun ${mode} server started. Listening on ${url}`);
// The WebSocket servers' answer to a request: the upgrade, or 426 if it asked for none.
const upgradeOnly = (request, server) =>
    server.upgrade(request) ? undefined : new Response("WebSocket only", { status: 426 });

if (mode === "http") {
    const body = process.env.HELLO_BODY;
    const server = Bun.serve({
        hostname,
        port: Number(port),
        fetch: () => new Response(body, { headers: { "Content-Type": "text/html" } }),
    });
    started(`http://${hostname}:${server.port}`);
} else if (mode === "ws") {
    const server = Bun.serve({
        hostname,
        port: Number(port),
        fetch: upgradeOnly,
        websocket: {
            perMessageDeflate: false,
            message: (ws, message) => ws.send(message),
        },
    });
    started(`ws://${hostname}:${server.port}`);
} else if (mode === "feed") {
    let seq = 0;
    let latest;
    const server = Bun.serve({
        hostname,
        port: Number(port),
        fetch: upgradeOnly,
        websocket: {
            perMessageDeflate: false,
            // As ours does, a new follower gets the latest tick at once.
            open(ws) {
                ws.subscribe("tick");
                if (latest) ws.send(latest);
            },
            message() {},
        },
    });
    // Each tick at its own time on a fixed schedule, as tokio's interval
    // does for ws-server: the time publishing takes does not push the
    // next tick back.
    const first = performance.now();
    const tick = () => {
        seq += 1;
        const created_us = Math.round((performance.timeOrigin + performance.now()) * 1000);
        latest = JSON.stringify({ seq, price: 100 + 0.25 * (((seq * 7) % 17) - 8), created_us });
        server.publish("tick", latest);
        setTimeout(tick, Math.max(0, first + seq * 200 - performance.now()));
    };
    tick();
    started(`ws://${hostname}:${server.port}/tick`);
} else {
    console.error("usage: bun bench/peers/bun.js http|ws|feed PORT");
    process.exit(1);
}
