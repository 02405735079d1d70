// A client generated from /openapi.json (openapi-typescript types, openapi-fetch calls),
// used as an SPA would: register, log in (JSON and the OAuth2 form), create products,
// change stock, list by cursor, post and vote, log out, and find the token refused; then
// verify the address and reset the password with the tokens from the mails the server
// sent (read from MAIL_DIR, where tests/e2e/smtp_sink.py stores them).
// `tsc` type-checks every call against the document before this runs.
// Usage: node dist/flow.js BASE_URL MAIL_DIR
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.d.ts";

type Product = components["schemas"]["ProductResponse"];

const [base, mailArg] = process.argv.slice(2);
if (!base || !mailArg) throw new Error("usage: node dist/flow.js BASE_URL MAIL_DIR");
const mailDir: string = mailArg;

/** The token of the newest mail to `to` whose text links `page` (waits up to 15 s). */
async function mailedToken(to: string, page: string, after = 0): Promise<[string, number]> {
  const pattern = new RegExp(`/${page}\\?token=([A-Za-z0-9_-]+)`);
  for (let i = 0; i < 150; i++) {
    const names = readdirSync(mailDir).filter((n) => n.endsWith(".eml"));
    names.sort((a, b) => parseInt(a) - parseInt(b));
    for (const name of names.reverse()) {
      const n = parseInt(name);
      if (n <= after) break;
      // The text part may be quoted-printable: soft breaks cut the link, `=` is `=3D`.
      const text = readFileSync(join(mailDir, name), "utf8")
        .replace(/=\r?\n/g, "")
        .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      const found = text.includes(to) ? pattern.exec(text) : null;
      if (found) return [found[1]!, n];
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${to} linking /${page}`);
}

function check(step: string, ok: boolean, detail?: unknown): void {
  if (!ok) {
    console.error(`FAILED ${step}:`, JSON.stringify(detail));
    process.exit(1);
  }
  console.log(`ok  ${step}`);
}

const api = createClient<paths>({ baseUrl: base });
const tag = Math.random().toString(36).slice(2, 10);
const email = `client-${tag}@example.com`;
const password = "generated client password";

const registered = await api.POST("/api/v1/auth/register", { body: { email, password } });
check("register", registered.response.status === 201 && registered.data?.user.email === email, registered.error);

const login = await api.POST("/api/v1/auth/login", { body: { email, password } });
check("login (JSON)", login.response.status === 200 && !!login.data?.access_token, login.error);
const form = await api.POST("/api/v1/auth/login", {
  body: { username: email, password, grant_type: "password" },
  bodySerializer: (body) => new URLSearchParams(body as Record<string, string>),
  headers: { "Content-Type": "application/x-www-form-urlencoded" },
});
check("login (OAuth2 form)", form.response.status === 200, form.error);

const token = login.data!.access_token;
const auth = { headers: { Authorization: `Bearer ${token}` } };
const me = await api.GET("/api/v1/users/me", auth);
check("me", me.data?.email === email && me.data?.role === "member", me.error);

const made: Product[] = [];
for (const [i, price] of ["4.50", "1.25", "9.99"].entries()) {
  const created = await api.POST("/api/v1/products", {
    ...auth,
    body: { name: `Client tea ${tag} ${i}`, price, category: "grocery" },
  });
  check(`create product ${i}`, created.response.status === 201 && !!created.data, created.error);
  made.push(created.data!);
}
const first = made[0]!;
const stocked = await api.POST("/api/v1/products/{id}/stock", {
  ...auth,
  params: { path: { id: first.id } },
  body: { delta: 5, reason: "delivery" },
});
check("stock +5", stocked.data?.quantity === 5 && stocked.data?.in_stock === true, stocked.error);
const refused = await api.POST("/api/v1/products/{id}/stock", {
  ...auth,
  params: { path: { id: first.id } },
  body: { delta: -9 },
});
check("stock -9 refused with 409", refused.response.status === 409 && refused.error?.status === 409, refused.error);

const seen: string[] = [];
let cursor: string | undefined;
do {
  const page = await api.GET("/api/v1/products", {
    params: { query: { q: tag, sort: "price", limit: 2, ...(cursor ? { cursor } : {}) } },
  });
  check("list page", page.response.status === 200 && !!page.data, page.error);
  seen.push(...page.data!.items.map((p) => p.name));
  cursor = page.data!.next_cursor ?? undefined;
} while (cursor);
const byPrice = [made[1]!, made[0]!, made[2]!].map((p) => p.name);
check("pages by cursor, cheapest first", JSON.stringify(seen) === JSON.stringify(byPrice), seen);

const post = await api.POST("/api/v1/posts", { ...auth, body: { title: `Post ${tag}`, content: "From a generated client" } });
check("create post", post.response.status === 201 && !!post.data, post.error);
const vote = await api.POST("/api/v1/votes", { ...auth, body: { post_id: post.data!.id, dir: 1 } });
check("vote", vote.response.status === 201 && vote.data?.votes === 1, vote.error);

const logout = await api.POST("/api/v1/auth/logout", auth);
check("logout", logout.response.status === 204, logout.error);
const after = await api.GET("/api/v1/users/me", auth);
check("token refused after logout", after.response.status === 401 && after.error?.status === 401, after.error);

check("new accounts start unverified", me.data?.email_verified === false, me.data);
const [verifyToken, welcomeMail] = await mailedToken(email, "verify-email");
const verified = await api.POST("/api/v1/auth/verify-email", { body: { token: verifyToken } });
check("verify the address from the welcome mail", verified.response.status === 204, verified.error);
const again = await api.POST("/api/v1/auth/verify-email", { body: { token: verifyToken } });
check("a spent link is 422", again.response.status === 422 && again.error?.status === 422, again.error);

const asked = await api.POST("/api/v1/auth/password-reset", { body: { email } });
check("ask for a reset", asked.response.status === 202 && !!asked.data?.detail, asked.error);
const [resetToken] = await mailedToken(email, "reset-password", welcomeMail);
const newPassword = "a brand new client password";
const reset = await api.POST("/api/v1/auth/password-reset/confirm", {
  body: { token: resetToken, password: newPassword },
});
check("set the new password", reset.response.status === 204, reset.error);
const relogin = await api.POST("/api/v1/auth/login", { body: { email, password: newPassword } });
check("log in with the new password", relogin.response.status === 200 && !!relogin.data, relogin.error);
const meNow = await api.GET("/api/v1/users/me", {
  headers: { Authorization: `Bearer ${relogin.data!.access_token}` },
});
check("verified", meNow.data?.email_verified === true, meNow.data);
const oldPassword = await api.POST("/api/v1/auth/login", { body: { email, password } });
check("the old password is refused", oldPassword.response.status === 401, oldPassword.error);
console.log("the generated client's flow passed");
