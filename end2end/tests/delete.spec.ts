// Deleting a device: from a batch's device list to the confirmation, which shows the device
// as Partner Center lists it, then back to the batch without it. With JavaScript on the
// confirmation is a page of the app like any other (it once showed "Page not found"), and
// with JavaScript off a plain page and a form post.
import { expect, test } from "@playwright/test";
import { hash, SANDBOX_URL, settle, signInToNorthwind, uploadToNewBatch, watchBrowserErrors } from "./support";

test("a device is deleted from its batch after a confirmation that names it", async ({ page }, testInfo) => {
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  const errors = watchBrowserErrors(page);
  const run = `${testInfo.project.name}-${Date.now()}`;
  const batch = `E2E delete ${run}`;
  const csv = ["Device Serial Number,Windows Product ID,Hardware Hash", `DEL-${run}-1,,${hash()}`, `DEL-${run}-2,,${hash()}`].join("\r\n");

  await signInToNorthwind(page, jsOn);
  await uploadToNewBatch(page, jsOn, { name: "delete.csv", mimeType: "text/csv", buffer: Buffer.from(csv) }, batch);
  await page.getByRole("button", { name: `Register 2 devices in the new batch “${batch}”` }).click();
  await expect(page.getByRole("status").first()).toHaveText(/Finished\. Every device is registered/, { timeout: 30_000 });
  await settle(page, jsOn);

  await page.getByRole("link", { name: batch, exact: true }).first().click();
  await expect(page.getByRole("heading", { level: 1, name: batch })).toBeVisible();
  await settle(page, jsOn);
  await page.getByRole("link", { name: `Delete DEL-${run}-1` }).click();

  await expect(page.getByRole("heading", { level: 1, name: "Delete this device?" })).toBeVisible();
  await expect(page.getByText(`DEL-${run}-1`)).toBeVisible();
  await settle(page, jsOn);
  await page.getByRole("button", { name: "Delete the device" }).click();

  await expect(page.getByText(`The device DEL-${run}-1 was deleted from this batch.`)).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: batch })).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: `DEL-${run}-1` })).toHaveCount(0);
  await expect(page.getByRole("row").filter({ hasText: `DEL-${run}-2` })).toHaveCount(1);
  expect(errors).toEqual([]);
});

test("a deletion Partner Center refused has its own page, and goes through when tried again", async ({ page }, testInfo) => {
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  const errors = watchBrowserErrors(page);
  const run = `${testInfo.project.name}-${Date.now()}`;
  const batch = `E2E refused ${run}`;
  const csv = ["Device Serial Number,Windows Product ID,Hardware Hash", `REF-${run}-1,,${hash()}`].join("\r\n");
  const faults = (settings: object) =>
    page.request.put(`${SANDBOX_URL}/_sandbox/faults`, { data: settings }).then((r) => expect(r.ok()).toBe(true));

  await signInToNorthwind(page, jsOn);
  await uploadToNewBatch(page, jsOn, { name: "refused.csv", mimeType: "text/csv", buffer: Buffer.from(csv) }, batch);
  await page.getByRole("button", { name: `Register 1 device in the new batch “${batch}”` }).click();
  await expect(page.getByRole("status").first()).toHaveText(/Finished\. Every device is registered/, { timeout: 30_000 });
  await settle(page, jsOn);
  await page.getByRole("link", { name: batch, exact: true }).first().click();
  await settle(page, jsOn);
  await page.getByRole("link", { name: `Delete REF-${run}-1` }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Delete this device?" })).toBeVisible();
  await settle(page, jsOn);

  // Partner Center throttles every write: the deletion is refused, and says so on its page.
  await faults({ throttle_next_writes: 20 });
  try {
    await page.getByRole("button", { name: "Delete the device" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Deleting devices" })).toBeVisible();
  } finally {
    await faults({});
  }
  await expect(page.getByRole("alert")).toContainText("Not every device was deleted: 0 of 1 were.");
  await expect(page.getByText(`REF-${run}-1`)).toBeVisible();
  await expect(page.getByText(/busy \(throttling\)/).first()).toBeVisible();
  await settle(page, jsOn);
  await page.getByRole("button", { name: "Try again" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Done. Every device was deleted." })).toBeVisible();
  // What the button did is said on the page it led to.
  await expect(page.getByRole("status").filter({ hasText: "The devices left were asked for again." })).toBeVisible();

  // The history lists it, and leads back to it.
  await page.goto("/uploads");
  await settle(page, jsOn);
  await expect(page.getByText("devices deleted by hand").first()).toBeVisible();
  expect(errors).toEqual([]);
});
