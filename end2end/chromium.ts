// How the browser tests start Chromium: both configurations (playwright.config.ts, and
// deploy.config.ts for the deployment test) use these options.
import type { LaunchOptions } from "@playwright/test";

export const CHROMIUM: LaunchOptions = {
  // Debian's chromium; never `npx playwright install` (no browser download here).
  executablePath: "/usr/bin/chromium",
  // The machine's network is closed: without these Chromium stalls on start-up calls home.
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};
