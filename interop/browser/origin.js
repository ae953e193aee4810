// Checks ws-server's Origin rule in a real browser: loads PAGE (any page,
// such as http-server's `/`) in headless Chromium, opens a WebSocket from it
// to WS, and prints `open` or `refused`. A page's WebSocket request carries
// the page's Origin, and only a browser sends it truthfully, so only a
// browser can show the rule at work.
//
//   node origin.js PAGE WS
//
// The host name `other.test` resolves to 127.0.0.1 here
// (--host-resolver-rules), so a page from `http://other.test:PORT/` is a
// page from another site on this same machine. Exits 1 if the page did not
// load or the WebSocket neither opened nor failed within 10 seconds.
const { launch } = require("./chromium");

const BUDGET_MS = 10000;

async function main(pageUrl, wsUrl) {
  const browser = await launch(["--host-resolver-rules=MAP other.test 127.0.0.1"]);
  try {
    const page = await browser.newPage();
    await page.goto(pageUrl, { timeout: BUDGET_MS });
    // `onerror` is all a page learns of a failed upgrade: the browser never
    // shows a page the status (here 403) of a WebSocket handshake. run.sh
    // first opens one from an allowed page to the same server, so a
    // refusal here is the Origin rule, not a server that is not there.
    const outcome = await page.evaluate(
      ([url, budget]) =>
        new Promise((resolve) => {
          const ws = new WebSocket(url);
          ws.onopen = () => resolve("open");
          ws.onerror = () => resolve("refused");
          setTimeout(() => resolve("no answer"), budget);
        }),
      [wsUrl, BUDGET_MS],
    );
    console.log(outcome);
    return outcome === "no answer" ? 1 : 0;
  } finally {
    await browser.close();
  }
}

const [pageUrl, wsUrl] = process.argv.slice(2);
main(pageUrl, wsUrl).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error.message);
    process.exit(1);
  },
);
