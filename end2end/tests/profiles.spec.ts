// Autopilot profiles: from a customer's page to its profiles, a new one created with two
// settings, the list saying in words what the person at a new device will see, then the
// profile changed and deleted. With JavaScript on (client-side navigation to the forms,
// plain form posts) and off.
import { expect, test } from "@playwright/test";
import { settle, signInToNorthwind, watchBrowserErrors } from "./support";

test("a profile is created with two settings, listed in words, changed and deleted", async ({ page }, testInfo) => {
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  const errors = watchBrowserErrors(page);
  const name = `E2E profile ${testInfo.project.name}-${Date.now()}`;

  await signInToNorthwind(page, jsOn);
  await page.getByRole("link", { name: "Autopilot profiles" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Autopilot profiles" })).toBeVisible();
  await settle(page, jsOn);
  await page.getByRole("link", { name: "New profile" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "New Autopilot profile" })).toBeVisible();
  await settle(page, jsOn);

  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Description (optional)").fill("Laptops for the field team");
  await page.getByLabel(/Skip privacy settings/).check();
  await page.getByLabel(/Skip the license terms/).check();
  await page.getByRole("button", { name: "Create the profile" }).click();

  await expect(page.getByRole("status").filter({ hasText: "The profile was created in Partner Center." })).toBeVisible();
  const created = page.getByRole("region", { name });
  await expect(created).toBeVisible();
  await expect(created.getByText("Laptops for the field team")).toBeVisible();
  await expect(created.getByText("Skip privacy settings")).toBeVisible();
  await expect(created.getByText(/They do not see the Windows license agreement/)).toBeVisible();
  await expect(created.getByText("skip_eula")).toHaveCount(0);
  await settle(page, jsOn);

  await created.getByRole("link", { name: `Change ${name}` }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Change a profile" })).toBeVisible();
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue(name);
  await expect(page.getByLabel(/Skip the license terms/)).toBeChecked();
  await settle(page, jsOn);
  await page.getByLabel(/User is not a local administrator/).check();
  await page.getByRole("button", { name: "Save the change" }).click();
  await expect(page.getByRole("status").filter({ hasText: "The profile was changed in Partner Center." })).toBeVisible();
  await expect(page.getByRole("region", { name }).getByText("User is not a local administrator")).toBeVisible();
  await settle(page, jsOn);

  await page.getByRole("region", { name }).getByRole("link", { name: `Delete ${name}…` }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Delete “${name}”?` })).toBeVisible();
  await settle(page, jsOn);
  await page.getByRole("button", { name: "Delete the profile" }).click();
  await expect(page.getByRole("status").filter({ hasText: "The profile was deleted in Partner Center." })).toBeVisible();
  await expect(page.getByRole("region", { name })).toHaveCount(0);
  expect(errors).toEqual([]);
});
