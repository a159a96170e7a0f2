// Finding a device by its serial number from any page: the header's search box, a serial of
// Fabrikam's typed while looking at Contoso, the result naming Fabrikam and leading to the
// device's batch. With JavaScript on and off.
import { expect, test } from "@playwright/test";
import { CONTOSO, FABRIKAM, SANDBOX_URL, settle, signInAs, watchBrowserErrors } from "./support";

test("a serial of another customer typed in the header leads to its batch", async ({ page }, testInfo) => {
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  const errors = watchBrowserErrors(page);
  const devices = await (await page.request.get(`${SANDBOX_URL}/_sandbox/customers/${FABRIKAM}/devices`)).json();
  const { serialNumber: serial, batchId: batch } = devices[0];

  // Someone opened Fabrikam: the dashboard reads its devices into its index.
  await page.goto(`/customers/${FABRIKAM}/batches`);
  await signInAs(page, "Avery Admin");
  await expect(page.getByRole("heading", { level: 1, name: /Fabrikam/ })).toBeVisible();
  await settle(page, jsOn);

  await page.goto(`/customers/${CONTOSO}/batches`);
  await expect(page.getByRole("heading", { level: 1, name: "Contoso Ltd" })).toBeVisible();
  await settle(page, jsOn);
  const box = page.getByRole("search", { name: "Find a device" }).getByRole("searchbox");
  await box.fill(serial.toLowerCase());
  await box.press("Enter");
  await expect(page.getByRole("heading", { level: 1, name: "Find a device" })).toBeVisible();
  // The index is read in the background: it may take a moment the first time.
  for (let i = 0; i < 20 && (await page.getByText("1 device matches").count()) === 0; i++) {
    await page.waitForTimeout(250);
    await page.reload();
  }
  await expect(page.getByText(`1 device matches “${serial.toLowerCase()}” in every customer you can open.`)).toBeVisible();
  const row = page.getByRole("row").filter({ hasText: serial });
  await expect(row.locator(`a[href="/customers/${FABRIKAM}/batches"]`)).toContainText("Fabrikam");
  await expect(page.getByText(/Fabrikam[^:]*: checked/)).toBeVisible();
  await settle(page, jsOn);
  await row.getByRole("link", { name: batch, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: batch })).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: serial })).toHaveCount(1);
  expect(errors).toEqual([]);
});
