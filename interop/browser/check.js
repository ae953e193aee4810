// Loads a page in headless Chromium (Debian's, driven by playwright-core),
// waits until each element named on the command line is marked live (the
// page sets a `data-live` attribute once the element shows live data), and
// prints each one's text as `id: text`. Waiting for the page itself, rather
// than dumping it after a time budget, means a slow machine makes the check
// slower, never wrong.
//
//   node check.js PAGE_URL ID...
//
// Exits 1 if some element is not live within 10 seconds.
const { launch } = require("./chromium");

async function main(url, ids) {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(url);
    for (const id of ids) {
      const element = `#${id}[data-live]`;
      await page.waitForSelector(element, { timeout: 10000 }).catch(async () => {
        const shown = await page.textContent(`#${id}`);
        throw new Error(`#${id} never showed live data; it shows: ${shown}`);
      });
      console.log(`${id}: ${await page.textContent(element)}`);
    }
  } finally {
    await browser.close();
  }
}

main(process.argv[2], process.argv.slice(3)).catch((error) => {
  console.error(error.message);
  process.exit(1);
});
