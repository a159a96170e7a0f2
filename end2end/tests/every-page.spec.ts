// Every page the app leads to, reached as a person would: from the customer, batch, job,
// preview, history and audit pages, every link is followed and every form that only opens a
// page (method GET: a search, "Delete the chosen devices…") is sent; forms that sign out,
// delete, submit or resend (method POST) are seen on their page, never sent. A crawl of the
// app as it stands, not a list of known routes. With JavaScript on, links are clicked, so the
// client-side router takes them (a route it lacks shows "Page not found" without asking the
// server). Every page is checked at a desk's width and at a phone's:
//   - it has its heading, and it is not "Page not found";
//   - nothing in the console (but the status of an explained refusal: a page that says why);
//   - no sideways scrolling at 390 px;
//   - no axe violation of WCAG 2.0, 2.1 and 2.2, levels A and AA.
// Downloads (exports, failed rows, reports) are fetched and must answer 200.
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import {
  CONTOSO,
  damaged,
  FABRIKAM,
  hash,
  NORTHWIND,
  SANDBOX_URL,
  settle,
  signInToNorthwind,
  uploadToNewBatch,
} from "./support";

const DESK = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** A folder to keep a screenshot of every page at both sizes in, when one is named. */
const SCREENSHOTS = process.env.ZTD_SCREENSHOTS;
const WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"];
const HEADER = "Device Serial Number,Windows Product ID,Hardware Hash,Manufacturer name,Device model";

/**
 * What makes two addresses "the same page" for the crawl: segments with a digit (ids, batch
 * names with numbers) and query values are left out, so that 263 device links, or the pages
 * of a pager, are visited once. A crawl of every id would be the same checks many times.
 */
function shape(url: URL): string {
  const path = url.pathname
    .split("/")
    .map((segment) => (/\d/.test(segment) ? "*" : segment))
    .join("/");
  const keys = [...new Set(url.searchParams.keys())].sort().join("&");
  return keys ? `${path}?${keys}` : path;
}

/** Where to go next: a link (by its address), or a GET form (by its position on the page). */
type Step = { from: string; href: string } | { from: string; form: number; button: number; action: string };

/** The links and GET forms a page offers, as steps from it. */
async function stepsFrom(page: Page): Promise<{ links: Step[]; downloads: string[] }> {
  const from = page.url();
  const found = await page.evaluate(() => {
    const links = [...document.querySelectorAll<HTMLAnchorElement>("a[href]")].map((a) => ({
      href: a.href,
      download: a.hasAttribute("download"),
    }));
    // Each button that sends its form with GET (its own formmethod, or the form's method).
    const forms = [...document.querySelectorAll<HTMLFormElement>("form")].flatMap((f, form) => {
      const buttons = [...f.querySelectorAll<HTMLButtonElement>("button[type=submit], button:not([type])")];
      const method0 = (f: HTMLFormElement) => (f.getAttribute("method") ?? "get").toLowerCase();
      const method = (b: HTMLButtonElement) =>
        (b.getAttribute("formmethod") ?? f.getAttribute("method") ?? "get").toLowerCase();
      // A form without a button (the header's search) is sent by Enter.
      if (buttons.length === 0) return method0(f) === "get" ? [{ form, button: -1, action: f.action }] : [];
      return buttons
        .filter((b) => method(b) === "get")
        .map((b) => ({ form, button: buttons.indexOf(b), action: b.formAction || f.action }));
    });
    return { links, forms };
  });
  const origin = new URL(from).origin;
  const links: Step[] = [];
  const downloads: string[] = [];
  for (const { href, download } of found.links) {
    const url = new URL(href);
    // Off the site (the sandbox's pages are not the dashboard's), or a place on this page.
    if (url.origin !== origin || (url.pathname === new URL(from).pathname && url.hash)) continue;
    if (download) downloads.push(href);
    else links.push({ from, href });
  }
  for (const { form, button, action } of found.forms) {
    if (new URL(action).origin === origin) links.push({ from, form, button, action });
  }
  return { links, downloads };
}

/** Goes where the step leads, as a person would: a click (or a press of the form's button). */
async function take(page: Page, jsOn: boolean, step: Step) {
  await page.goto(step.from);
  await settle(page, jsOn);
  if ("href" in step) {
    const target = new URL(step.href);
    // A link inside a closed <details> or a skip link is not visible: the click event is
    // what the router listens to, so dispatch it. Found by where it leads (`a.href` is
    // absolute even when the page wrote it relative).
    await page.evaluate((href) => {
      [...document.querySelectorAll<HTMLAnchorElement>("a[href]")].find((a) => a.href === href)!.click();
    }, step.href);
    // Some links act in place with JavaScript on ("Tick every device on this page"): the
    // page they are on is then what is checked.
    if (target.href !== step.from) await page.waitForURL(target.href, { timeout: 3_000, waitUntil: "commit" }).catch(() => {});
  } else {
    const form = page.locator("form").nth(step.form);
    // A search needs something to search for.
    for (const input of await form.locator("input[type=search], input[type=text]").all()) {
      if ((await input.inputValue()) === "") await input.fill("a");
    }
    if (step.button < 0) {
      await form.evaluate((f: HTMLFormElement) => f.requestSubmit());
    } else {
      const button = form.locator("button[type=submit], button:not([type])").nth(step.button);
      await button.evaluate((b: HTMLButtonElement) => b.form!.requestSubmit(b));
    }
    await page.waitForURL((url) => url.href !== step.from, { timeout: 3_000, waitUntil: "commit" }).catch(() => {});
  }
  await page.waitForLoadState("load");
  await settle(page, jsOn);
}

/** What is wrong with the page the browser shows now, at both sizes. */
async function check(page: Page, consoleErrors: string[]): Promise<string[]> {
  const where = page.url();
  const problems: string[] = [];
  const headings = await page.getByRole("heading", { level: 1 }).allTextContents();
  if (headings.length === 0) problems.push("no main heading");
  if (headings.some((h) => /page not found/i.test(h))) problems.push("Page not found");
  // An explained refusal (a 403 for a customer without a reseller relationship, a 400 for a
  // form that chose nothing, a 409) answers its status, which Chromium reports in the
  // console; the page says why in its alert. A 404 is a link to nowhere, never explained.
  // Any other console error is a problem.
  const explained = (await page.getByRole("alert").count()) > 0 && headings.length > 0;
  for (const error of consoleErrors.splice(0)) {
    if (explained && /the server responded with a status of (400|403|409) /.test(error)) continue;
    problems.push(error);
  }
  for (const size of [DESK, PHONE]) {
    await page.setViewportSize(size);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > size.width) {
      // The innermost elements that reach past the screen's edge: what to fix.
      const wide = await page.evaluate((w) => {
        const past = [...document.querySelectorAll<HTMLElement>("body *")].filter(
          (e) => e.getBoundingClientRect().right > w + 1,
        );
        return past
          .filter((e) => !past.some((other) => other !== e && e.contains(other)))
          .slice(0, 3)
          .map((e) => `${e.tagName.toLowerCase()}${e.className ? `.${String(e.className).replace(/ /g, ".")}` : ""}`);
      }, size.width);
      problems.push(`${width} px wide at ${size.width} px: scrolls sideways (${wide.join(", ")})`);
    }
    const axe = await new AxeBuilder({ page }).withTags(WCAG).analyze();
    for (const v of axe.violations) {
      const targets = v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ");
      problems.push(`axe at ${size.width} px: ${v.id} (${v.nodes.length}×: ${targets})`);
    }
    if (SCREENSHOTS) {
      const name = shape(new URL(where)).replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "") || "root";
      await page.screenshot({ path: `${SCREENSHOTS}/${size.width}-${name}.png`, fullPage: true });
    }
  }
  await page.setViewportSize(DESK);
  return problems.map((p) => `${shape(new URL(where))} (${where}): ${p}`);
}

test("every page reached from the app's pages opens, reads at a desk and on a phone, and passes axe", async ({
  page,
}, testInfo) => {
  test.setTimeout(300_000);
  const jsOn = testInfo.project.use.javaScriptEnabled !== false;
  // axe and the checks run scripts in the page; the client-side router is what the crawl
  // exists for. Without JavaScript, every journey spec covers its own pages.
  test.skip(!jsOn, "the crawl runs with JavaScript on");
  const run = `${testInfo.project.name}-${Date.now()}`;
  const consoleErrors: string[] = [];
  page.on("pageerror", (error) => consoleErrors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(`console: ${message.text()}`);
  });
  await page.setViewportSize(DESK);

  // Something on every page: a job (one device registered, one refused by Partner Center as
  // damaged, one as registered to another organisation, which has a page of its own), a
  // preview with a mistake left unsent, and the deletion of the registered device.
  const elsewhere = (await (await page.request.get(`${SANDBOX_URL}/_sandbox/customers/${FABRIKAM}/devices`)).json())
    .find((d: Record<string, unknown>) => d.serialNumber && d.oemManufacturerName && d.modelName);
  const csv = [
    HEADER,
    `CRAWL-${run}-1,,${hash()},,`,
    `CRAWL-${run}-2,,${hash()}x,,`,
    `CRAWL-${run}-3,,${damaged(hash())},,`,
    `${elsewhere.serialNumber},,,${elsewhere.oemManufacturerName},${elsewhere.modelName}`,
  ].join("\r\n");
  const made = await test.step("an upload sent, one left at its preview, a device deleted", async () => {
    await signInToNorthwind(page, jsOn);
    await uploadToNewBatch(page, jsOn, { name: "crawl.csv", mimeType: "text/csv", buffer: Buffer.from(csv) }, `Crawl ${run}`);
    await page.getByRole("button", { name: "Remove every row with an error" }).click();
    await settle(page, jsOn);
    await page.getByRole("button", { name: /^Register 3 devices/ }).click();
    await expect(page).toHaveURL(/\/operations\/[0-9a-f-]{36}$/);
    await expect(page.getByRole("status").first()).toHaveText(/Finished/, { timeout: 30_000 });
    const job = page.url();
    await page.goto(`/customers/${NORTHWIND}/batches`);
    await uploadToNewBatch(page, jsOn, { name: "draft.csv", mimeType: "text/csv", buffer: Buffer.from(csv) }, `Draft ${run}`);
    const preview = page.url();
    await page.goto(job);
    await settle(page, jsOn);
    await page.getByRole("link", { name: `Crawl ${run}`, exact: true }).first().click();
    await settle(page, jsOn);
    await page.getByRole("checkbox", { name: `Select CRAWL-${run}-1` }).check();
    await page.getByRole("button", { name: "Delete the chosen devices…" }).click();
    await settle(page, jsOn);
    await page.getByRole("button", { name: "Delete the device" }).click();
    await expect(page).toHaveURL(/\/operations\/[0-9a-f-]{36}\?done=deletion-started$/);
    return { job, preview, deletion: page.url() };
  });
  // The crawl's batch, by the batch list's link to it (written relative to the list).
  const list = `/customers/${NORTHWIND}/batches`;
  const listed = await (await page.request.get(list)).text();
  const href = listed.match(new RegExp(`<a href="([^"]+)">Crawl ${run}</a>`))?.[1];
  const batch = href && new URL(href, new URL(list, page.url())).href;
  expect(batch, "the crawl's batch is listed").toBeTruthy();

  const starts = [
    "/customers",
    `/customers/${NORTHWIND}/batches`,
    batch!,
    // Contoso: a batch of 263 devices, two Autopilot profiles.
    `/customers/${CONTOSO}/batches`,
    `/customers/${CONTOSO}/batches/Contoso%20Laptops%202024`,
    `/customers/${CONTOSO}/profiles`,
    made.job,
    made.preview,
    made.deletion,
    "/uploads",
    "/audit",
  ].map((p) => new URL(p, page.url()).href);
  const seen = new Set<string>();
  const downloads = new Set<string>();
  const problems: string[] = [];
  const queue: (Step | { start: string })[] = starts.map((start) => ({ start }));
  for (const start of starts) seen.add(shape(new URL(start)));
  let visited = 0;

  while (queue.length > 0) {
    const next = queue.shift()!;
    if ("start" in next) {
      await page.goto(next.start);
      await settle(page, jsOn);
    } else {
      await take(page, jsOn, next);
    }
    visited += 1;
    console.log(`${visited}: ${"start" in next ? next.start : "href" in next ? `${next.from} → ${next.href}` : `${next.from} → form ${next.action}`} = ${page.url()}`);
    problems.push(...(await check(page, consoleErrors)));
    const { links, downloads: files } = await stepsFrom(page);
    for (const file of files) {
      const key = shape(new URL(file));
      if (!downloads.has(key)) downloads.add(key) && problems.push(...(await fetchDownload(file)));
    }
    for (const step of links) {
      const key = "href" in step ? shape(new URL(step.href)) : `form ${shape(new URL(step.action))}`;
      if (seen.has(key)) continue;
      seen.add(key);
      queue.push(step);
    }
  }

  async function fetchDownload(href: string): Promise<string[]> {
    const answer = await page.request.get(href);
    return answer.status() === 200 ? [] : [`download ${href}: ${answer.status()}`];
  }

  testInfo.annotations.push({ type: "crawled", description: `${visited} pages, ${downloads.size} downloads` });
  console.log(`crawled ${visited} pages and ${downloads.size} downloads (${testInfo.project.name})`);
  expect(problems).toEqual([]);
});
