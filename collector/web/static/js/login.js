import { ApiError, request } from "./api.js";

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
    error.textContent = "Enter your username and password.";
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
      error.textContent = "Wrong username or password.";
    } else if (err instanceof ApiError && (err.status === 429 || err.status === 503)) {
      const wait = err.retryAfter ? `${err.retryAfter} s` : "a moment";
      error.textContent = err.status === 429
        ? `Too many failed attempts; try again in ${wait}.`
        : `The collector is busy; try again in ${wait}.`;
    } else {
      error.textContent = err.message || String(err);
    }
    form.password.select();
  } finally {
    submit.disabled = false;
  }
});
