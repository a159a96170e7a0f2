// Uploading devices: a CSV and an Excel workbook go through the preview, whose errors are
// fixed by removing rows, then are submitted; the user lands on the job page. The same
// journey runs with JavaScript on and off (plain multipart form posts).
import { randomBytes } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { hash, settle, signInToNorthwind, uploadToNewBatch, watchBrowserErrors } from "./support";
import { xlsx } from "./xlsx";

/** A Get-WindowsAutopilotInfo CSV: two good devices and one whose hash is not base64. */
function autopilotCsv(): Buffer {
  const lines = [
    "Device Serial Number,Windows Product ID,Hardware Hash",
    `CSV-1,,${hash()}`,
    `CSV-2,,${hash()}`,
    `CSV-3,,not*a*hash`,
  ];
  return Buffer.from(lines.join("\r\n") + "\r\n");
}

/** Removes the rows with errors, submits, and checks the job page. */
async function fixAndSubmit(page: Page, jsOn: boolean, devices: number, batch: string) {
  // The button counts what can be sent: the row with errors never is.
  const submit = page.getByRole("button", { name: `Register ${devices - 1} devices in the new batch “${batch}”` });
  await expect(submit).toBeDisabled();
  await page.getByRole("button", { name: "Remove every row with an error" }).click();
  await expect(page.getByText("(removed)")).toBeVisible();
  await settle(page, jsOn);
  const ready = page.getByRole("button", { name: `Register ${devices - 1} devices in the new batch “${batch}”` });
  await expect(ready).toBeEnabled();
  await ready.click();
  await expect(page).toHaveURL(/\/customers\/[0-9a-f-]{36}\/operations\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1, name: `Upload to ${batch}` })).toBeVisible();
  await expect(page.getByRole("status")).toHaveText(/Queued|Processing|Finished/, { timeout: 15_000 });
  await settle(page, jsOn);
}

test("a CSV with a broken row is fixed in the preview and submitted", async ({ page }, testInfo) => {
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  const errors = watchBrowserErrors(page);
  const batch = `E2E CSV ${testInfo.project.name} ${Date.now()}`;
  await signInToNorthwind(page, jsOn);
  await uploadToNewBatch(page, jsOn, { name: "autopilot.csv", mimeType: "text/csv", buffer: autopilotCsv() }, batch);

  await test.step("the preview says how the file was read and which row is wrong", async () => {
    await expect(page.getByText("File “autopilot.csv”")).toBeVisible();
    await expect(page.getByText("delimited text, UTF-8, comma-separated, header on row 1")).toBeVisible();
    await expect(page.getByRole("alert")).toContainText("1 row has errors");
    const bad = page.getByRole("row").filter({ hasText: "CSV-3" });
    await expect(bad).toContainText("The hash has “*” at character 4");
  });

  await fixAndSubmit(page, jsOn, 3, batch);
  expect(errors).toEqual([]);
});

test("an Excel workbook with a title row and a cut hash is fixed and submitted", async ({ page }, testInfo) => {
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  const errors = watchBrowserErrors(page);
  const batch = `E2E XLSX ${testInfo.project.name} ${Date.now()}`;
  await signInToNorthwind(page, jsOn);
  // As an OEM's workbook might come: a title row, a good hash, a serial with manufacturer
  // and model, and a hash cut short.
  const run = randomBytes(4).toString("hex").toUpperCase();
  const workbook = xlsx("Devices", [
    [`Order 4711: devices for Northwind Traders`],
    ["Device Serial Number", "Windows Product ID", "Hardware Hash", "Manufacturer name", "Device model"],
    [`XL-${run}-1`, "", hash(), "", ""],
    [`XL-${run}-2`, "", "", "Contoso Hardware", "CX-14"],
    [`XL-${run}-3`, "", hash(40), "", ""],
  ]);
  await uploadToNewBatch(page, jsOn, { name: "order.xlsx", mimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buffer: workbook }, batch);

  await test.step("the preview reads the Devices sheet below its title row and flags the short hash", async () => {
    await expect(page.getByText(/Excel workbook \(XLSX\), sheet “Devices”, header on row 2/)).toBeVisible();
    await expect(page.getByText("Row 1 above the header (row 2) was skipped as a title.")).toBeVisible();
    const bad = page.getByRole("row").filter({ hasText: `XL-${run}-3` });
    await expect(bad).toContainText("The hash is only 40 bytes");
  });

  await fixAndSubmit(page, jsOn, 3, batch);

  await test.step("the new batch lists the two devices", async () => {
    await page.getByRole("link", { name: batch, exact: true }).click();
    await expect(page.getByRole("heading", { level: 1, name: batch })).toBeVisible();
    // Partner Center registers the devices a few seconds after accepting them.
    await expect(async () => {
      await page.reload();
      await expect(page.getByRole("cell", { name: `XL-${run}-2`, exact: true })).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 20_000 });
    await expect(page.getByRole("cell", { name: `XL-${run}-1`, exact: true })).toBeVisible();
    await expect(page.getByRole("cell", { name: `XL-${run}-3`, exact: true })).toHaveCount(0);
  });
  expect(errors).toEqual([]);
});

test("a file that is not a device list is refused in words", async ({ page }, testInfo) => {
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  // The refusal leads back to the form's page, which answers 415 (the browser logs it); with
  // JavaScript the form shows the refusal's words beside itself.
  const errors = watchBrowserErrors(page);
  await signInToNorthwind(page, jsOn);
  await page.getByRole("link", { name: "Upload devices" }).click();
  await settle(page, jsOn);
  await page.getByLabel("Device list").setInputFiles({
    name: "scan.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n"),
  });
  await page.getByLabel("Name of the new batch").fill(`Refused ${testInfo.project.name}`);
  await page.getByRole("button", { name: "Check the devices" }).click();
  const why = "This is not a device list: it looks like a PDF document.";
  if (jsOn) {
    // Said beside the form, which keeps the chosen file and the batch name.
    await expect(page.getByRole("alert")).toContainText(`The upload was not accepted. ${why}`);
    await expect(page.getByRole("heading", { level: 1, name: /Upload devices for Northwind/ })).toBeVisible();
    await expect(page.getByLabel("Name of the new batch")).toHaveValue(`Refused ${testInfo.project.name}`);
  } else {
    // Back on the form, which says why at the top.
    await expect(page.getByRole("heading", { level: 2, name: "The upload was not accepted" })).toBeVisible();
    await expect(page.getByRole("alert")).toContainText(why);
    await expect(page.getByRole("heading", { level: 1, name: /Upload devices for Northwind/ })).toBeVisible();
  }
  expect(errors.filter((e) => !e.includes("status of 415"))).toEqual([]);
});

test("a batch left without a name is asked for on the preview, and a draft can be discarded", async ({ page }, testInfo) => {
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  const errors = watchBrowserErrors(page);
  const batch = `E2E Named later ${testInfo.project.name} ${Date.now()}`;
  const run = randomBytes(4).toString("hex").toUpperCase();
  await signInToNorthwind(page, jsOn);
  await page.getByRole("link", { name: "Upload devices" }).click();
  await settle(page, jsOn);
  const csv = `Device Serial Number,Windows Product ID,Hardware Hash\r\nNL-${run},,${hash()}\r\n`;
  await page.getByLabel("Device list").setInputFiles({ name: "unnamed.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.getByRole("button", { name: "Check the devices" }).click();

  await test.step("the file is kept as a draft; the preview asks for the name", async () => {
    await expect(page).toHaveURL(/\/uploads\/[0-9a-f-]{36}\?done=batch-name-needed$/);
    await expect(page.getByRole("status")).toContainText("The devices were checked and kept as a draft. Name the batch");
    await expect(page.getByRole("alert")).toContainText("The new batch has no name yet.");
    await expect(page.getByRole("button", { name: "Register 1 device in a new batch" })).toBeDisabled();
  });
  await settle(page, jsOn);

  await test.step("named on the preview, it can be registered", async () => {
    await page.getByLabel("New batch named").fill(batch);
    await page.getByRole("button", { name: "Use this name" }).click();
    await expect(page.getByRole("button", { name: `Register 1 device in the new batch “${batch}”` })).toBeEnabled();
  });
  await settle(page, jsOn);

  await test.step("discarded, it leaves a new upload form that says so", async () => {
    await page.getByRole("button", { name: "Discard and start again" }).click();
    await expect(page.getByRole("heading", { level: 1, name: /Upload devices for Northwind/ })).toBeVisible();
    await expect(page.getByRole("status")).toContainText("The draft of file “unnamed.csv” was discarded with its file.");
  });
  expect(errors).toEqual([]);
});
