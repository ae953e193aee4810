// Launches Debian's Chromium, headless, through playwright-core (which
// downloads no browser of its own), with the background services that
// would reach for the network turned off: the machine running the interop
// suite may have none. Shared by check.js and demo.js.
const { chromium } = require("playwright-core");

function launch() {
  return chromium.launch({
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
}

module.exports = { launch };
