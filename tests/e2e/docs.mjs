// A real browser on /docs, as a developer uses it: Debian's Chromium, headless, opens the
// Swagger UI, authorizes through the OAuth2 password form with a freshly registered user,
// runs "Try it out" on GET /api/v1/users/me, and expects the 200 with that user's email.
// It fails on any page error or any console message the Content-Security-Policy caused.
//
// Usage: node docs.mjs BASE_URL SCREENSHOT_PATH   (CHROMIUM: the browser, /usr/bin/chromium)
import puppeteer from "puppeteer-core";

const [base, screenshot] = process.argv.slice(2);
if (!base || !screenshot) throw new Error("usage: node docs.mjs BASE_URL SCREENSHOT_PATH");

const email = `docs-${Date.now()}@example.com`;
const password = "docs e2e password";
const registered = await fetch(`${base}/api/v1/auth/register`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ email, password }),
});
if (registered.status !== 201) throw new Error(`register: ${registered.status}`);

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  // Root in a container has no user namespace for Chromium's sandbox.
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const problems = [];
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1400 });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) {
      problems.push(`CSP: ${m.text()}`);
    }
  });

  await page.goto(`${base}/docs/`, { waitUntil: "networkidle0" });
  await page.waitForSelector("#operations-users-get_me", { timeout: 15000 });

  // Authorize: the OAuth2 password flow posts the form to /api/v1/auth/login.
  await page.click("button.authorize");
  await page.waitForSelector("#oauth_username");
  await page.type("#oauth_username", email);
  await page.type("#oauth_password", password);
  await page.click(".auth-container:has(#oauth_username) .auth-btn-wrapper button.authorize");
  // Authorized: the form gives way to a Logout button (the bearer scheme was left alone).
  await page.waitForSelector('button[aria-label="Remove authorization"]', { timeout: 10000 });
  await page.click("button.btn-done");

  // Try it out on GET /api/v1/users/me.
  const op = "#operations-users-get_me";
  await page.click(`${op} .opblock-summary`);
  await page.waitForSelector(`${op} .try-out__btn`);
  await page.click(`${op} .try-out__btn`);
  await page.click(`${op} .execute`);
  await page.waitForSelector(`${op} .live-responses-table .response .response-col_status`, { timeout: 10000 });
  const status = await page.$eval(
    `${op} .live-responses-table .response .response-col_status`,
    (el) => el.textContent.trim(),
  );
  const body = await page.$eval(`${op} .live-responses-table .response-col_description pre`, (el) => el.textContent);
  await page.$eval(`${op} .live-responses-table`, (el) => el.scrollIntoView({ block: "center" }));
  await page.screenshot({ path: screenshot, fullPage: false });
  if (!status.startsWith("200")) throw new Error(`GET /api/v1/users/me answered ${status}: ${body}`);
  if (!body.includes(email)) throw new Error(`the response is not the signed-in user: ${body}`);
  if (problems.length) throw new Error(problems.join("\n"));
  console.log(`ok  /docs: authorized as ${email}, GET /api/v1/users/me answered ${status}; screenshot ${screenshot}`);
} catch (e) {
  // What the page showed when it went wrong, beside the error.
  const pages = await browser.pages();
  await pages.at(-1)?.screenshot({ path: screenshot, fullPage: true });
  console.error(problems.join("\n"));
  throw e;
} finally {
  await browser.close();
}
