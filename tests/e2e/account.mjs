// Account recovery as a user lives it, in Debian's Chromium, headless: register, follow the
// verification link from the welcome mail (nothing is verified until the button is
// pressed), ask for a password reset, follow the link from that mail, set a new password,
// and check that it signs in while the old password and the old session no longer work.
// Mail comes from the SMTP sink (smtp_sink.py) as MAIL_DIR/<n>.eml. It fails on any page
// error, any console message the Content-Security-Policy caused, and any asset that failed.
//
// Usage: node account.mjs BASE_URL MAIL_DIR SCREENSHOT_DIR   (CHROMIUM: the browser)
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import puppeteer from "puppeteer-core";

const [baseArg, mailDir, shots] = process.argv.slice(2);
if (!baseArg || !mailDir || !shots) throw new Error("usage: node account.mjs BASE_URL MAIL_DIR SCREENSHOT_DIR");
const base = baseArg.replace(/\/+$/, "");

const email = `account-${Date.now()}@example.com`;
const oldPassword = "old e2e password";
const newPassword = "new e2e password";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ok = (step, text) => console.log(`ok  ${step}: ${text}`);

async function api(method, path, { body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON: keep the text for the message */ }
  return { status: res.status, json, text };
}

function expectStatus(what, res, status) {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status}: ${res.text}`);
}

// --- A minimal MIME reader: headers, multipart bodies, quoted-printable and base64. ---

function splitHead(raw) {
  const at = raw.search(/\r?\n\r?\n/);
  const head = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? "" : raw.slice(at).replace(/^\r?\n\r?\n/, "");
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] ??= line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function decode(body, encoding) {
  switch ((encoding ?? "").toLowerCase()) {
    case "quoted-printable": {
      const bytes = body.replace(/=\r?\n/g, "").replace(/=([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
      return Buffer.from(bytes, "latin1").toString("utf8");
    }
    case "base64":
      return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
    default: // 7bit or 8bit: the bytes are UTF-8
      return Buffer.from(body, "latin1").toString("utf8");
  }
}

// Every text/plain part of a message, decoded.
function textParts(raw) {
  const { headers, body } = splitHead(raw);
  const type = headers["content-type"] ?? "text/plain";
  if (/^multipart\//i.test(type)) {
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (!boundary) return [];
    const parts = body.split(new RegExp(`\\r?\\n?--${boundary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    // parts[0] is the preamble; a part starting with "--" is the epilogue after the end.
    return parts.slice(1).filter((p) => !p.startsWith("--")).flatMap((p) => textParts(p.replace(/^[ \t]*\r?\n/, "")));
  }
  return /^text\/plain/i.test(type) ? [decode(body, headers["content-transfer-encoding"])] : [];
}

// The messages to `email` so far, oldest first, each as { file, subject, text }.
async function mailsTo(address) {
  const files = (await readdir(mailDir)).filter((f) => /^\d+\.eml$/.test(f)).sort((a, b) => parseInt(a) - parseInt(b));
  const mails = [];
  for (const file of files) {
    const raw = await readFile(join(mailDir, file), "latin1");
    const { headers } = splitHead(raw);
    if (!(headers.to ?? "").toLowerCase().includes(address)) continue;
    mails.push({ file, subject: headers.subject ?? "", text: textParts(raw).join("\n") });
  }
  return mails;
}

// Polls MAIL_DIR until a mail to `email` holds `{base}/{path}?token=...`; returns that link.
async function waitForLink(path, within = 15000) {
  const escaped = `${base}/${path}`.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(`${escaped}\\?token=([A-Za-z0-9._~%-]+)`);
  const deadline = Date.now() + within;
  for (;;) {
    for (const mail of await mailsTo(email)) {
      const found = pattern.exec(mail.text);
      if (found) return { link: found[0], mail };
    }
    if (Date.now() > deadline) {
      const seen = (await mailsTo(email)).map((m) => `${m.file} "${m.subject}"`).join(", ") || "none";
      throw new Error(`no mail to ${email} with ${base}/${path}?token= within ${within} ms (mails to it: ${seen})`);
    }
    await sleep(200);
  }
}

async function me(token) {
  return api("GET", "/api/v1/users/me", { token });
}

// --- The browser. ---

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  // Root in a container has no user namespace for Chromium's sandbox.
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const problems = [];
const apiCalls = []; // what the page itself posted to the API, in order
let page;
try {
  page = await browser.newPage();
  // A phone: the pages must be readable there (viewport meta, one column).
  await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  page.on("request", (r) => {
    if (new URL(r.url()).pathname.startsWith("/api/")) apiCalls.push(`${r.method()} ${new URL(r.url()).pathname}`);
  });
  // Pages and assets must load. The API's answers are judged by the steps below: it answers
  // 4xx on purpose, and Chromium reports an unread 204 as aborted when the page goes away.
  // (Chromium asks for a favicon by itself, which the server need not serve.)
  const asset = (url) => !new URL(url).pathname.startsWith("/api/") && new URL(url).pathname !== "/favicon.ico";
  page.on("requestfailed", (r) => {
    if (asset(r.url())) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on("response", (r) => {
    if (r.status() >= 400 && asset(r.url())) problems.push(`${r.status()} for ${r.url()}`);
  });
  const statusText = () => page.$eval("#status", (el) => el.textContent.trim());
  const waitForStatus = async (expected, what) => {
    try {
      await page.waitForFunction(
        (text) => {
          const now = document.getElementById("status").textContent.trim();
          return text.endsWith("*") ? now.startsWith(text.slice(0, -1)) : now === text;
        },
        { timeout: 10000 },
        expected,
      );
    } catch {
      throw new Error(`${what}: expected "${expected}" in #status, it reads "${await statusText()}"`);
    }
  };
  const fill = async (selector, value) => {
    await page.$eval(selector, (el) => { el.value = ""; });
    await page.type(selector, value);
  };
  // Opens a page, checks the headers the pages need, and that account.js and account.css ran.
  const open = async (url, ready) => {
    const res = await page.goto(url, { waitUntil: "networkidle0" });
    if (res.status() !== 200) throw new Error(`GET ${url}: ${res.status()}`);
    const csp = res.headers()["content-security-policy"] ?? "";
    if (!/default-src 'none'/.test(csp) || !/script-src 'self'/.test(csp)) throw new Error(`GET ${url}: CSP is "${csp}"`);
    if (res.headers()["referrer-policy"] !== "no-referrer") throw new Error(`GET ${url}: Referrer-Policy is "${res.headers()["referrer-policy"]}"`);
    await page.waitForSelector(ready, { timeout: 5000 });
    const styled = await page.$eval(".card", (el) => getComputedStyle(el).maxWidth !== "none");
    if (!styled) throw new Error(`GET ${url}: account.css did not apply`);
    if (problems.length) throw new Error(problems.join("\n"));
  };

  // (1) Register.
  const registered = await api("POST", "/api/v1/auth/register", { body: { email, password: oldPassword } });
  expectStatus("register", registered, 201);
  const firstToken = registered.json.access_token;
  ok("1 register", `${email} → 201`);

  // (2) The welcome mail holds the verification link.
  const welcome = await waitForLink("verify-email");
  ok("2 welcome mail", `${welcome.mail.file} "${welcome.mail.subject}" links ${base}/verify-email?token=…`);

  // (3) Opening the link verifies nothing; pressing the button does, once.
  await open(welcome.link, "#verify:not([disabled])");
  await page.screenshot({ path: join(shots, "verify-email.png") });
  if (apiCalls.length) throw new Error(`the verify page called the API on load: ${apiCalls.join(", ")}`);
  let user = await me(firstToken);
  expectStatus("GET /users/me before verifying", user, 200);
  if (user.json.email_verified !== false) throw new Error(`email_verified before pressing: ${user.json.email_verified}`);
  await page.click("#verify");
  await waitForStatus("Your e-mail address is verified. Thank you!", "verify");
  user = await me(firstToken);
  if (user.json.email_verified !== true) throw new Error(`email_verified after pressing: ${user.json.email_verified}`);
  await page.screenshot({ path: join(shots, "verify-email-done.png") });
  await open(welcome.link, "#verify:not([disabled])");
  await page.click("#verify");
  await waitForStatus("This link is invalid, has expired or was already used.", "verify twice");
  ok("3 verify page", "nothing verified on load; the button verified (email_verified true); the link then refused");

  // Links without a token say so and offer nothing to press.
  for (const [path, control] of [["verify-email", "#verify"], ["reset-password", "#submit"]]) {
    await open(`${base}/${path}`, "#status:not(:empty)");
    if ((await statusText()) !== "This link is incomplete.") throw new Error(`/${path} without token: "${await statusText()}"`);
    if (!(await page.$eval(control, (el) => el.matches(":disabled")))) throw new Error(`/${path} without token: ${control} is enabled`);
  }
  ok("3 incomplete links", "both pages without ?token= say so and stay disabled");

  // (4) Password reset: the mail, then the page.
  expectStatus("password-reset", await api("POST", "/api/v1/auth/password-reset", { body: { email } }), 202);
  const reset = await waitForLink("reset-password");
  ok("4 reset mail", `${reset.mail.file} "${reset.mail.subject}" links ${base}/reset-password?token=…`);
  await open(reset.link, "#fields:not([disabled])");
  const before = apiCalls.length;
  await fill("#password", newPassword);
  await fill("#password2", `${newPassword} typo`);
  await page.click("#submit");
  await waitForStatus("The passwords do not match.", "mismatch");
  if (apiCalls.length !== before) throw new Error("the reset page posted passwords that do not match");
  // Too short: the API names the password, and the token stays good for the next try.
  await fill("#password", "short");
  await fill("#password2", "short");
  await page.click("#submit");
  await waitForStatus("The password *", "short password");
  const shortMessage = await statusText();
  await fill("#password", newPassword);
  await fill("#password2", newPassword);
  await page.click("#submit");
  await waitForStatus("Your password has been changed. You can now sign in with it.", "reset");
  if (!(await page.$eval("#reset-form", (el) => el.hidden))) throw new Error("the form is still shown after the change");
  await page.screenshot({ path: join(shots, "reset-password-done.png") });
  ok("4 reset page", `mismatch caught before sending; "${shortMessage}"; then changed`);

  // (5) The new password signs in; the old one and the old session are gone.
  const login = (password) => api("POST", "/api/v1/auth/login", { body: { email, password } });
  const fresh = await login(newPassword);
  expectStatus("login with the new password", fresh, 200);
  expectStatus("login with the old password", await login(oldPassword), 401);
  expectStatus("GET /users/me with the token from before the reset", await me(firstToken), 401);
  expectStatus("GET /users/me with the new token", await me(fresh.json.access_token), 200);
  // A spent reset link says so.
  await open(reset.link, "#fields:not([disabled])");
  await fill("#password", newPassword);
  await fill("#password2", newPassword);
  await page.click("#submit");
  await waitForStatus("This link is invalid, has expired or was already used. Ask for a new one.", "reset twice");
  ok("5 sign in", "new password 200, old password 401, old session 401; the reset link then refused");

  // The owner hears of the change: a third mail (welcome, reset, this one).
  const deadline = Date.now() + 15000;
  while ((await mailsTo(email)).length < 3) {
    if (Date.now() > deadline) throw new Error(`no "password changed" mail to ${email} within 15 s`);
    await sleep(200);
  }
  const mails = await mailsTo(email);
  ok("5 changed mail", `${mails.length} mails to ${email}, the last "${mails.at(-1).subject}"`);

  if (problems.length) throw new Error(problems.join("\n"));
  console.log(`ok  account recovery; screenshots in ${shots}`);
} catch (e) {
  // What the page showed when it went wrong, beside the error.
  await page?.screenshot({ path: join(shots, "account-failure.png"), fullPage: true }).catch(() => {});
  if (problems.length) console.error(problems.join("\n"));
  throw e;
} finally {
  await browser.close();
}
