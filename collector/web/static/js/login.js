import { ApiError, request, t, translatePage } from "./api.js";
import { registerStrings } from "./i18n.js";

registerStrings({
  en: {
    "login.title": "Log in · Pantau operations centre",
    "login.h1": "Log in",
    "login.username": "Username",
    "login.password": "Password",
    "login.submit": "Log in",
    "login.empty": "Enter your username and password.",
  },
  id: {
    "login.title": "Masuk · Pusat operasi Pantau",
    "login.h1": "Masuk",
    "login.username": "Nama pengguna",
    "login.password": "Kata sandi",
    "login.submit": "Masuk",
    "login.empty": "Isi nama pengguna dan kata sandi Anda.",
  },
});
translatePage();

/**
 * Where to go after logging in: the collector decides (collector/web/origin.py's
 * safe_next) from the `next` this page was given, and answers with a path on this
 * site; this page only follows it, resolved against its own origin to be sure.
 */
function sameSite(next) {
  try {
    const url = new URL(typeof next === "string" ? next : "/", location.origin);
    return url.origin === location.origin ? url.pathname + url.search + url.hash : "/";
  } catch {
    return "/";
  }
}

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");
const submit = document.getElementById("login-submit");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.textContent = "";
  const username = form.username.value.trim();
  const password = form.password.value;
  if (!username || !password) {
    error.textContent = t("login.empty");
    return;
  }
  submit.disabled = true;
  try {
    const next = new URLSearchParams(location.search).get("next");
    const answer = await request("/api/v1/login", {
      method: "POST",
      body: next === null ? { username, password } : { username, password, next },
      allow401: true,
    });
    location.assign(sameSite(answer && answer.next));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      error.textContent = t("error.login_failed");
    } else if (err instanceof ApiError && (err.status === 429 || err.status === 503)) {
      // the codes' texts without the server's English detail ("try again in 3 s")
      const wait = err.retryAfter ? t("error.wait-s", { n: err.retryAfter }) : t("error.wait-moment");
      error.textContent = t(err.status === 429 ? "error.too_many_attempts" : "error.busy", { wait });
    } else {
      error.textContent = err.message || String(err);
    }
    form.password.select();
  } finally {
    submit.disabled = false;
  }
});
