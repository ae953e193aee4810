// Loads echo.html in headless Chromium (Debian's, driven by playwright-core)
// and prints the reply the page shows, once it shows one. Waiting for the
// page itself, rather than dumping it after a time budget, means a slow
// machine makes the check slower, never wrong.
//
//   node check.js PAGE_URL
//
// Exits 1 if no reply appears within 10 seconds.
const { chromium } = require("playwright-core");

async function main(url) {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction(
      () => document.getElementById("reply").textContent !== "waiting",
      null,
      { timeout: 10000 },
    );
    console.log(await page.textContent("#reply"));
  } finally {
    await browser.close();
  }
}

main(process.argv[2]).catch((error) => {
  console.error(error.message);
  process.exit(1);
});
