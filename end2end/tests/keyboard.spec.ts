// The whole upload journey with the keyboard alone: sign in, open the upload form, choose the
// file, name the batch, check it, leave out the row with a mistake, register, follow the
// job. Every element the Tab key reaches on the dashboard's pages shows where the focus is
// (an outline at least 2 px wide, or a focus shadow). With JavaScript on and off.
import { expect, test, type Locator, type Page } from "@playwright/test";
import { hash, NORTHWIND, settle } from "./support";

const HEADER = "Device Serial Number,Windows Product ID,Hardware Hash,Manufacturer name,Device model";

/** How the focused element shows its focus, or why it does not. */
async function focusShown(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return "nothing has the focus";
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
    if (outline || style.boxShadow !== "none") return null;
    const name = el.getAttribute("aria-label") ?? el.textContent?.trim().slice(0, 40) ?? "";
    return `${el.tagName.toLowerCase()} “${name}” has no visible focus`;
  });
}

/**
 * Presses Tab until `target` has the focus, checking on the way that every element reached
 * shows it (`checkFocus`: on the dashboard's own pages, not the sandbox's sign-in page).
 */
async function tabTo(page: Page, target: Locator, checkFocus = true) {
  for (let presses = 0; presses < 60; presses++) {
    await page.keyboard.press("Tab");
    if (checkFocus) expect(await focusShown(page)).toBeNull();
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`60 presses of Tab did not reach ${target}`);
}

test("an upload from sign-in to its finished job, with the keyboard alone", async ({ page }, testInfo) => {
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  const run = `${testInfo.project.name}-${Date.now()}`;
  const batch = `Keyboard ${run}`;

  await test.step("sign in", async () => {
    await page.goto(`/customers/${NORTHWIND}/batches`);
    await tabTo(page, page.getByRole("link", { name: /^Avery Admin admin@/ }), false);
    await page.keyboard.press("Enter");
    await expect(page.getByRole("heading", { level: 1, name: "Northwind Traders" })).toBeVisible();
    await settle(page, jsOn);
  });

  await test.step("the upload form: the file, the batch's name, checked", async () => {
    await tabTo(page, page.getByRole("link", { name: "Upload devices" }));
    // What the main region's heading said each time it took the focus.
    await page.evaluate(() => {
      (window as any).focusedWith = [];
      document.addEventListener("focusin", (event) => {
        const target = event.target as HTMLElement;
        if (target.id === "main") (window as any).focusedWith.push(target.querySelector("h1")?.textContent ?? "no heading");
      });
    });
    await page.keyboard.press("Enter");
    await expect(page.getByRole("heading", { level: 1, name: /Upload devices for Northwind/ })).toBeVisible();
    await settle(page, jsOn);
    // With JavaScript on the link led there in place: the focus is at the new content's top,
    // placed once that content was there (not on the page being left, nor on "Loading…").
    if (jsOn) {
      await expect(page.locator("main")).toBeFocused();
      const focused: string[] = await page.evaluate(() => (window as any).focusedWith);
      expect(focused).toHaveLength(1);
      expect(focused[0]).toMatch(/^Upload devices for Northwind/);
    }
    await tabTo(page, page.getByLabel("Device list"));
    const chooser = page.waitForEvent("filechooser");
    await page.keyboard.press("Space");
    const csv = [HEADER, `KEY-${run}-1,,${hash()},,`, `KEY-${run}-2,,not a hash,,`].join("\r\n");
    await (await chooser).setFiles({ name: "keyboard.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await tabTo(page, page.getByLabel("Name of the new batch"));
    await page.keyboard.type(batch);
    await tabTo(page, page.getByRole("button", { name: "Check the devices" }));
    await page.keyboard.press("Enter");
    await expect(page.getByRole("heading", { level: 1, name: "Check the upload" })).toBeVisible();
    await settle(page, jsOn);
  });

  await test.step("the mistake left out, the devices registered", async () => {
    await tabTo(page, page.getByRole("button", { name: "Remove every row with an error" }));
    await page.keyboard.press("Enter");
    await expect(page.getByRole("button", { name: /^Register 1 device/ })).toBeEnabled();
    await settle(page, jsOn);
    await tabTo(page, page.getByRole("button", { name: /^Register 1 device/ }));
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(/\/operations\/[0-9a-f-]{36}$/);
  });

  await test.step("the job followed to its end", async () => {
    await expect(page.getByRole("status").first()).toHaveText(/Finished\. Every device is registered/, {
      timeout: 30_000,
    });
    await settle(page, jsOn);
    await tabTo(page, page.getByRole("link", { name: batch, exact: true }));
  });
});
