// Moments: written by the server in UTC (it cannot know the viewer's zone), shown in the
// viewer's zone once the page has hydrated, with no hydration error. The browser here is in
// India (UTC+5:30, a zone with minutes and without summer time, so the expected text is
// certain). Without JavaScript the page stays in UTC, which its label says.
import { expect, test, type Page } from "@playwright/test";
import { CONTOSO, settle, signInAs, watchBrowserErrors } from "./support";

test.use({ timezoneId: "Asia/Kolkata" });

/** `2025-04-17T09:00Z` as the page writes it in UTC+5:30. */
function inKolkata(iso: string): string {
  const at = new Date(new Date(iso).getTime() + 330 * 60_000);
  const two = (n: number) => String(n).padStart(2, "0");
  return (
    `${at.getUTCFullYear()}-${two(at.getUTCMonth() + 1)}-${two(at.getUTCDate())} ` +
    `${two(at.getUTCHours())}:${two(at.getUTCMinutes())} UTC+5:30`
  );
}

async function expectFirstMoment(page: Page, jsOn: boolean) {
  const moment = page.getByRole("table").locator("time").first();
  const iso = await moment.getAttribute("datetime");
  expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/);
  await expect(moment).toHaveText(jsOn ? inKolkata(iso!) : /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  await expect(moment).toHaveAttribute("title", /UTC$/);
}

test("moments are shown in the viewer's time zone once the page has hydrated", async ({ page }, testInfo) => {
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  const errors = watchBrowserErrors(page);
  await page.goto(`/customers/${CONTOSO}/batches`);
  await signInAs(page, "Avery Admin");
  await expect(page.getByRole("heading", { level: 1, name: "Contoso Ltd" })).toBeVisible();
  await settle(page, jsOn);

  await test.step("the batch list's creation dates (rows the page writes as HTML)", async () => {
    await expectFirstMoment(page, jsOn);
  });
  await test.step("a batch's upload dates, reached by the client-side router", async () => {
    await page.getByRole("link", { name: "Contoso Laptops 2024", exact: true }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Contoso Laptops 2024" })).toBeVisible();
    await settle(page, jsOn);
    await expectFirstMoment(page, jsOn);
  });
  await test.step("the audit trail, loaded afresh", async () => {
    await page.goto("/audit");
    await settle(page, jsOn);
    await expectFirstMoment(page, jsOn);
  });
  expect(errors).toEqual([]);
});
