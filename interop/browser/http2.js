// Which HTTP a browser's WebSocket rides on. Chromium opens a WebSocket
// over HTTP/2 (RFC 8441: an extended CONNECT with `:protocol: websocket`,
// on a stream of a connection it already has) only for a `wss:` URL, and
// only when it already holds an HTTP/2 connection to that same host and
// port whose SETTINGS said SETTINGS_ENABLE_CONNECT_PROTOCOL = 1. Otherwise
// it opens a new TLS connection, offers only http/1.1 in it (ALPN), and
// sends the HTTP/1.1 Upgrade, as it always has.
//
//   node http2.js PAGE          loads PAGE (ws-server's own /echo.html,
//                               whose WebSocket goes back to where it came
//                               from) and waits for it to show the reply
//   node http2.js PAGE WS       loads PAGE (from another server), then opens
//                               a WebSocket from it to WS and sends a message
//
// Prints `page: PROTOCOL` (how the page itself came: h2 or http/1.1, from
// the browser's own Navigation Timing entry) and `reply: TEXT`. The
// WebSocket's own protocol is not shown to a page; run.sh asks ws-server's
// /stats. CHROMIUM_FLAGS (space-separated) adds flags to Chromium's command
// line, as in demo.js. Exits 1 if no reply came within 10 seconds.
const { launch } = require("./chromium");

const BUDGET_MS = 10000;
const MESSAGE = "hello from Chromium over TLS";

async function main(pageUrl, wsUrl) {
  const browser = await launch((process.env.CHROMIUM_FLAGS || "").split(" ").filter(Boolean));
  try {
    const page = await browser.newPage();
    await page.goto(pageUrl, { timeout: BUDGET_MS });
    const protocol = await page.evaluate(
      () => performance.getEntriesByType("navigation")[0].nextHopProtocol,
    );
    console.log(`page: ${protocol}`);
    const reply = wsUrl ? await exchange(page, wsUrl) : await pageReply(page);
    console.log(`reply: ${reply}`);
  } finally {
    await browser.close();
  }
}

// The page's own WebSocket: waits until the page shows the server's reply.
async function pageReply(page) {
  const shown = await page
    .waitForFunction(() => document.body.innerText.match(/Server Response: .*/), null, {
      timeout: BUDGET_MS,
    })
    .catch(async () => {
      throw new Error(`the page never showed a reply; it shows: ${await page.innerText("body")}`);
    });
  return (await shown.jsonValue())[0];
}

// A WebSocket from the page to `url`: sends MESSAGE and returns the reply.
function exchange(page, url) {
  return page.evaluate(
    ([url, message, budget]) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.onopen = () => ws.send(message);
        ws.onmessage = (event) => {
          resolve(event.data);
          ws.close(1000);
        };
        ws.onerror = () => reject(new Error(`the WebSocket to ${url} failed`));
        setTimeout(() => reject(new Error(`no reply from ${url}`)), budget);
      }),
    [url, MESSAGE, BUDGET_MS],
  );
}

main(process.argv[2], process.argv[3]).catch((error) => {
  console.error(error.message);
  process.exit(1);
});
