// Two replicas behind one address in practice: they share one PostgreSQL database and one
// sandbox (playwright.config.ts starts them when ZTD_E2E_POSTGRES is set). A browser signed
// in through the first goes on through the second: its pages, an upload sent and followed
// there, the first replica showing that upload and its new batch at once, and signing out on
// one ending the session on both. With JavaScript on and off.
import { expect, test } from "@playwright/test";
import { REPLICA_PORTS } from "./ports";
import {
  hash,
  NORTHWIND,
  SANDBOX_SIGN_IN_URL,
  settle,
  signInAs,
  uploadToNewBatch,
  watchBrowserErrors,
} from "./support";

const [FIRST, SECOND] = REPLICA_PORTS.map((port) => `http://127.0.0.1:${port}`);

test("a browser signed in through one replica keeps working through the other", async ({ page }, testInfo) => {
  // A sign-in, an upload and its job, on two replicas of a 2-core machine.
  test.setTimeout(120_000);
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  const errors = watchBrowserErrors(page);
  const run = `${testInfo.project.name}-${Date.now()}`;
  const batch = `E2E replicas ${run}`;
  const northwind = page.getByRole("heading", { level: 1, name: "Northwind Traders" });
  const signOut = page.getByRole("banner").getByRole("button", { name: "Sign out" });

  await test.step("signed in through the first replica", async () => {
    await page.goto(`${FIRST}/customers/${NORTHWIND}/batches`);
    await signInAs(page, "Avery Admin");
    await expect(northwind).toBeVisible();
    expect(page.url().startsWith(FIRST)).toBe(true);
    await expect(page.getByRole("row").filter({ hasText: batch })).toHaveCount(0);
    await settle(page, jsOn);
  });

  const job = await test.step("the second replica knows the session and sends an upload", async () => {
    await page.goto(`${SECOND}/customers/${NORTHWIND}/batches`);
    await expect(northwind).toBeVisible();
    await expect(page.getByRole("banner").getByText("Avery Admin", { exact: true })).toBeVisible();
    await settle(page, jsOn);
    const csv = [
      "Device Serial Number,Windows Product ID,Hardware Hash",
      `REP-${run}-1,,${hash()}`,
      `REP-${run}-2,,${hash()}`,
    ].join("\r\n");
    await uploadToNewBatch(page, jsOn, { name: "devices.csv", mimeType: "text/csv", buffer: Buffer.from(csv) }, batch);
    await page.getByRole("button", { name: `Register 2 devices in the new batch “${batch}”` }).click();
    await expect(page).toHaveURL(new RegExp(`^${SECOND}/customers/${NORTHWIND}/operations/[0-9a-f-]{36}$`));
    await expect(page.getByRole("status").first()).toHaveText(/Finished\. Every device is registered/, { timeout: 30_000 });
    return new URL(page.url()).pathname;
  });

  await test.step("the first replica shows the job, and the new batch in a list it had seen", async () => {
    await page.goto(`${FIRST}${job}`);
    await expect(page.getByRole("status").first()).toHaveText(/Finished\. Every device is registered/);
    await expect(page.getByText("2 of 2 devices processed: 2 registered, 0 failed")).toBeVisible();
    await settle(page, jsOn);
    await page.goto(`${FIRST}/customers/${NORTHWIND}/batches`);
    await expect(page.getByRole("row").filter({ hasText: batch })).toHaveCount(1);
    await settle(page, jsOn);
  });

  await test.step("signing out on the first ends the session on the second", async () => {
    await signOut.click();
    await expect(signOut).toHaveCount(0);
    await page.goto(`${SECOND}/customers/${NORTHWIND}/batches`);
    await expect(page).toHaveURL(SANDBOX_SIGN_IN_URL);
  });

  expect(errors).toEqual([]);
});
