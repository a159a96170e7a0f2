// The deployment test (`make test-deploy`, scripts/test-deploy.sh): the browser against a
// release deployed behind nginx with TLS, which the script has started; it names the
// address (ZTD_DEPLOY_URL) and the folder of the replicas' logs (ZTD_DEPLOY_LOGS).
import { defineConfig } from "@playwright/test";
import { CHROMIUM } from "./chromium";

export default defineConfig({
  testDir: "./deploy",
  reporter: "list",
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  use: {
    baseURL: process.env.ZTD_DEPLOY_URL,
    // The certificate is made for the test and signed by nobody.
    ignoreHTTPSErrors: true,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: CHROMIUM,
  },
  projects: [
    { name: "js-on", use: { javaScriptEnabled: true } },
    { name: "js-off", use: { javaScriptEnabled: false } },
  ],
});
