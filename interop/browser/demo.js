// Loads http-server's /demo page in headless Chromium (Debian's, driven by
// playwright-core) and checks every panel against the two live servers:
//
// - the article's two exchanges: fetch("/") shows its answer, and the
//   WebSocket echo its reply;
// - each of the four ways of delivering the feed (short polling, long
//   polling, HTTP streaming, WebSocket push) shows a tick, has drawn points
//   in its chart, and its counters of requests and bytes have gone on
//   growing after they first showed (short polling must also have missed a
//   tick or seen one again, the flaw it is there to show);
// - the chat room: a line typed into the box comes back from the room.
//
// It waits for the page's own marks (a `data-live` attribute once a part
// shows live data; the counters' numbers in `data-*` attributes), never for
// a fixed time, so a slow machine makes the check slower, never wrong. All
// the waiting together is bounded by one budget of 10 seconds.
//
//   node demo.js 'http://127.0.0.1:PORT/demo?ws=ws://127.0.0.1:PORT' [--screenshot FILE]
//
// CHROMIUM_FLAGS (space-separated) adds flags to Chromium's command line:
// run.sh's https:// pairing uses it to trust its certificate.
//
// Prints one line per panel; exits 1 if some panel is not live in time or
// the page threw an error.
const { launch } = require("./chromium");

const BUDGET_MS = 10000;
const FEEDS = ["short-poll", "long-poll", "sse", "ws-push"];
const CHAT_LINE = "hello from Chromium";

async function main(url, screenshot) {
  const deadline = Date.now() + BUDGET_MS;
  const timeout = () => Math.max(1, deadline - Date.now());
  const browser = await launch((process.env.CHROMIUM_FLAGS || "").split(" ").filter(Boolean));
  const errors = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("pageerror", (error) => errors.push(error.message));
    try {
      await page.goto(url, { timeout: timeout() });

      // Waits for `selector` to be marked live; says what it shows if not.
      const live = (selector) =>
        page.waitForSelector(`${selector}[data-live]`, { timeout: timeout() }).catch(async () => {
          const shown = await page.textContent(selector).catch(() => "(not on the page)");
          throw new Error(`${selector} never showed live data; it shows: ${shown}`);
        });
      // The counters of feed panel `id`, from its data-* attributes.
      const counters = (id) =>
        page.$eval(`#${id}-cost`, (element) => ({
          requests: Number(element.dataset.requests),
          bytes: Number(element.dataset.bytes),
        }));

      // The article's two exchanges.
      for (const id of ["fetch", "echo"]) {
        await live(`#${id}`);
        console.log(`${id}: ${await page.textContent(`#${id}`)}`);
      }

      // Every feed panel shows a tick, a chart with points, and counters.
      const first = {};
      for (const id of FEEDS) {
        await live(`#${id}-tick`);
        await live(`#${id}-chart`);
        await live(`#${id}-cost`);
        first[id] = await counters(id);
      }

      // ...and its counters go on growing: bytes with every tick, requests
      // too for the two that ask for each (a stream or a WebSocket stays one
      // request).
      for (const id of FEEDS) {
        const polls = id === "short-poll" || id === "long-poll";
        await page
          .waitForFunction(
            ({ id, before, polls }) => {
              const { requests, bytes, missed, stale } = document.getElementById(`${id}-cost`).dataset;
              return Number(bytes) > before.bytes
                && (!polls || Number(requests) > before.requests)
                && (id !== "short-poll" || Number(missed) + Number(stale) > 0);
            },
            { id, before: first[id], polls },
            { timeout: timeout() },
          )
          .catch(async () => {
            const shown = await page.textContent(`#${id}-cost`);
            throw new Error(`#${id}-cost stopped at: ${shown} (first: ${JSON.stringify(first[id])})`);
          });
        const tick = await page.textContent(`#${id}-tick`);
        const points = await page.$eval(`#${id}-chart`, (canvas) => canvas.dataset.points);
        const cost = await page.textContent(`#${id}-cost`);
        console.log(`${id}: ${tick} | chart: ${points} points | ${cost}`);
      }

      // The chat room: send a line, and wait for the room to send it back.
      await live("#chat-form");
      await page.fill("#chat-input", CHAT_LINE);
      await page.click("#chat-send", { timeout: timeout() });
      const echoed = page.locator("#chat-lines li", { hasText: `: ${CHAT_LINE}` });
      await echoed.waitFor({ timeout: timeout() }).catch(async () => {
        const shown = await page.textContent("#chat-lines");
        throw new Error(`the room never sent back "${CHAT_LINE}"; it shows: ${shown}`);
      });
      console.log(`chat: ${await echoed.textContent()}`);
      if (errors.length) throw new Error("");
    } catch (error) {
      // A script error in the page is the likeliest reason a panel stayed
      // dead: say it, whatever the wait that gave up.
      if (errors.length) error.message += `\nthe page threw:\n${errors.join("\n")}`;
      throw error;
    } finally {
      if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    }
  } finally {
    await browser.close();
  }
}

const [url, flag, file] = process.argv.slice(2);
main(url, flag === "--screenshot" ? file : undefined).catch((error) => {
  console.error(error.message);
  process.exit(1);
});
