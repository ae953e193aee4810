// Launches Debian's Chromium, headless, through playwright-core (which
// downloads no browser of its own), with the background services that
// would reach for the network turned off: the machine running the interop
// suite may have none. Shared by check.js, demo.js and origin.js, which
// adds flags of its own (`extraArgs`).
const { chromium } = require("playwright-core");

function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      ...extraArgs,
    ],
  });
}

module.exports = { launch };
