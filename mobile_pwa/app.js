// The engineer's app: login, today's jobs in route order, job detail and every field action.
// Every change goes to the outbox (store.js) first, so it survives a closed app or a lost signal.
// Every text goes through the shared catalogs (/i18n/<locale>.json, kept offline by sw.js).
import * as store from "./store.js";
import * as i18n from "/i18n/i18n.js";
import { _, ngettext } from "/i18n/i18n.js";
import { pinger } from "./device.js";
import { jobScreen, statusOf } from "./job.js";
import { day, esc, statusLabel, time } from "./words.js";

const view = document.getElementById("view");
const notice = document.getElementById("notice");
const syncPill = document.getElementById("sync");

// --- Header: sync state ----------------------------------------------------------------------

// Several renders can be under way at once (a queued step, the answer to it, a timer); each reads the
// outbox, and only the newest may paint, or a read from before the step was queued overwrites it.
let syncRender = 0;
async function renderSync() {
  const mine = ++syncRender;
  const rows = await store.outbox();
  if (mine !== syncRender) return;
  const conflicts = rows.filter((r) => r.status === "conflict").length;
  const waiting = rows.length - conflicts;
  const paused = store.state.paused;
  syncPill.className = "pill" + (conflicts ? " conflict" : paused || !store.state.online ? " offline" : "");
  syncPill.textContent = conflicts ? ngettext("%(num)s not sent", "%(num)s not sent", conflicts)
    : paused ? ngettext("%(num)s waiting · log in", "%(num)s waiting · log in", waiting)
    : !store.state.online ? ngettext("Offline · %(num)s waiting", "Offline · %(num)s waiting", waiting)
    : waiting ? ngettext("Sending %(num)s…", "Sending %(num)s…", waiting) : _("All synced");
  if (paused && !location.hash.startsWith("#/login")) {
    notice.hidden = false;
    const changes = ngettext("Your login has ended. Nothing is lost: %(num)s change waits on this phone.",
      "Your login has ended. Nothing is lost: %(num)s changes wait on this phone.", waiting);
    notice.innerHTML = `<p>${esc(changes)}</p>
      <a class="button" href="#/login" style="width:100%">${_("Log in again to send")}</a>`;
  } else notice.hidden = true;
}

// --- Screens ---------------------------------------------------------------------------------

async function loginScreen() {
  const user = await store.meta("user");
  view.innerHTML = `
    <h1>${_("Log in")}</h1>
    <p class="muted">${_("Your jobs stay on this phone, so you can work without signal.")}</p>
    <form id="login">
      <label for="email">${_("Email")}</label><input id="email" type="email" autocomplete="username" required value="${esc(user ? user.email : "")}">
      <label for="password">${_("Password")}</label><input id="password" type="password" autocomplete="current-password" required>
      <p id="login-error" class="warn" role="alert"></p>
      <button type="submit" class="wide" style="width:100%">${_("Log in")}</button>
    </form>
    ${languageSwitch()}`;
  wireLanguageSwitch();
  document.getElementById("login").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const me = await store.login(document.getElementById("email").value, document.getElementById("password").value);
      await language(me.locale || (await store.meta("locale")));
      location.hash = "#/jobs";
      await store.pull();
    } catch (err) {
      document.getElementById("login-error").textContent = err.message || _("Cannot reach the server: try again when online");
    }
  });
}

async function jobsScreen() {
  const all = (await store.jobs()).sort((a, b) =>
    (a.scheduled_start || "").localeCompare(b.scheduled_start || "") || (a.sequence ?? 0) - (b.sequence ?? 0));
  const rows = await store.outbox();
  const user = await store.meta("user");
  const sharing = await store.meta("share-location");
  let html = `<div class="row"><h1>${_("Your jobs")}</h1><span class="muted">${esc(user ? user.full_name : "")}</span></div>`;
  html += `<label class="toggle card"><input id="share" type="checkbox" ${sharing ? "checked" : ""}>
           <span>${_("Share my location while I travel on shift")}<br><small class="muted">${_("Only the latest point, only during your shift")}</small></span></label>`;
  if (!all.length) html += `<p class="muted">${_("No jobs for you yet. They appear here once the office sends them.")}</p>`;
  let lastDay = null;
  for (const job of all) {
    const tz = job.site.time_zone;
    const d = job.scheduled_start ? day(job.scheduled_start, tz) : _("Not scheduled");
    if (d !== lastDay) { html += `<h2>${esc(d)}</h2>`; lastDay = d; }
    const waiting = rows.filter((r) => r.jobId === job.id).length;
    const windows = job.time_windows.map((w) => `${time(w.starts_at, tz)}–${time(w.ends_at, tz)}`).join(", ");
    const status = statusOf(job);
    html += `<a class="card" href="#/job/${job.id}" data-job="${job.id}">
      <div class="row"><span class="eta">${esc(_("ETA %(time)s", { time: time(job.scheduled_start, tz) }))}</span><span class="status ${status}">${esc(statusLabel(status))}</span></div>
      <div><strong>${esc(job.service_type.name)}</strong> · ${esc(job.customer.name)}</div>
      <div class="muted">${esc(job.site.address)}</div>
      <div class="row"><span class="muted">${esc(_("Window %(times)s", { times: windows }))}</span>
      ${job.conflict ? `<span class="waiting" style="color:var(--red)">${_("Needs you")}</span>` : waiting ? `<span class="waiting">${esc(ngettext("%(num)s waiting", "%(num)s waiting", waiting))}</span>` : ""}</div>
    </a>`;
  }
  html += `<button id="logout" class="secondary" style="width:100%;margin-top:1.2rem">${_("Log out")}</button>`;
  html += languageSwitch();
  view.innerHTML = html;
  wireLanguageSwitch();
  document.getElementById("share").addEventListener("change", async (e) => {
    await store.meta("share-location", e.target.checked);
    pinger(statusOf);
  });
  document.getElementById("logout").onclick = logout;
}

// Log out: warn first when changes are still on this phone only (logging out deletes them).
async function logout() {
  const unsent = (await store.outbox()).length;
  if (unsent && !window.confirm(ngettext(
    "%(num)s change is not sent yet. Logging out deletes it from this phone. Log out anyway?",
    "%(num)s changes are not sent yet. Logging out deletes them from this phone. Log out anyway?", unsent))) return;
  await store.logout();
  location.hash = "#/login";
  await route();
}

// The language: the engineer's saved one, else the one picked on this phone, else the phone's, else
// the company's default.
let languages = [];
async function language(saved) {
  const known = await i18n.locales();
  languages = known.available;
  await i18n.load(i18n.choose(saved, known.available, known.default));
  document.title = _("Jobs — Field Dispatch");
  document.querySelector(".bar .title").textContent = _("Jobs");
}

// The switch: each language in its own name. Logged in, the choice is saved to the engineer's account
// (through the outbox, so offline too); before logging in it is this phone's until the login.
function languageSwitch() {
  if (languages.length < 2) return "";
  const current = i18n.locale();
  const label = esc(_("Language")); // made here: the catalog's extractor does not look inside attribute quotes
  return `<nav class="langs" aria-label="${label}">${languages.map((l) => l.id === current
    ? `<strong lang="${esc(l.tag)}">${esc(l.name)}</strong>`
    : `<button class="link" lang="${esc(l.tag)}" data-locale="${esc(l.id)}">${esc(l.name)}</button>`).join("")}</nav>`;
}

function wireLanguageSwitch() {
  for (const button of view.querySelectorAll(".langs [data-locale]")) {
    button.onclick = async () => {
      const chosen = button.dataset.locale;
      const user = await store.meta("user");
      await store.meta("locale", chosen);
      if (user && (await store.meta("access"))) {
        await store.meta("user", { ...user, locale: chosen });
        await store.queue(null, [{ kind: "setting", method: "PATCH", path: "/auth/me", body: JSON.stringify({ locale: chosen }), label: "language" }]);
      }
      await language(chosen);
      shownKey = "";
      await route();
    };
  }
}

// --- Routing and start-up --------------------------------------------------------------------

// Every render goes through one queue, so two never interleave; background news (sync, pulls)
// re-renders only when what the screen shows has changed, and never while the engineer types or signs.
let rendering = Promise.resolve();
let shownKey = "";

async function screenKey() {
  const hash = location.hash || "#/jobs";
  if (hash.startsWith("#/job/")) return hash + JSON.stringify(await store.job(Number(hash.slice(6))) || null);
  const waiting = (await store.outbox()).map((r) => `${r.jobId}:${r.status}`).join();
  return hash + JSON.stringify(await store.jobs()) + waiting + (await store.meta("access") ? "in" : "out");
}

async function renderNow() {
  const hash = location.hash || "#/jobs";
  const token = await store.meta("access");
  shownKey = await screenKey();
  if (!token || hash.startsWith("#/login")) await loginScreen();
  else if (hash.startsWith("#/job/")) await jobScreen(view, Number(hash.slice(6)), route);
  else await jobsScreen();
  await renderSync();
  pinger(statusOf);
}

function route() {
  rendering = rendering.then(renderNow, renderNow);
  return rendering;
}

function busy() {
  const active = document.activeElement;
  const typing = active && ["INPUT", "TEXTAREA"].includes(active.tagName) && active.type !== "checkbox";
  return typing || (document.getElementById("sig") && document.getElementById("sig").dataset.drawn === "yes");
}

store.onChange(() => {
  rendering = rendering.catch(() => {}).then(async () => {
    try {
      if (!busy() && (await screenKey()) !== shownKey) await renderNow();
      else await renderSync();
    } catch (err) {
      console.error("render failed", err);   // one bad render must not stop the next ones
      await renderSync();
    }
  });
});
window.addEventListener("hashchange", route);
window.addEventListener("online", () => store.kick());
document.addEventListener("visibilitychange", () => { if (!document.hidden) store.kick(); });
setInterval(() => store.kick(), 30000);

if ("serviceWorker" in navigator) navigator.serviceWorker.register("sw.js", { scope: "/app/" });
await language((await store.meta("user") || {}).locale || (await store.meta("locale")));
await route();
if (await store.meta("access")) { await store.pull(); store.kick(); }
