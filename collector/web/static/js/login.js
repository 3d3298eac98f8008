import { ApiError, request } from "./api.js";

/** Only a path on this site: never an open redirect. */
function nextPath() {
  const next = new URLSearchParams(location.search).get("next");
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login")
    ? next
    : "/";
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
    await request("/api/v1/login", {
      method: "POST",
      body: { username, password },
      allow401: true,
    });
    location.assign(nextPath());
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      error.textContent = "Wrong username or password.";
    } else if (err instanceof ApiError && err.status === 429) {
      error.textContent = "Too many attempts; wait a minute and try again.";
    } else {
      error.textContent = err.message || String(err);
    }
    form.password.select();
  } finally {
    submit.disabled = false;
  }
});
