// A release as README "Deploy" sets it up: two replicas on one PostgreSQL database, nginx in
// front with TLS and round robin (scripts/test-deploy.sh starts them). Through https://, with
// JavaScript on and off: sign in, upload, follow the job to its end, sign out. On the way:
// the cookies are __Host- prefixed, answers carry HSTS and the proxy's request id, which the
// replica that answered wrote in its log; both replicas served the journey.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { hash, NORTHWIND, SANDBOX_SIGN_IN_URL, settle, signInAs, uploadToNewBatch, watchBrowserErrors } from "../tests/support";

/** Every replica's log, by file name. */
function replicaLogs(): Map<string, string> {
  const folder = process.env.ZTD_DEPLOY_LOGS!;
  const logs = new Map<string, string>();
  for (const name of readdirSync(folder).filter((n) => /^replica-\d\.log$/.test(n))) {
    logs.set(name, readFileSync(join(folder, name), "utf8"));
  }
  return logs;
}

test("the whole journey through the TLS proxy in front of two replicas", async ({ page, context }, testInfo) => {
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  const errors = watchBrowserErrors(page);
  const run = `${testInfo.project.name}-${Date.now()}`;
  const batch = `E2E deploy ${run}`;
  const northwind = page.getByRole("heading", { level: 1, name: "Northwind Traders" });

  const answer = await test.step("signed in through https", async () => {
    await page.goto(`/customers/${NORTHWIND}/batches`);
    await expect(page).toHaveURL(SANDBOX_SIGN_IN_URL);
    await signInAs(page, "Avery Admin");
    await expect(northwind).toBeVisible();
    expect(page.url()).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    const cookies = await context.cookies();
    const ours = cookies.filter((c) => c.domain === "127.0.0.1");
    expect(ours.length).toBeGreaterThan(0);
    for (const cookie of ours) {
      expect(cookie.name, JSON.stringify(cookie)).toMatch(/^__Host-/);
      expect(cookie.secure).toBe(true);
    }
    await settle(page, jsOn);
    return await page.request.get(`/customers/${NORTHWIND}/batches`);
  });

  await test.step("answers carry HSTS and the proxy's request id, logged by the replica that answered", async () => {
    expect(answer.status()).toBe(200);
    expect(answer.headers()["strict-transport-security"]).toBe("max-age=31536000");
    const id = answer.headers()["x-request-id"];
    // nginx's $request_id: the dashboard took the trusted proxy's id as its own.
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    await expect
      .poll(() => [...replicaLogs().values()].filter((log) => log.includes(`"id":"${id}"`)).length)
      .toBe(1);
  });

  await test.step("an upload, followed to its end", async () => {
    const csv = ["Device Serial Number,Windows Product ID,Hardware Hash", `DEP-${run}-1,,${hash()}`, `DEP-${run}-2,,${hash()}`].join("\r\n");
    await uploadToNewBatch(page, jsOn, { name: "devices.csv", mimeType: "text/csv", buffer: Buffer.from(csv) }, batch);
    await page.getByRole("button", { name: `Register 2 devices in the new batch “${batch}”` }).click();
    await expect(page).toHaveURL(new RegExp(`/customers/${NORTHWIND}/operations/[0-9a-f-]{36}$`));
    await expect(page.getByRole("status").first()).toHaveText(/Finished\. Every device is registered/, { timeout: 60_000 });
    await settle(page, jsOn);
  });

  await test.step("signed out", async () => {
    const signOut = page.getByRole("banner").getByRole("button", { name: "Sign out" });
    await signOut.click();
    await expect(signOut).toHaveCount(0);
    await page.goto(`/customers/${NORTHWIND}/batches`);
    await expect(page).toHaveURL(SANDBOX_SIGN_IN_URL);
  });

  await test.step("both replicas served it, through the proxy", async () => {
    const logs = replicaLogs();
    expect(logs.size).toBe(2);
    // An access line of a request nginx named (its $request_id: 32 hex digits), in each log:
    // the script's own health checks, sent to each replica directly, have ids of their own.
    const proxied = /"target":"access".*"id":"[0-9a-f]{32}"|"id":"[0-9a-f]{32}".*"target":"access"/;
    for (const [name, log] of logs) {
      expect(log.split("\n").some((line) => proxied.test(line)), `${name} answered nothing through nginx`).toBe(true);
    }
  });
  expect(errors).toEqual([]);
});
