// Applying an Autopilot profile: a new profile given to every device of Contoso's
// 263-device batch (on all of its pages), then another profile to three ticked devices, each
// followed on its own page until Partner Center has finished with every device; the batch
// page names each device's profile, and finds the one device it was removed from across
// all its pages. With JavaScript on (the page follows the job in place) and off (it reloads).
import { expect, test } from "@playwright/test";
import { CONTOSO, settle, signInAs, watchBrowserErrors } from "./support";

const BATCH = "Contoso Laptops 2024";
const DEVICES = 263;

test("a profile goes to a whole batch and to three ticked devices, and is removed from one", async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  const errors = watchBrowserErrors(page);
  const name = `E2E apply ${testInfo.project.name}-${Date.now()}`;

  await page.goto(`/customers/${CONTOSO}/profiles/new`);
  await signInAs(page, "Avery Admin");
  await expect(page.getByRole("heading", { level: 1, name: "New Autopilot profile" })).toBeVisible();
  await settle(page, jsOn);
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel(/Skip privacy settings/).check();
  await page.getByRole("button", { name: "Create the profile" }).click();
  await expect(page.getByRole("status").filter({ hasText: "The profile was created in Partner Center." })).toBeVisible();
  await settle(page, jsOn);

  // The whole batch, from its first page.
  await page.getByRole("link", { name: "Contoso Ltd" }).first().click();
  await settle(page, jsOn);
  await page.getByRole("link", { name: BATCH, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: BATCH })).toBeVisible();
  await settle(page, jsOn);
  const batchPage = page.url();
  await page.locator('select[name="profile"]').selectOption({ label: name });
  await page.getByLabel(`All ${DEVICES} devices of this batch, on every page`).check();
  await page.getByRole("button", { name: "Apply the profile", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Applying the profile “${name}”` })).toBeVisible();
  await expect(page.getByText("Done. Every device has the profile.")).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText(`${DEVICES} of ${DEVICES} devices done: ${DEVICES} changed, 0 not`)).toBeVisible();
  await settle(page, jsOn);

  // Every device of the first page now names it.
  await page.goto(batchPage);
  await settle(page, jsOn);
  await expect(page.getByRole("row").filter({ hasText: name })).toHaveCount(100);

  // Three ticked devices get the kiosk profile.
  const ticks = page.locator('input[name="device"]');
  const picked: string[] = [];
  for (const i of [0, 1, 2]) {
    picked.push(((await ticks.nth(i).getAttribute("aria-label")) ?? "").replace(/^Select /, ""));
    await ticks.nth(i).check();
  }
  await page.locator('select[name="profile"]').selectOption({ label: "Shared kiosk" });
  await page.getByRole("button", { name: "Apply the profile", exact: true }).click();
  await expect(page.getByText("Done. Every device has the profile.")).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText("3 of 3 devices done")).toBeVisible();
  for (const serial of picked) await expect(page.getByText(serial, { exact: true })).toBeVisible();
  await settle(page, jsOn);

  await page.goto(batchPage);
  await settle(page, jsOn);
  for (const serial of picked) {
    await expect(page.getByRole("row").filter({ hasText: serial })).toContainText("Shared kiosk");
  }

  // Removed from the first of them; the batch finds it across its pages.
  await page.getByRole("checkbox", { name: `Select ${picked[0]}` }).check();
  await page.locator('select[name="profile"]').selectOption({ label: "No profile (remove the one they have)" });
  await page.getByRole("button", { name: "Apply the profile", exact: true }).click();
  await expect(page.getByText("Done. The profile was removed from every device.")).toBeVisible({ timeout: 60_000 });
  await settle(page, jsOn);
  await page.goto(batchPage);
  await settle(page, jsOn);
  await page.getByRole("link", { name: /^Without a profile/ }).click();
  await expect(page.getByRole("link", { name: "Without a profile (1)" })).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: picked[0] })).toHaveCount(1);
  await expect(page.locator('input[name="device"]')).toHaveCount(1);
  expect(errors).toEqual([]);
});
