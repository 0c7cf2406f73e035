/* The report pages: pick a figure, a range, a split and a period length; the figure comes from
   /api/v1/reports (daily aggregate rows) and is drawn with the vendored Chart.js, with the same
   numbers in a table and as CSV. Logs in through the API and keeps the bearer token for the tab. */
import { _, load } from "/i18n/i18n.js";

const API = "/api/v1";
const STAFF = ["admin", "dispatcher", "agent"];
const MAX_LINES = 8; // more series than this make an unreadable chart: the table has them all
const COLOURS = ["#0b5cad", "#12b76a", "#f79009", "#d92d20", "#7a5af8", "#0e9384", "#c11574", "#475467"];
const $ = (id) => document.getElementById(id);
const state = { token: sessionStorage.getItem("reports.token") || sessionStorage.getItem("desk.token"), figures: [], chart: null };

async function api(path, accept = "application/json") {
  const response = await fetch(API + path, { headers: { Authorization: `Bearer ${state.token}`, Accept: accept } });
  if (response.status === 401) { logout(_("Your session ended: log in again.")); throw new Error("unauthorized"); }
  return response;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

/* ---- login ---- */
$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const response = await fetch(`${API}/auth/login`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: $("email").value, password: $("password").value }),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) { $("login-error").textContent = data.message || _("That email and password do not match."); return; }
  state.token = data.access_token;
  sessionStorage.setItem("reports.token", state.token);
  start();
});

function logout(message) {
  sessionStorage.removeItem("reports.token");
  state.token = null;
  $("app").hidden = true; $("login").hidden = false; $("logout").hidden = true; $("who").textContent = "";
  $("login-error").textContent = message || "";
}
$("logout").addEventListener("click", () => logout());

async function start() {
  if (!state.token) { logout(); return; }
  const me = await api("/auth/me");
  if (!me.ok) { logout(); return; }
  const user = await me.json();
  if (!STAFF.includes(user.role)) { logout(_("Reports are for team leads, managers and dispatchers.")); return; }
  $("who").textContent = user.full_name;
  $("login").hidden = true; $("app").hidden = false; $("logout").hidden = false;
  const listed = await api("/reports");
  state.figures = listed.ok ? (await listed.json()).items : [];
  $("figure").replaceChildren(...state.figures.map((f) => el("option", { value: f.name, text: f.title })));
  const wanted = new URLSearchParams(location.hash.slice(1));
  if (wanted.get("figure")) $("figure").value = wanted.get("figure");
  fillGroups(wanted.get("group"));
  for (const name of ["every", "from", "to"]) if (wanted.get(name)) $(name).value = wanted.get(name);
  show();
}

function figure() { return state.figures.find((f) => f.name === $("figure").value); }

function fillGroups(chosen) {
  const f = figure();
  if (!f) return;
  $("group").replaceChildren(...f.dimensions.map((d) => el("option", { value: d, text: f.dimension_names[d] || d })));
  if (chosen && f.dimensions.includes(chosen)) $("group").value = chosen;
}
$("figure").addEventListener("change", () => { fillGroups(); show(); });

function query() {
  return new URLSearchParams({ from: $("from").value, to: $("to").value, group: $("group").value, every: $("every").value });
}

/* ---- numbers as people read them ---- */
function shown(value, unit) {
  if (value === null || value === undefined) return "–";
  const lang = document.documentElement.lang || "en";
  if (unit === "share") return new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 }).format(value);
  if (unit === "seconds") return _("%(h)s h", { h: new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(value / 3600) });
  if (unit === "metres") return _("%(km)s km", { km: new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(value / 1000) });
  return new Intl.NumberFormat(lang).format(value);
}
function plotted(value, unit) {
  if (value === null || value === undefined) return null;
  if (unit === "share") return Math.round(value * 1000) / 10;
  if (unit === "seconds") return Math.round(value / 36) / 100;
  if (unit === "metres") return Math.round(value / 100) / 10;
  return value;
}
function axisTitle(unit) {
  return { share: _("Per cent"), seconds: _("Hours"), metres: _("Kilometres"), tickets: _("Tickets") }[unit] || "";
}

/* ---- the figure ---- */
async function show(event) {
  if (event) event.preventDefault();
  const f = figure();
  if (!f) return;
  $("error").textContent = "";
  location.hash = query().toString().replace(/^/, `figure=${f.name}&`);
  const response = await api(`/reports/${f.name}?${query()}`);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) { $("error").textContent = data.message || _("The figure could not be read."); return; }
  $("title").textContent = data.figure.title;
  const duration = data.figure.reading === "duration";
  $("explain").textContent = duration ? _("Median, and the 90th percentile: nine in ten took at most that long.") : "";
  $("empty").hidden = data.points.length > 0;
  draw(data, duration);
  table(data, duration);
}
$("ask").addEventListener("submit", show);

function draw(data, duration) {
  const unit = data.figure.unit;
  const periods = [...new Set(data.points.map((p) => p.period))].sort();
  const totals = new Map();
  for (const p of data.points) totals.set(p.key, (totals.get(p.key) || 0) + p.count);
  const keys = [...totals.keys()].sort((a, b) => totals.get(b) - totals.get(a)).slice(0, MAX_LINES);
  const datasets = [];
  keys.forEach((key, n) => {
    const points = new Map(data.points.filter((p) => p.key === key).map((p) => [p.period, p]));
    const label = data.points.find((p) => p.key === key).label;
    const colour = COLOURS[n % COLOURS.length];
    datasets.push({ label: duration ? _("%(who)s: median", { who: label }) : label, borderColor: colour, backgroundColor: colour,
      data: periods.map((d) => plotted(points.get(d)?.value, unit)), spanGaps: true, tension: 0.2 });
    if (duration && keys.length === 1) {
      datasets.push({ label: _("%(who)s: p90", { who: label }), borderColor: "#f79009", backgroundColor: "#f79009", borderDash: [6, 4],
        data: periods.map((d) => plotted(points.get(d)?.p90, unit)), spanGaps: true, tension: 0.2 });
    }
  });
  if (state.chart) state.chart.destroy();
  state.chart = new window.Chart($("chart"), {
    type: periods.length > 1 ? "line" : "bar",
    data: { labels: periods, datasets },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "index", intersect: false },
      scales: { y: { beginAtZero: true, ticks: { precision: unit === "tickets" ? 0 : undefined },
        title: { display: true, text: axisTitle(unit) } } },
      plugins: { legend: { position: "bottom" } },
    },
  });
}

function table(data, duration) {
  const unit = data.figure.unit;
  $("p90-head").hidden = !duration;
  $("table").querySelector("tbody").replaceChildren(...data.points.map((p) => {
    const cells = [el("td", { text: p.period }), el("td", { text: p.label }), el("td", { class: "number", text: shown(p.value, unit) })];
    if (duration) cells.push(el("td", { class: "number", text: shown(p.p90, unit) }));
    cells.push(el("td", { class: "number", text: String(p.count) }));
    return el("tr", {}, ...cells);
  }));
}

/* ---- CSV: the same numbers, fetched with the token and saved as a file ---- */
$("csv").addEventListener("click", async () => {
  const f = figure();
  if (!f) return;
  const response = await api(`/reports/${f.name}?${query()}`, "text/csv");
  if (!response.ok) { $("error").textContent = (await response.json().catch(() => ({}))).message || _("The figure could not be read."); return; }
  const name = (response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/)?.[1] || `${f.name}.csv`;
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: name });
  document.body.append(link);
  link.click();
  link.remove();
});

await load(document.documentElement.dataset.locale || "en");
start();
