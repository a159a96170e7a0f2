import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "@playwright/test";

// The dashboard as built by `cargo leptos build` (server binary + target/site), started from
// the repository root against its built-in sandbox (no Microsoft configuration).
const port = Number(process.env.ZTD_E2E_PORT ?? 3400);
const baseURL = `http://127.0.0.1:${port}`;
// The server binary, relative to the repository root (e.g. target/release/ztd-dashboard).
const server = process.env.ZTD_E2E_SERVER ?? "target/debug/ztd-dashboard";

// A fresh, empty data directory (SQLite sessions, encryption key) for every run, removed when
// the runner exits. The config file is evaluated again in each worker; the environment
// variable makes them all agree, and only the process that made the directory removes it.
if (!process.env.ZTD_E2E_DATA_DIR) {
  const dataDir = mkdtempSync(join(tmpdir(), "ztd-e2e-"));
  process.env.ZTD_E2E_DATA_DIR = dataDir;
  process.on("exit", () => rmSync(dataDir, { recursive: true, force: true }));
}

export default defineConfig({
  testDir: "./tests",
  // The html reporter can hang (DESIGN.md §5).
  reporter: "list",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
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
    },
  },
  projects: [
    { name: "js-on", use: { javaScriptEnabled: true } },
    { name: "js-off", use: { javaScriptEnabled: false } },
  ],
  webServer: {
    command: server,
    cwd: "..",
    env: {
      ZTD_LISTEN_ADDR: `127.0.0.1:${port}`,
      // A known port, so that tests can ask the sandbox's admin API for seeded devices.
      ZTD_SANDBOX_ADDR: `127.0.0.1:${port + 1}`,
      ZTD_DATA_DIR: process.env.ZTD_E2E_DATA_DIR,
    },
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 5_000 },
  },
});
