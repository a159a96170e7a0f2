// The walking skeleton: sign in against the sandbox, find a customer, open a batch, page
// through its devices, sign out. The same journey runs with JavaScript on (hydrated Leptos
// app, client-side navigation) and off (plain server-rendered HTML, links and forms).
import { expect, test } from "@playwright/test";
import {
  dataRows,
  expectSandboxSignIn,
  expectSignedInHeader,
  settle,
  signInAs,
  watchBrowserErrors,
} from "./support";

test("a partner admin finds Contoso, pages through a batch's devices and signs out", async ({
  page,
  baseURL,
}, testInfo) => {
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  const browserErrors = watchBrowserErrors(page);
  const bundle: string[] = [];
  page.on("response", (response) => {
    if (/\/pkg\/[^/?]+\.(js|wasm)$/.test(response.url())) {
      bundle.push(`${response.status()} ${new URL(response.url()).pathname}`);
    }
  });

  await test.step("opening the dashboard leads to the sandbox sign-in page", async () => {
    await page.goto("/");
    await expectSandboxSignIn(page);
  });

  await test.step("signing in as Avery Admin lands on the customers page", async () => {
    await signInAs(page, "Avery Admin");
    await expect(page).toHaveURL(`${baseURL}/customers`);
    await expect(page.getByRole("heading", { level: 1, name: "Customers" })).toBeVisible();
    await expectSignedInHeader(page, "Avery Admin");
    await settle(page, jsOn);
  });

  await test.step("searching company names for “cont” finds Contoso Ltd", async () => {
    const search = page.getByRole("search", { name: "Find a customer" });
    await expect(search.getByRole("combobox", { name: "Search in" })).toHaveValue("name");
    await search.getByRole("searchbox", { name: /Find a customer/ }).fill("cont");
    await search.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(/\/customers\?.*q=cont/);
    const results = page.getByRole("region", { name: "Customers whose name starts with “cont”" });
    await expect(results).toBeVisible();
    await expect(results.getByRole("link", { name: "Contoso Ltd", exact: true })).toBeVisible();
    await settle(page, jsOn);
  });

  await test.step("Contoso Ltd lists its batches, with Contoso Laptops 2024 at 263 devices", async () => {
    await page
      .getByRole("region", { name: /Customers whose name starts with/ })
      .getByRole("link", { name: "Contoso Ltd", exact: true })
      .click();
    await expect(page).toHaveURL(/\/customers\/[0-9a-f-]{36}\/batches$/);
    await expect(page.getByRole("heading", { level: 1, name: "Contoso Ltd" })).toBeVisible();
    await expect(page.getByRole("heading", { level: 2, name: "Device batches" })).toBeVisible();
    const row = page.getByRole("row").filter({ hasText: "Contoso Laptops 2024" });
    await expect(row).toHaveCount(1);
    await expect(row.getByRole("cell", { name: "263", exact: true })).toBeVisible();
    await settle(page, jsOn);
  });

  const pager = page.getByRole("navigation", { name: "Device pages" });
  const next = pager.getByRole("link", { name: "Next →" });
  const previous = pager.getByRole("link", { name: "← Previous" });

  await test.step("the batch shows its first 100 devices", async () => {
    await page.getByRole("link", { name: "Contoso Laptops 2024", exact: true }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Contoso Laptops 2024" })).toBeVisible();
    await expect(pager.getByText("Page 1 of 3", { exact: true })).toBeVisible();
    await expect(dataRows(page)).toHaveCount(100);
    await expect(previous).toHaveCount(0);
    await expect(pager.getByText("← Previous", { exact: true })).toBeVisible();
    await settle(page, jsOn);
  });

  await test.step("Next → pages on until the last page, Page 3, with 63 devices", async () => {
    let shown = 1;
    while ((await next.count()) > 0) {
      expect(shown, "the pager should end after 3 pages").toBeLessThan(3);
      await next.click();
      shown += 1;
      await expect(page).toHaveURL(new RegExp(`[?&]page=${shown}\\b`));
      await expect(pager.getByText(`Page ${shown} of 3`, { exact: true })).toBeVisible();
      await expect(dataRows(page).first()).toBeVisible();
      await settle(page, jsOn);
    }
    expect(shown).toBe(3);
    await expect(pager.getByText("Page 3 of 3", { exact: true })).toBeVisible();
    await expect(dataRows(page)).toHaveCount(63);
    await expect(next).toHaveCount(0);
    await expect(pager.getByText("Next →", { exact: true })).toBeVisible();
  });

  await test.step("← Previous goes back to Page 2 with 100 devices", async () => {
    await previous.click();
    await expect(page).toHaveURL(/[?&]page=2\b/);
    await expect(pager.getByText("Page 2 of 3", { exact: true })).toBeVisible();
    await expect(dataRows(page)).toHaveCount(100);
    await expect(next).toBeVisible();
    await expect(previous).toBeVisible();
    await settle(page, jsOn);
  });

  await test.step("Sign out ends the session", async () => {
    await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(`${baseURL}/signed-out`);
    await expect(page.getByRole("heading", { level: 1, name: "You signed out" })).toBeVisible();
  });

  await test.step("after signing out, the customers page asks for sign-in again", async () => {
    await page.goto("/customers");
    await expectSandboxSignIn(page);
    await expect(page.getByRole("heading", { name: "Customers" })).toHaveCount(0);
  });

  if (jsOn) {
    await test.step("the browser bundle loaded and hydration reported no errors", async () => {
      const wasmLoaded = bundle.some((line) => /^200 \/pkg\/.+\.wasm$/.test(line));
      expect(wasmLoaded, `the Leptos bundle should load; got ${JSON.stringify(bundle)}`).toBe(true);
      expect(bundle.filter((line) => !line.startsWith("200 ")), "every bundle file should be served").toEqual([]);
      expect(browserErrors).toEqual([]);
    });
  } else {
    // Nothing asks for the script or the WebAssembly (no preload link): not a byte of it.
    await test.step("without JavaScript the bundle is never downloaded, and no errors", async () => {
      expect(bundle, "no page should make the browser download the bundle").toEqual([]);
      expect(browserErrors).toEqual([]);
    });
  }
});
