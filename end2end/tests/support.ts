// Steps and checks both specs share. Locators go by role and visible text, as a person would.
import { expect, type Page } from "@playwright/test";

/** The sandbox's authorize page: another host (`localhost`) than the dashboard (`127.0.0.1`). */
export const SANDBOX_SIGN_IN_URL = /^http:\/\/localhost:\d+\/[^?]+\/oauth2\/v2\.0\/authorize\?/;

export const DEMO_USERS = ["Avery Admin", "Sam Sales", "Noel No-MFA", "Robin No-Role"];

/** We are on the sandbox's sign-in page, and it offers every demo user. */
export async function expectSandboxSignIn(page: Page) {
  await expect(page).toHaveURL(SANDBOX_SIGN_IN_URL);
  await expect(
    page.getByRole("heading", { level: 1, name: "Sign in to the sandbox partner tenant" }),
  ).toBeVisible();
  for (const name of DEMO_USERS) {
    await expect(page.getByRole("link", { name: new RegExp(`^${name}\\b`) })).toBeVisible();
  }
}

/** Picks a demo user on the sandbox's sign-in page. */
export async function signInAs(page: Page, name: string) {
  await page.getByRole("link", { name: new RegExp(`^${name}\\b`) }).click();
}

/** The dashboard's header: who is signed in, and that this is the sandbox. */
export async function expectSignedInHeader(page: Page, name: string) {
  const header = page.getByRole("banner");
  await expect(header.getByText(name, { exact: true })).toBeVisible();
  await expect(header.getByText("Sandbox", { exact: true })).toBeVisible();
  await expect(header.getByRole("button", { name: "Sign out" })).toBeVisible();
}

/** Data rows of a table (header cells are column headers, not cells). */
export function dataRows(page: Page) {
  return page.getByRole("table").getByRole("row").filter({ has: page.getByRole("cell") });
}

/**
 * Collects what the browser reports as broken: uncaught exceptions (a failed hydration
 * panics in wasm) and console errors. A missing favicon is not the product's concern, and a
 * page the test expects to answer with an error status (`expected`) is not a failure.
 */
export function watchBrowserErrors(
  page: Page,
  expected: { url: string; status: number }[] = [],
): string[] {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const where = message.location().url ?? "";
    if (/favicon/.test(where) || /favicon/.test(message.text())) return;
    const allowed = expected.some(
      ({ url, status }) =>
        where === url && message.text().includes(`responded with a status of ${status} `),
    );
    if (allowed) return;
    errors.push(`console.error at ${where || page.url()}: ${message.text()}`);
  });
  return errors;
}

/**
 * With JavaScript on, lets the page finish loading its bundle and hydrating before the test
 * moves on (otherwise a quick click leaves before hydration could fail, and its errors are
 * never seen). Leptos sets no "hydrated" marker; "no network for 500 ms" after the wasm file
 * arrived is enough for it to have run. Without JavaScript there is nothing to wait for.
 */
export async function settle(page: Page, jsOn: boolean) {
  if (jsOn) await page.waitForLoadState("networkidle");
}
