// Acting on many devices of a batch at once: its devices exported as Excel and as CSV (the
// Excel file uploaded again reads back as the same devices), then three of them ticked,
// confirmed by count, and deleted by one deletion whose page follows it to the end.
import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { hash, settle, signInToNorthwind, uploadToNewBatch, watchBrowserErrors } from "./support";

const HEADER =
  "Device Serial Number,Windows Product ID,Hardware Hash,Manufacturer name,Device model,Customer,Batch,Autopilot profile,Uploaded,Device id";

test("a batch is exported, three of its devices ticked and deleted, and the export reads back", async ({ page }, testInfo) => {
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  const errors = watchBrowserErrors(page);
  const run = `${testInfo.project.name}-${Date.now()}`;
  const batch = `E2E bulk ${run}`;
  const serial = (n: number) => `BULK-${run}-${n}`;
  const csv = ["Device Serial Number,Windows Product ID,Hardware Hash", ...[1, 2, 3, 4].map((n) => `${serial(n)},,${hash()}`)].join("\r\n");

  await signInToNorthwind(page, jsOn);
  await uploadToNewBatch(page, jsOn, { name: "bulk.csv", mimeType: "text/csv", buffer: Buffer.from(csv) }, batch);
  await page.getByRole("button", { name: `Register 4 devices in the new batch “${batch}”` }).click();
  await expect(page.getByRole("status").first()).toHaveText(/Finished\. Every device is registered/, { timeout: 30_000 });
  await settle(page, jsOn);
  await page.getByRole("link", { name: batch, exact: true }).first().click();
  await expect(page.getByRole("heading", { level: 1, name: batch })).toBeVisible();
  await settle(page, jsOn);

  const excel = await test.step("exported as Excel and as CSV", async () => {
    const [xlsx] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Export as Excel (XLSX)" }).click(),
    ]);
    expect(xlsx.suggestedFilename()).toMatch(/^E2E-bulk-.*-devices\.xlsx$/);
    const workbook = readFileSync(await xlsx.path());
    expect(workbook.subarray(0, 2).toString()).toBe("PK");
    const [csvFile] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Export as CSV" }).click(),
    ]);
    expect(csvFile.suggestedFilename()).toMatch(/^E2E-bulk-.*-devices\.csv$/);
    const lines = readFileSync(await csvFile.path(), "utf8").replace(/^\uFEFF/, "").split("\r\n").filter((l) => l);
    expect(lines[0]).toBe(HEADER);
    expect(lines).toHaveLength(5);
    for (const n of [1, 2, 3, 4]) expect(lines.some((l) => l.startsWith(`${serial(n)},`))).toBe(true);
    return workbook;
  });

  await test.step("one link ticks every device of the page, another unticks them", async () => {
    const boxes = page.getByRole("checkbox", { name: /^Select BULK-/ });
    await page.getByRole("link", { name: "Tick every device on this page" }).click();
    for (const n of [1, 2, 3, 4]) await expect(page.getByRole("checkbox", { name: `Select ${serial(n)}` })).toBeChecked();
    await settle(page, jsOn);
    await page.getByRole("link", { name: "Untick all" }).click();
    for (const n of [1, 2, 3, 4]) await expect(page.getByRole("checkbox", { name: `Select ${serial(n)}` })).not.toBeChecked();
    await expect(boxes).toHaveCount(4);
    await settle(page, jsOn);
  });

  await test.step("three ticked devices are deleted after a confirmation that counts them", async () => {
    for (const n of [1, 2, 3]) await page.getByRole("checkbox", { name: `Select ${serial(n)}` }).check();
    await page.getByRole("button", { name: "Delete the chosen devices…" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Delete these 3 devices?" })).toBeVisible();
    for (const n of [1, 2, 3]) await expect(page.getByText(serial(n))).toBeVisible();
    await expect(page.getByText(serial(4))).toHaveCount(0);
    await settle(page, jsOn);
    await page.getByRole("button", { name: "Delete 3 devices" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Deleting devices" })).toBeVisible();
    await expect(page.getByRole("status").filter({ hasText: "Done. Every device was deleted." })).toBeVisible({ timeout: 30_000 });
    await settle(page, jsOn);
    await page.getByRole("link", { name: batch }).first().click();
    await expect(page.getByRole("heading", { level: 1, name: batch })).toBeVisible();
    for (const n of [1, 2, 3]) await expect(page.getByRole("row").filter({ hasText: serial(n) })).toHaveCount(0);
    await expect(page.getByRole("row").filter({ hasText: serial(4) })).toHaveCount(1);
    await settle(page, jsOn);
  });

  await test.step("the Excel export, uploaded again, reads back as the same devices", async () => {
    await page.getByRole("link", { name: "Northwind Traders" }).first().click();
    await settle(page, jsOn);
    const xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    await uploadToNewBatch(page, jsOn, { name: "export.xlsx", mimeType: xlsx, buffer: excel }, `E2E again ${run}`);
    for (const n of [1, 2, 3, 4]) await expect(page.getByRole("row").filter({ hasText: serial(n) })).toHaveCount(1);
  });
  expect(errors).toEqual([]);
});
