// A device Partner Center refused as already registered, followed from the job page: an 806
// (already in this customer) leads to where it is, with the deletion that would free it; an
// 808 (registered elsewhere) to a page of its own: with the customer of this partner that has
// it, or, when none has, who can release it and a request to copy. JavaScript on and off.
import { randomBytes } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import {
  CONTOSO,
  NORTHWIND,
  SANDBOX_URL,
  settle,
  signInToNorthwind,
  uploadToNewBatch,
  watchBrowserErrors,
} from "./support";

/** Registered by the sandbox with an organisation outside the partner (see the README). */
const OUTSIDE = "5CG0UTS1DE,,,HP,HP EliteBook 840 G8 Notebook PC";
const HEADER = "Device Serial Number,Windows Product ID,Hardware Hash,Manufacturer name,Device model";

const csv = (lines: string[]) => ({
  name: "devices.csv",
  mimeType: "text/csv",
  buffer: Buffer.from([HEADER, ...lines].join("\r\n") + "\r\n"),
});

/** Submits the preview as it is and waits until Partner Center has finished. */
async function submitAndFinish(page: Page, jsOn: boolean, count: number) {
  await page.getByRole("button", { name: new RegExp(`^Register ${count} devices? in the new batch`) }).click();
  await expect(page.getByRole("status")).toHaveText(/^Finished/, { timeout: 20_000 });
  await settle(page, jsOn);
}

test("an 806 and an 808 on the job page lead to where the device is and who can release it", async ({ page }, testInfo) => {
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  const errors = watchBrowserErrors(page);
  const run = randomBytes(4).toString("hex").toUpperCase();
  const mine = `RF-${run},,,Contoso Hardware,CX-14`;
  const contoso = (await (await page.request.get(`${SANDBOX_URL}/_sandbox/customers/${CONTOSO}/devices`)).json())[0];
  const theirs = `${contoso.serialNumber},,,${contoso.oemManufacturerName},${contoso.modelName}`;

  // Someone opened Contoso: the dashboard reads its devices into its index.
  await signInToNorthwind(page, jsOn);
  await page.goto(`/customers/${CONTOSO}/batches`);
  await expect(page.getByRole("heading", { level: 1, name: "Contoso Ltd" })).toBeVisible();
  for (let i = 0; i < 20; i++) {
    await page.goto(`/devices?q=${encodeURIComponent(contoso.serialNumber)}`);
    if ((await page.getByText("1 device matches").count()) > 0) break;
    await page.waitForTimeout(250);
  }

  // One device registered with Northwind, then uploaded again with two of elsewhere.
  const first = `E2E first ${testInfo.project.name} ${run}`;
  await page.goto(`/customers/${NORTHWIND}/batches`);
  await settle(page, jsOn);
  await uploadToNewBatch(page, jsOn, csv([mine]), first);
  await submitAndFinish(page, jsOn, 1);
  await page.goto(`/customers/${NORTHWIND}/batches`);
  await settle(page, jsOn);
  await uploadToNewBatch(page, jsOn, csv([mine, theirs, OUTSIDE]), `E2E again ${testInfo.project.name} ${run}`);
  await submitAndFinish(page, jsOn, 3);
  const job = page.url();

  await test.step("806: it is in the first batch, and deleting it there is one click away", async () => {
    const row = page.getByRole("row").filter({ hasText: `RF-${run}` });
    await expect(row).toContainText("806");
    await expect(row.getByRole("link", { name: `“${first}”` })).toBeVisible();
    await row.getByRole("link", { name: "delete it there…" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Delete this device?" })).toBeVisible();
    await expect(page.getByText(`RF-${run}`)).toBeVisible();
    await page.goto(job);
    await settle(page, jsOn);
  });

  await test.step("808 with a customer of this partner: how to move it", async () => {
    const row = page.getByRole("row").filter({ hasText: contoso.serialNumber });
    await row.getByRole("link", { name: "It is with your customer Contoso Ltd: how to move it…" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Row 3: registered to another organisation" })).toBeVisible();
    await expect(page.getByRole("heading", { level: 2, name: "It is with your customer Contoso Ltd" })).toBeVisible();
    await expect(page.getByRole("link", { name: "Delete it from Contoso Ltd's batch…" })).toBeVisible();
    await page.goto(job);
    await settle(page, jsOn);
  });

  await test.step("808 with no customer of this partner: who can release it, and a request to copy", async () => {
    const row = page.getByRole("row").filter({ hasText: "5CG0UTS1DE" });
    await row.getByRole("link", { name: "Who can release it, and a request to send…" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Row 4: registered to another organisation" })).toBeVisible();
    await expect(page.getByRole("heading", { level: 3, name: "Who can release it" })).toBeVisible();
    const request = page.getByLabel("A request to send");
    await expect(request).toHaveValue(/Serial number: 5CG0UTS1DE/);
    await expect(request).toHaveValue(/refused it with error 808/);
  });
  expect(errors).toEqual([]);
});
