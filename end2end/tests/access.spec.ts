// Who gets in where: sign-in brings you back to the page you asked for, and an account
// without a Partner Center role is told so in plain words.
import { expect, test } from "@playwright/test";
import {
  expectSandboxSignIn,
  expectSignedInHeader,
  settle,
  signInAs,
  watchBrowserErrors,
} from "./support";

const CONTOSO_BATCHES = "/customers/8b7c6a1e-0000-4000-8000-000000000001/batches";

test("an anonymous visit to a customer's batches returns there after sign-in", async ({
  page,
  baseURL,
}, testInfo) => {
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  const browserErrors = watchBrowserErrors(page);

  await test.step("the batches page sends an anonymous visitor to sign in", async () => {
    await page.goto(CONTOSO_BATCHES);
    await expectSandboxSignIn(page);
  });

  await test.step("after signing in, the visitor is back on that batches page", async () => {
    await signInAs(page, "Avery Admin");
    await expect(page).toHaveURL(`${baseURL}${CONTOSO_BATCHES}`);
    await expect(page.getByRole("heading", { level: 1, name: "Contoso Ltd" })).toBeVisible();
    await expect(page.getByRole("link", { name: "Contoso Laptops 2024", exact: true })).toBeVisible();
    await expectSignedInHeader(page, "Avery Admin");
    await settle(page, jsOn);
  });

  expect(browserErrors).toEqual([]);
});

test("an account without a Partner Center role is refused in plain words", async ({
  page,
  baseURL,
}, testInfo) => {
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  // The refusal is a page of its own that answers 403 Forbidden (Chromium logs that).
  const customers = `${baseURL}/customers`;
  const browserErrors = watchBrowserErrors(page, [{ url: customers, status: 403 }]);

  await test.step("Robin No-Role signs in", async () => {
    await page.goto("/customers");
    await expectSandboxSignIn(page);
    const answer = page.waitForResponse((response) => response.url() === customers);
    await signInAs(page, "Robin No-Role");
    expect((await answer).status()).toBe(403);
    await expect(page).toHaveURL(customers);
    await expectSignedInHeader(page, "Robin No-Role");
  });

  await test.step("the customers page explains the missing role instead of crashing", async () => {
    await expect(page.getByRole("heading", { level: 1, name: "Customers" })).toBeVisible();
    const refusal = page.getByRole("alert");
    await expect(refusal).toContainText("Admin agent or Sales agent");
    await expect(refusal).toContainText("Partner Center refused access");
    await expect(page.getByRole("table")).toHaveCount(0);
    await settle(page, jsOn);
  });

  expect(browserErrors).toEqual([]);
});
