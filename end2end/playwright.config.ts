import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "@playwright/test";
import { CHROMIUM } from "./chromium";
import { MAIN_PORT, REPLICA_PORTS, REPLICA_SANDBOX_PORT } from "./tests/ports";

// The dashboard as built by `scripts/build-site.sh` (server binary + target/site), started from
// the repository root against its built-in sandbox (no Microsoft configuration).
const port = MAIN_PORT;
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

// With a PostgreSQL admin URL in ZTD_E2E_POSTGRES (`make test` passes the one
// scripts/postgres.sh answers at), also two replicas sharing a fresh database there, one
// encryption key and one standalone sandbox, for replicas.spec.ts. The database is named
// ztd_test_* so that `scripts/postgres.sh start` drops it if a run is killed before its end.
const postgres = process.env.ZTD_E2E_POSTGRES;
if (postgres && !process.env.ZTD_E2E_REPLICA_DATABASE) {
  const name = `ztd_test_e2e_${randomBytes(6).toString("hex")}`;
  execFileSync("psql", [postgres, "-qc", `CREATE DATABASE ${name}`]);
  const database = new URL(postgres);
  database.pathname = `/${name}`;
  process.env.ZTD_E2E_REPLICA_DATABASE = database.toString();
  process.env.ZTD_E2E_REPLICA_KEY = randomBytes(32).toString("base64");
  process.on("exit", () => {
    try {
      execFileSync("psql", [postgres, "-qc", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
    } catch {
      console.warn(`could not drop the database ${name}; scripts/postgres.sh start will`);
    }
  });
}

const sandboxUrl = `http://localhost:${REPLICA_SANDBOX_PORT}`;
const replicaServers = postgres
  ? [
      {
        command: `${server} sandbox --addr 127.0.0.1:${REPLICA_SANDBOX_PORT} ${REPLICA_PORTS.map(
          (p) => `--redirect-uri http://127.0.0.1:${p}/auth/callback`,
        ).join(" ")}`,
        cwd: "..",
        url: `http://127.0.0.1:${REPLICA_SANDBOX_PORT}/_sandbox`,
      },
      ...REPLICA_PORTS.map((p) => ({
        command: server,
        cwd: "..",
        env: {
          ZTD_LISTEN_ADDR: `127.0.0.1:${p}`,
          ZTD_DATA_DIR: join(process.env.ZTD_E2E_DATA_DIR!, "replicas"),
          ZTD_DATABASE_URL: process.env.ZTD_E2E_REPLICA_DATABASE!,
          ZTD_ENCRYPTION_KEY: process.env.ZTD_E2E_REPLICA_KEY!,
          ZTD_ENTRA_TENANT: "5a9d1f3e-0c2b-4e7a-9b1d-7c4e2f6a8b10",
          ZTD_ENTRA_CLIENT_ID: "0b5e2c4d-6f70-4a1b-8c9d-e0f1a2b3c4d5",
          ZTD_ENTRA_CLIENT_SECRET: "sandbox-client-secret",
          ZTD_ENTRA_AUTHORITY_HOST: sandboxUrl,
          ZTD_PARTNER_CENTER_URL: sandboxUrl,
          // A list seen is reused for a minute: only the database can tell the other replica
          // that a batch was made.
          ZTD_BATCH_LIST_REUSE_SECS: "60",
        },
        url: `http://127.0.0.1:${p}/healthz`,
      })),
    ].map((web) => ({
      ...web,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "pipe" as const,
      stderr: "pipe" as const,
      gracefulShutdown: { signal: "SIGTERM" as const, timeout: 5_000 },
    }))
  : [];

export default defineConfig({
  testDir: "./tests",
  // The html reporter can hang.
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
    launchOptions: CHROMIUM,
  },
  projects: [
    { name: "js-on", use: { javaScriptEnabled: true }, testIgnore: /replicas\.spec\.ts/ },
    { name: "js-off", use: { javaScriptEnabled: false }, testIgnore: /replicas\.spec\.ts/ },
    ...(postgres
      ? [
          { name: "replicas-js-on", use: { javaScriptEnabled: true }, testMatch: /replicas\.spec\.ts/ },
          { name: "replicas-js-off", use: { javaScriptEnabled: false }, testMatch: /replicas\.spec\.ts/ },
        ]
      : []),
  ],
  webServer: [
    {
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
    ...replicaServers,
  ],
});
