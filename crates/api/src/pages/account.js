// The reset-password and verify-email pages. Both read the single-use token from the link
// and post it to the API only on a user's action: link scanners that open a page change
// nothing. The CSP allows this file and nothing inline.
"use strict";

(function () {
  const status = document.getElementById("status");
  const token = new URLSearchParams(location.search).get("token");

  function show(text, kind) {
    status.textContent = text;
    status.className = kind || "";
  }

  // Retry-After is seconds or an HTTP date (RFC 9110); either way, seconds from now.
  function tooMany(response) {
    const value = response.headers.get("retry-after");
    let seconds = value === null ? NaN : Number(value);
    if (value !== null && Number.isNaN(seconds)) {
      seconds = Math.ceil((Date.parse(value) - Date.now()) / 1000);
    }
    return Number.isFinite(seconds) && seconds >= 0
      ? `Too many attempts; try again in ${Math.ceil(seconds)} seconds.`
      : "Too many attempts; try again later.";
  }

  // The RFC 9457 problem's `errors: [{field, message}]`, or none if the body is not one.
  async function fieldErrors(response) {
    try {
      const problem = await response.json();
      return Array.isArray(problem.errors) ? problem.errors : [];
    } catch {
      return [];
    }
  }

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  }

  const GENERIC = "Something went wrong; try again later.";

  function resetPage(form) {
    const fields = document.getElementById("fields");
    const password = document.getElementById("password");
    const password2 = document.getElementById("password2");
    if (!token) {
      show("This link is incomplete.", "error");
      return;
    }
    fields.disabled = false;

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (password.value !== password2.value) {
        show("The passwords do not match.", "error");
        password2.focus();
        return;
      }
      fields.disabled = true;
      show("Changing your password...");
      let response;
      try {
        response = await post("/api/v1/auth/password-reset/confirm", { token, password: password.value });
      } catch {
        fields.disabled = false;
        show(GENERIC, "error");
        return;
      }
      if (response.status === 204) {
        form.hidden = true;
        password.value = password2.value = "";
        show("Your password has been changed. You can now sign in with it.", "ok");
        return;
      }
      if (response.status === 422) {
        const errors = await fieldErrors(response);
        // A bad token cannot be fixed on this page, so the form stays disabled.
        if (errors.some((e) => e.field === "token")) {
          show("This link is invalid, has expired or was already used. Ask for a new one.", "error");
          return;
        }
        const bad = errors.find((e) => e.field === "password");
        fields.disabled = false;
        if (bad) {
          show(`The password ${bad.message}`, "error");
          password.focus();
        } else {
          show(GENERIC, "error");
        }
        return;
      }
      fields.disabled = false;
      show(response.status === 429 ? tooMany(response) : GENERIC, "error");
    });
  }

  function verifyPage(button) {
    if (!token) {
      show("This link is incomplete.", "error");
      return;
    }
    button.disabled = false;

    button.addEventListener("click", async () => {
      button.disabled = true;
      show("Verifying...");
      let response;
      try {
        response = await post("/api/v1/auth/verify-email", { token });
      } catch {
        button.disabled = false;
        show(GENERIC, "error");
        return;
      }
      if (response.status === 204) {
        button.hidden = true;
        show("Your e-mail address is verified. Thank you!", "ok");
      } else if (response.status === 422) {
        show("This link is invalid, has expired or was already used.", "error");
      } else {
        button.disabled = false;
        show(response.status === 429 ? tooMany(response) : GENERIC, "error");
      }
    });
  }

  const form = document.getElementById("reset-form");
  const verify = document.getElementById("verify");
  if (form) resetPage(form);
  else if (verify) verifyPage(verify);
})();
