// Steps and checks both specs share. Locators go by role and visible text, as a person would.
import { randomBytes } from "node:crypto";
import { expect, type Page } from "@playwright/test";
import { MAIN_PORT } from "./ports";

/** The sandbox's customers the specs use (its seed: src/sandbox/partner/seed.rs). */
export const CONTOSO = "8b7c6a1e-0000-4000-8000-000000000001";
export const FABRIKAM = "8b7c6a1e-0000-4000-8000-000000000002";
export const NORTHWIND = "8b7c6a1e-0000-4000-8000-000000000004";

/** The built-in sandbox, on the port playwright.config.ts gives it (one above the dashboard). */
export const SANDBOX_URL = `http://127.0.0.1:${MAIN_PORT + 1}`;

/** A fresh hardware hash of `bytes` bytes (4,000: a realistic "4K hash"). */
export const hash = (bytes = 4000) => randomBytes(bytes).toString("base64");

/** The hash with its last data character changed so that padding bits are set: the form's
 * checks pass it, Partner Center's decoder refuses it (802). */
export function damaged(hash: string): string {
  const end = hash.replace(/=+$/, "").length;
  const last = hash[end - 1] === "B" ? "C" : "B";
  return hash.slice(0, end - 1) + last + hash.slice(end);
}

/** The sandbox's authorize page: another host (`localhost`) than the dashboard (`127.0.0.1`). */
export const SANDBOX_SIGN_IN_URL = /^http:\/\/localhost:\d+\/[^?]+\/oauth2\/v2\.0\/authorize\?/;

/** The sandbox's demo users: display name and UPN. Two people share a name (users are told
 * apart by object id), so a user is picked by both. */
export const DEMO_USERS: [string, string][] = [
  ["Avery Admin", "admin@sandbox-partner.onmicrosoft.com"],
  ["Sam Sales", "sales@sandbox-partner.onmicrosoft.com"],
  ["Noel No-MFA", "nomfa@sandbox-partner.onmicrosoft.com"],
  ["Robin No-Role", "norole@sandbox-partner.onmicrosoft.com"],
  ["Avery Admin", "avery.admin@sandbox-partner.onmicrosoft.com"],
];

/** The sign-in page's link for a demo user. */
function userLink(page: Page, name: string, upn: string) {
  return page.getByRole("link", { name: new RegExp(`^${name} ${upn.replace(/\./g, "\\.")}`) });
}

/** We are on the sandbox's sign-in page, and it offers every demo user. */
export async function expectSandboxSignIn(page: Page) {
  await expect(page).toHaveURL(SANDBOX_SIGN_IN_URL);
  await expect(
    page.getByRole("heading", { level: 1, name: "Sign in to the sandbox partner tenant" }),
  ).toBeVisible();
  for (const [name, upn] of DEMO_USERS) {
    await expect(userLink(page, name, upn)).toBeVisible();
  }
}

/** Picks a demo user on the sandbox's sign-in page: the first one of that name. */
export async function signInAs(page: Page, name: string) {
  const [, upn] = DEMO_USERS.find(([n]) => n === name) ?? [name, ""];
  await userLink(page, name, upn).click();
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

/** Signs in as the admin from Northwind Traders' batches, and lands there. */
export async function signInToNorthwind(page: Page, jsOn: boolean) {
  await page.goto(`/customers/${NORTHWIND}/batches`);
  await signInAs(page, "Avery Admin");
  await expect(page.getByRole("heading", { level: 1, name: "Northwind Traders" })).toBeVisible();
  await settle(page, jsOn);
}

type Upload = string | { name: string; mimeType: string; buffer: Buffer };

/** From the customer's batches to the preview of `file`, sent into a new batch `batch`. */
export async function uploadToNewBatch(page: Page, jsOn: boolean, file: Upload, batch: string) {
  await openUploadForm(page, jsOn, file);
  await page.getByLabel("Name of the new batch").fill(batch);
  await checkTheDevices(page, jsOn);
}

/** The same, adding to the existing batch `batch`. */
export async function uploadToBatch(page: Page, jsOn: boolean, file: Upload, batch: string) {
  await openUploadForm(page, jsOn, file);
  await page.getByLabel("Add to the batch").check();
  await page.getByLabel("Existing batch").selectOption(batch);
  await checkTheDevices(page, jsOn);
}

async function openUploadForm(page: Page, jsOn: boolean, file: Upload) {
  await page.getByRole("link", { name: "Upload devices" }).click();
  await expect(page.getByRole("heading", { level: 1, name: /Upload devices for Northwind/ })).toBeVisible();
  await settle(page, jsOn);
  await page.getByLabel("Device list").setInputFiles(file);
}

async function checkTheDevices(page: Page, jsOn: boolean) {
  await page.getByRole("button", { name: "Check the devices" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Check the upload" })).toBeVisible();
  await settle(page, jsOn);
}
