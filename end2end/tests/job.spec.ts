// Following an upload to the end: one device is registered to another organisation and one
// hash is damaged, so the job finishes with errors; the page explains them, the failed rows
// are downloaded, fixed, and uploaded again into the same batch, and that job finishes.
// With JavaScript on (the page polls) and off (the page reloads itself).
import { readFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import {
  damaged,
  FABRIKAM,
  hash,
  SANDBOX_URL,
  settle,
  signInToNorthwind,
  uploadToBatch,
  uploadToNewBatch,
  watchBrowserErrors,
} from "./support";

const HEADER = "Device Serial Number,Windows Product ID,Hardware Hash,Manufacturer name,Device model";

async function expectState(page: Page, text: RegExp) {
  await expect(page.getByRole("status").first()).toHaveText(text, { timeout: 30_000 });
}

test("a job with a device registered elsewhere is explained, and its fixed rows go back in", async ({ page, request }, testInfo) => {
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  const errors = watchBrowserErrors(page);
  const run = `${testInfo.project.name}-${Date.now()}`;
  const batch = `E2E job ${run}`;
  const devices = await (await request.get(`${SANDBOX_URL}/_sandbox/customers/${FABRIKAM}/devices`)).json();
  const elsewhere = devices.find((d: Record<string, unknown>) => d.serialNumber && d.oemManufacturerName && d.modelName);
  const good = hash();
  const fixable = hash();
  const csv = [
    HEADER,
    `JOB-${run}-OK,,${good},,`,
    `${elsewhere.serialNumber},,,${elsewhere.oemManufacturerName},${elsewhere.modelName}`,
    `JOB-${run}-FIX,,${damaged(fixable)},,`,
  ].join("\r\n");

  await signInToNorthwind(page, jsOn);
  await uploadToNewBatch(page, jsOn, { name: "devices.csv", mimeType: "text/csv", buffer: Buffer.from(csv) }, batch);
  await page.getByRole("button", { name: `Register 3 devices in the new batch “${batch}”` }).click();
  await expect(page).toHaveURL(/\/operations\/[0-9a-f-]{36}$/);

  if (jsOn) {
    await test.step("once the page has asked again by itself, it no longer offers its first request's id", async () => {
      const requestId = page.locator('meta[name="request-id"]');
      await expect(requestId).toHaveCount(1);
      await page.waitForResponse((response) => new URL(response.url()).pathname.startsWith("/api/"));
      await expect(requestId).toHaveCount(0);
    });
  }

  await test.step("the job finishes with errors, each one explained", async () => {
    await expectState(page, /Finished with errors/);
    await settle(page, jsOn);
    await expect(page.getByText("3 of 3 devices processed: 1 registered, 2 failed")).toBeVisible();
    const other = page.getByRole("row").filter({ hasText: elsewhere.serialNumber });
    await expect(other).toContainText("808");
    await expect(other).toContainText("This device is registered to another organisation");
    const broken = page.getByRole("row").filter({ hasText: `JOB-${run}-FIX` });
    await expect(broken).toContainText("Capture the hash again");
    await page.getByRole("link", { name: "Failed (2)" }).click();
    await settle(page, jsOn);
    await expect(page.getByRole("row").filter({ hasText: `JOB-${run}-OK` })).toHaveCount(0);
    await expect(page.getByRole("row").filter({ hasText: `JOB-${run}-FIX` })).toHaveCount(1);
  });

  const fixed = await test.step("the failed rows download, ready to fix", async () => {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download the failed rows (CSV)" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`failed-rows-E2E-job-${run}.csv`);
    const text = readFileSync(await download.path(), "utf8").replace(/^\uFEFF/, "");
    const lines = text.split("\r\n").filter((l) => l.length > 0);
    expect(lines[0]).toBe(`${HEADER},Error code,Explanation`);
    expect(lines).toHaveLength(3);
    // The fix: the hash copied again; the device registered elsewhere is left out.
    const row = lines.find((l) => l.startsWith(`JOB-${run}-FIX`))!;
    return [lines[0], row.replace(damaged(fixable), fixable)].join("\r\n");
  });

  await test.step("uploaded again into the same batch, the fixed row is registered", async () => {
    await page.getByRole("link", { name: "Northwind Traders" }).click();
    await settle(page, jsOn);
    await uploadToBatch(page, jsOn, { name: "fixed.csv", mimeType: "text/csv", buffer: Buffer.from(fixed) }, batch);
    await page.getByRole("button", { name: `Add 1 device to the batch “${batch}”` }).click();
    await expectState(page, /Finished\. Every device is registered/);
    await expect(page.getByText("1 of 1 devices processed: 1 registered, 0 failed")).toBeVisible();
  });
  expect(errors).toEqual([]);
});
