/* Dispatch console: plan a day, watch the optimizer, look at routes on a map and a timeline,
   move or pin a job (checked by the optimizer's insertion query), publish. Outside planning it
   shows the live day: the routes as they stand (visits booked since publishing included) and the
   orders waiting. Everything goes through /api/v1 with the dispatcher's bearer token. */
import { _, load } from "/i18n/i18n.js";

const API = "/api/v1";
const COLORS = ["#0b5cad", "#1f7a3d", "#b54708", "#7a2e98", "#c2185b", "#00838f", "#5d4037", "#3949ab",
  "#689f38", "#d84315", "#455a64", "#8e24aa", "#00695c", "#f9a825", "#6d4c41", "#1565c0"];
const $ = (id) => document.getElementById(id);
/* The page's settings come as data attributes on <body> (no inline script: see the CSP). */
const CONFIG = { tileUrl: document.body.dataset.tileUrl || "", attribution: document.body.dataset.attribution || "",
  timeZone: document.body.dataset.timeZone };
const LIVE_REFRESH_MS = 20000; /* how often the live day is read again while it is shown */
const state = { view: 0, token: sessionStorage.getItem("console.token"), plan: null, live: null, engineers: {}, shifts: [],
  colors: {}, selected: null, moveResult: null, publishing: false, poll: null, liveTimer: null, map: null, layers: null };

async function api(method, path, body) {
  const response = await fetch(API + path, {
    method,
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${state.token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) { logout(_("Your session ended: log in again.")); throw new Error("unauthorized"); }
  const data = response.status === 204 ? null : await response.json();
  return { ok: response.ok, status: response.status, data, headers: response.headers };
}

async function all(path) {
  /* Every page of a list (the API pages at 100 items at most). */
  const items = [];
  for (let page = 1; page < 100; page++) {
    const got = await api("GET", `${path}${path.includes("?") ? "&" : "?"}page=${page}&page_size=100`);
    if (!got.ok) break;
    items.push(...got.data);
    const paging = JSON.parse(got.headers.get("X-Pagination") || "{}");
    if (!paging.next_page) break;
  }
  return items;
}

function say(text, error = false) {
  $("message").textContent = text;
  $("message").className = error ? "message error" : "message";
}

/* Times and distances as the page's language writes them (24-hour clock, in the site's time zone). */
function time(iso, tz) {
  return new Intl.DateTimeFormat(document.documentElement.lang || "en", {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: tz || CONFIG.timeZone,
  }).format(new Date(iso));
}

function num(value, digits) {
  return new Intl.NumberFormat(document.documentElement.lang || "en",
    { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

function km(m) { return _("%(km)s km", { km: num(m / 1000, 1) }); }

const STATUS = () => ({ queued: _("queued"), running: _("running"), ready: _("ready"), published: _("published"),
  failed: _("failed"), cancelled: _("cancelled") });
const KIND = () => ({ full: _("full day"), replan: _("re-plan") });
const CHANGE = () => ({ unchanged: _("unchanged"), retimed: _("new time"), reassigned: _("to another engineer"),
  dropped: _("dropped"), new: _("newly placed") });
const REASON = () => ({ waiting: _("waiting for a plan"), no_skilled_engineer: _("no engineer with the skills"),
  window_unreachable: _("window cannot be reached"), shift_too_short: _("no shift long enough"),
  over_capacity: _("over capacity"), dropped_too_costly: _("left out: too costly") });
const ROLE = () => ({ admin: _("admin"), dispatcher: _("dispatcher") });
const said = (table, value) => table()[value] || (value || "").replaceAll("_", " ");

/* ---- login ---- */
$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const response = await fetch(`${API}/auth/login`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: $("email").value, password: $("password").value }),
  });
  const data = await response.json();
  if (!response.ok) { $("login-error").textContent = data.message || _("Login failed"); return; }
  state.token = data.access_token;
  sessionStorage.setItem("console.token", state.token);
  start();
});

function logout(message) {
  sessionStorage.removeItem("console.token");
  state.token = null;
  $("app").hidden = true; $("login").hidden = false; $("logout").hidden = true; $("who").textContent = "";
  $("login-error").textContent = message || "";
}
$("logout").addEventListener("click", () => logout());

async function start() {
  const me = await api("GET", "/auth/me");
  if (!me.ok) { logout(); return; }
  if (!["admin", "dispatcher"].includes(me.data.role)) { logout(_("The console is for dispatchers.")); return; }
  if (followSavedLanguage(me.data.locale)) return;
  $("who").textContent = `${me.data.full_name} · ${said(ROLE, me.data.role)}`;
  $("login").hidden = true; $("app").hidden = false; $("logout").hidden = false;
  setupMap();
  await loadDay();
}

/* ---- the language: the dispatcher's saved one wins over this browser's; the switch saves it ---- */
function followSavedLanguage(saved) {
  const shown = document.documentElement.dataset.locale;
  if (!saved || saved === shown || sessionStorage.getItem("console.followed") === saved) return false;
  sessionStorage.setItem("console.followed", saved); /* once: a browser refusing the cookie cannot loop */
  location.href = `/i18n/switch/${encodeURIComponent(saved)}?next=/console`;
  return true;
}

document.querySelectorAll(".langs a[data-locale]").forEach((link) => link.addEventListener("click", async (ev) => {
  if (!state.token) return; /* not logged in: the link sets this browser's language only */
  ev.preventDefault();
  try {
    await api("PATCH", "/auth/me", { locale: link.dataset.locale });
  } catch { /* the session ended: the link still switches this browser */ }
  sessionStorage.setItem("console.followed", link.dataset.locale);
  location.href = link.href;
}));

/* ---- the day ---- */
$("day").addEventListener("change", loadDay);

const PREPARING = ["queued", "running", "ready"]; /* a plan in these states is shown instead of the live day */

async function loadDay() {
  const day = $("day").value;
  const [shifts, engineers, plans] = await Promise.all([
    all(`/shifts?day=${day}`), all("/engineers?active=true"), api("GET", `/plans?day=${day}&page_size=1`),
  ]);
  state.shifts = shifts.sort((a, b) => a.engineer_id - b.engineer_id);
  state.engineers = Object.fromEntries(engineers.map((e) => [e.id, e]));
  /* A route's colour belongs to its engineer (their place among the day's shifts), so it stays
     the same across moves, re-plans and the live day. */
  state.colors = Object.fromEntries(state.shifts.map((sh, i) => [sh.engineer_id, COLORS[i % COLORS.length]]));
  state.plan = null; state.live = null; state.selected = null; state.moveResult = null;
  const latest = plans.ok && plans.data.length ? plans.data[0] : null;
  if (latest && PREPARING.includes(latest.status)) await showPlan(latest.id);
  else await showLive(latest);
}

async function showPlan(id) {
  const got = await api("GET", `/plans/${id}`);
  if (!got.ok) { say(got.data.message, true); return; }
  state.plan = got.data; state.live = null;
  stopLive();
  render();
  if (["queued", "running"].includes(state.plan.status)) watch(id);
}

/* ---- the live day: routes as they stand, orders waiting ---- */
async function showLive(latest, note) {
  const day = $("day").value;
  const asked = ++state.view; /* a plan asked for, or a newer read, while this one travels wins */
  const got = await api("GET", `/live-day?day=${day}`);
  if (asked !== state.view) return;
  if (!got.ok) { say(got.data.message, true); return; }
  if ($("day").value !== day) return; /* the day was changed meanwhile */
  state.live = got.data; state.plan = null; state.moveResult = null; /* a move's answer was about the plan */
  render();
  const placed = state.live.routes.reduce((n, r) => n + r.stops.length, 0);
  const since = state.live.routes.reduce((n, r) => n + r.stops.filter((s) => s.since_published).length, 0);
  const waiting = state.live.waiting.length;
  if (note) say(note);
  else if (state.live.published_plan_id) {
    const plan = state.live.published_plan_id;
    say(_("The live day: plan %(plan)s is published; %(placed)s visits on routes", { plan, placed }) +
      (since ? _(", %(since)s of them booked or moved since publishing (outlined)", { since }) : "") +
      (waiting ? _("; %(waiting)s not on a route.", { waiting }) : _(".")));
  } else if (placed) {
    say(_("No plan published for %(day)s: %(placed)s visits are already on routes, %(waiting)s wait. Press “Plan the day”.",
      { day, placed, waiting }));
  } else {
    say(_("No plan for %(day)s yet: %(waiting)s orders wait, %(engineers)s engineers have a shift. Press “Plan the day”.",
      { day, waiting, engineers: state.shifts.length }));
  }
  if (latest && ["failed", "cancelled"].includes(latest.status) && !note) {
    const text = latest.status === "failed"
      ? _("Plan %(plan)s failed: %(why)s The live day is shown.", { plan: latest.id, why: latest.message || "" })
      : _("Plan %(plan)s was cancelled: %(why)s The live day is shown.", { plan: latest.id, why: latest.message || "" });
    say(text, latest.status === "failed");
  }
  stopLive();
  state.liveTimer = setInterval(refreshLive, LIVE_REFRESH_MS);
}

async function refreshLive() {
  if (!state.live || document.hidden) return;
  const day = $("day").value;
  const got = await api("GET", `/live-day?day=${day}`);
  if (!got.ok || !state.live || $("day").value !== day) return;
  state.live = got.data;
  render();
}

function stopLive() { clearInterval(state.liveTimer); state.liveTimer = null; }
document.addEventListener("visibilitychange", () => { if (!document.hidden) refreshLive(); });

/* ---- planning ---- */
async function ask(kind) {
  const body = { day: $("day").value, time_limit_s: Number($("time-limit").value), kind };
  state.view += 1; /* a live-day read still on its way must not replace the plan's progress */
  const asked = await api("POST", "/plans", body);
  if (!asked.ok) { say(asked.data.message, true); return; }
  state.view += 1;
  state.plan = asked.data; state.live = null; state.selected = null; state.moveResult = null;
  stopLive();
  render();
  watch(asked.data.id);
}
$("plan").addEventListener("click", () => ask("full"));
$("replan").addEventListener("click", () => ask("replan"));
$("cancel").addEventListener("click", async () => {
  if (!state.plan) return;
  const done = await api("DELETE", `/plans/${state.plan.id}`);
  if (done.ok) { clearInterval(state.poll); await showLive(null, _("Plan cancelled: nothing was written. The live day is shown.")); return; }
  say(done.data.message, true);
});

function watch(id) {
  clearInterval(state.poll);
  state.poll = setInterval(async () => {
    const got = await api("GET", `/plans/${id}`);
    if (!got.ok) return;
    state.plan = got.data;
    showProgress(got.data);
    if (!["queued", "running"].includes(got.data.status)) {
      clearInterval(state.poll);
      render();
      if (got.data.status === "ready") say(_("Plan %(plan)s is ready: look it over, adjust, then publish.", { plan: id }));
      else await showLive(got.data);
    }
  }, 700);
}

function showProgress(plan) {
  const busy = ["queued", "running"].includes(plan.status);
  $("progress").hidden = !busy; $("cancel").hidden = !busy;
  $("plan").disabled = busy; $("replan").disabled = busy;
  if (!busy) return;
  const p = plan.progress;
  $("progress-fill").style.width = `${Math.round(100 * p.fraction)}%`;
  $("progress-text").textContent = plan.status === "queued" ? _("waiting for a worker…")
    : _("%(elapsed)s s of %(limit)s s", { elapsed: p.elapsed_s.toFixed(0), limit: p.time_limit_s }) + (p.best_distance_m
      ? _(" · best so far %(orders)s orders, %(distance)s", { orders: p.best_assigned, distance: km(p.best_distance_m) }) : "");
  say(_("Planning %(day)s…", { day: plan.day }));
}

/* ---- publish ---- */
$("publish").addEventListener("click", async () => {
  /* One publish at a time: a double click (or a second click while the first is on its way) sends nothing more. */
  if (state.publishing || !state.plan || state.plan.status !== "ready") return;
  state.publishing = true;
  $("publish").disabled = true;
  const plan = state.plan;
  try {
    const done = await api("POST", `/plans/${plan.id}/publish`);
    /* Already published (by this click's twin, another tab, or an answer lost on the way): that is success. */
    const already = !done.ok && done.status === 409 && (done.data.errors || {}).status === "published";
    if (done.ok || already) {
      await showLive(null, _("Published: %(orders)s orders are on the engineers’ days.", { orders: plan.totals.assigned }));
      return;
    }
    const changed = (done.data.errors || {}).changed_orders || [];
    say(done.data.message + (changed.length ? _(" Changed: %(orders)s.", { orders: changed.map((c) => c.number || c.order_id).join(", ") }) : ""), true);
  } finally {
    state.publishing = false;
    render();
  }
});

/* ---- map ---- */
function setupMap() {
  if (state.map) return;
  state.map = L.map("map", { zoomControl: true, preferCanvas: false }).setView([53.48, -2.24], 11);
  if (CONFIG.tileUrl) {
    L.tileLayer(CONFIG.tileUrl, { attribution: CONFIG.attribution, maxZoom: 19 }).addTo(state.map);
  }
  state.layers = L.layerGroup().addTo(state.map);
}

/* The engineer's recent customer rating, short beside the name ("★4.3") and in words as a tooltip. */
function stars(rating) { return rating ? ` ★${rating.average.toFixed(1)}` : ""; }
function ratingTitle(rating) {
  return _("Rated %(average)s of 5 by %(count)s customers in the last %(days)s days",
    { average: rating.average.toFixed(1), count: rating.count, days: rating.days });
}

function colorOf(engineerId) { return state.colors[engineerId] || COLORS[engineerId % COLORS.length]; }

/* What the page shows: the plan being prepared, or the live day. Both have routes and a list of orders on none. */
function shown() {
  if (state.plan) return { routes: state.plan.routes || [], unassigned: state.plan.unassigned || [], timeZone: state.plan.time_zone, plan: state.plan };
  if (state.live) return { routes: state.live.routes, unassigned: state.live.waiting, timeZone: state.live.time_zone, live: state.live };
  return null;
}

function drawMap(plan) {
  state.layers.clearLayers();
  if (!plan || !plan.routes) return;
  const bounds = [];
  plan.routes.forEach((route) => {
    const color = colorOf(route.engineer_id);
    const home = [route.home_latitude, route.home_longitude];
    const path = [home, ...route.stops.map((s) => [s.latitude, s.longitude]), home];
    L.polyline(path, { color, weight: 3, opacity: 0.8, className: "route-line" }).addTo(state.layers);
    L.circleMarker(home, { radius: 4, color, fillColor: "#fff", fillOpacity: 1 }).bindTooltip(_("%(engineer)s (home)", { engineer: route.engineer_name })).addTo(state.layers);
    bounds.push(home);
    route.stops.forEach((stop, k) => {
      const since = stop.since_published ? " since" : "";
      const icon = L.divIcon({ className: `stop-label${since}`, html: `<div style="background:${color}">${k + 1}</div>`, iconSize: [20, 20] });
      L.marker([stop.latitude, stop.longitude], { icon, title: `${stop.number} ${route.engineer_name}${since ? _(" (booked or moved since publishing)") : ""}` })
        .on("click", () => select(stop.order_id))
        .addTo(state.layers);
      bounds.push([stop.latitude, stop.longitude]);
    });
  });
  (plan.unassigned || []).forEach((u) => {
    if (u.latitude === undefined) return;
    L.circleMarker([u.latitude, u.longitude], { radius: 6, color: "#b42318", fillColor: "#fff", fillOpacity: 1, className: "unassigned-marker" })
      .bindTooltip(`${u.number}: ${said(REASON, u.reason)}`).on("click", () => select(u.order_id)).addTo(state.layers);
    bounds.push([u.latitude, u.longitude]);
  });
  if (bounds.length) state.map.fitBounds(bounds, { padding: [20, 20] });
}

/* ---- timeline ---- */
function drawTimeline(plan) {
  const box = $("timeline");
  box.innerHTML = "";
  if (!plan || !plan.routes || !plan.routes.length) { box.textContent = _("No routes yet."); return; }
  const tz = plan.timeZone;
  const starts = plan.routes.map((r) => Date.parse(r.departs_at));
  const ends = plan.routes.map((r) => Date.parse(r.returns_at));
  const t0 = Math.floor(Math.min(...starts) / 3600e3) * 3600e3;
  const t1 = Math.ceil(Math.max(...ends) / 3600e3) * 3600e3;
  const pct = (ms) => `${(100 * (ms - t0)) / (t1 - t0)}%`;
  const width = (a, b) => `${(100 * (b - a)) / (t1 - t0)}%`;
  const hours = document.createElement("div");
  hours.className = "tl-hours";
  for (let t = t0; t <= t1; t += 3600e3) {
    const h = document.createElement("span");
    h.style.left = pct(t); h.textContent = time(new Date(t).toISOString(), tz);
    hours.appendChild(h);
  }
  box.appendChild(hours);
  plan.routes.forEach((route) => {
    const row = document.createElement("div");
    row.className = "tl-row";
    row.dataset.engineer = route.engineer_id;
    const name = document.createElement("div");
    name.className = "tl-name";
    const rating = state.engineers[route.engineer_id]?.rating;
    name.textContent = `${route.engineer_name}${stars(rating)} · ${route.stops.length} · ${km(route.travel_distance_m)}`;
    name.title = rating ? `${name.textContent}\n${ratingTitle(rating)}` : name.textContent;  /* the column may cut it */
    row.appendChild(name);
    const shift = document.createElement("div");
    shift.className = "tl-shift";
    shift.style.left = pct(Date.parse(route.departs_at));
    shift.style.width = width(Date.parse(route.departs_at), Date.parse(route.returns_at));
    row.appendChild(shift);
    (route.breaks || []).forEach(([a, b]) => {
      const brk = document.createElement("div");
      brk.className = "tl-break"; brk.title = _("break %(from)s–%(to)s", { from: time(a, tz), to: time(b, tz) });
      brk.style.left = pct(Date.parse(a)); brk.style.width = width(Date.parse(a), Date.parse(b));
      row.appendChild(brk);
    });
    route.stops.forEach((stop) => {
      const arrive = Date.parse(stop.arrives_at);
      const travel = document.createElement("div");
      travel.className = "tl-travel";
      travel.style.left = pct(arrive - stop.travel_time_s * 1000);
      travel.style.width = width(0, stop.travel_time_s * 1000);
      row.appendChild(travel);
      const job = document.createElement("div");
      job.className = "tl-job" + (state.selected === stop.order_id ? " sel" : "") + (stop.since_published ? " since" : "");
      job.dataset.order = stop.order_id;
      job.style.background = colorOf(route.engineer_id);
      job.style.left = pct(Date.parse(stop.starts_at));
      job.style.width = width(Date.parse(stop.starts_at), Date.parse(stop.departs_at));
      job.title = `${stop.number} ${time(stop.starts_at, tz)}–${time(stop.departs_at, tz)} ${stop.address}` +
        (stop.since_published ? _(" · booked or moved since publishing") : "");
      job.textContent = stop.number.replace("WO-", "");
      job.addEventListener("click", () => select(stop.order_id));
      row.appendChild(job);
    });
    box.appendChild(row);
  });
}

/* ---- lists, summary, selection ---- */
function render() {
  const plan = state.plan;
  const view = shown();
  if (plan) showProgress(plan);
  else { $("progress").hidden = true; $("cancel").hidden = true; $("plan").disabled = false; $("replan").disabled = false; }
  $("publish").disabled = state.publishing || !plan || plan.status !== "ready";
  const s = $("summary");
  /* The labels outside the template literals, where the catalog's extractor finds them. */
  const L = { onRoutes: _("visits on routes"), notOnRoute: _("not on a route"), withVisits: _("engineers with visits"),
    driving: _("driving"), live: _("live"), notPublished: _("not published"), ordersOnRoutes: _("orders on routes"),
    leftOut: _("left out"), used: _("engineers used"), wheel: _("at the wheel"),
    published: (id) => _("plan %(plan)s published", { plan: id }), hours: (h) => _("%(hours)s h", { hours: h }),
    plan: (id, kind) => _("plan %(plan)s · %(kind)s", { plan: id, kind }) };
  if (state.live) {
    const routes = state.live.routes;
    const placed = routes.reduce((n, r) => n + r.stops.length, 0);
    const metres = routes.reduce((n, r) => n + r.travel_distance_m, 0);
    s.hidden = false;
    s.innerHTML = `
      <div><b>${placed}</b><span>${L.onRoutes}</span></div>
      <div><b>${state.live.waiting.length}</b><span>${L.notOnRoute}</span></div>
      <div><b>${routes.length} / ${state.shifts.length}</b><span>${L.withVisits}</span></div>
      <div><b>${km(metres)}</b><span>${L.driving}</span></div>
      <div><b>${L.live}</b><span>${state.live.published_plan_id ? L.published(state.live.published_plan_id) : _("not published")}</span></div>`;
  } else if (plan && plan.totals) {
    const t = plan.totals;
    s.hidden = false;
    s.innerHTML = `
      <div><b>${t.assigned}</b><span>${L.ordersOnRoutes}</span></div>
      <div><b>${t.unassigned}</b><span>${L.leftOut}</span></div>
      <div><b>${t.engineers_used} / ${t.engineers}</b><span>${L.used}</span></div>
      <div><b>${km(t.travel_distance_m)}</b><span>${L.driving}</span></div>
      <div><b>${L.hours(num(t.travel_time_s / 3600, 1))}</b><span>${L.wheel}</span></div>
      <div><b>${said(STATUS, plan.status)}</b><span>${L.plan(plan.id, said(KIND, plan.kind))}</span></div>`;
  } else { s.hidden = true; }
  const list = $("unassigned");
  list.innerHTML = "";
  const left = (view && view.unassigned) || [];
  $("unassigned-count").textContent = left.length;
  left.forEach((u) => {
    const li = document.createElement("li");
    li.dataset.order = u.order_id;
    li.innerHTML = `<b></b> <span class="addr"></span><span class="why"></span>`;
    li.querySelector("b").textContent = u.number;
    li.querySelector(".addr").textContent = u.address;
    li.querySelector(".why").textContent = u.reason === "waiting" ? said(REASON, u.reason) : _("%(reason)s: %(detail)s", { reason: said(REASON, u.reason), detail: u.detail });
    li.addEventListener("click", () => select(u.order_id));
    list.appendChild(li);
  });
  drawChanges(plan);
  drawMap(view);
  drawTimeline(view);
  drawSelected();
}

function drawChanges(plan) {
  const moved = (plan && plan.changes && plan.changes.moved) || [];
  $("changes-card").hidden = !(plan && plan.kind === "replan");
  const ul = $("changes");
  ul.innerHTML = "";
  if (!plan || !plan.changes) return;
  const c = plan.changes.counts;
  const head = document.createElement("li");
  head.textContent = _("%(unchanged)s unchanged · %(retimed)s new times · %(reassigned)s to another engineer · %(dropped)s dropped · %(new)s newly placed",
    { unchanged: c.unchanged, retimed: c.retimed, reassigned: c.reassigned, dropped: c.dropped, new: c.new });
  ul.appendChild(head);
  moved.forEach((m) => {
    const li = document.createElement("li");
    li.className = `chg-${m.change}`;
    const from = state.engineers[m.from_engineer_id]?.name || "—";
    const to = state.engineers[m.to_engineer_id]?.name || _("nobody");
    const order = _("Order %(order)s", { order: m.order_id });
    li.textContent = `${order}: ${said(CHANGE, m.change)} — ${from}${m.from_start ? " " + time(m.from_start) : ""} → ${to}${m.to_start ? " " + time(m.to_start) : ""}`;
    li.addEventListener("click", () => select(m.order_id));
    ul.appendChild(li);
  });
}

function findStop(orderId) {
  const view = shown();
  for (const route of (view && view.routes) || []) {
    const stop = route.stops.find((s) => s.order_id === orderId);
    if (stop) return { stop, route };
  }
  const left = ((view && view.unassigned) || []).find((u) => u.order_id === orderId);
  return left ? { left } : null;
}

function select(orderId) {
  if (state.selected !== orderId) state.moveResult = null;
  state.selected = orderId;
  drawSelected();
  document.querySelectorAll(".tl-job").forEach((el) => el.classList.toggle("sel", Number(el.dataset.order) === orderId));
}

function drawSelected() {
  const box = $("selected");
  const found = state.selected && findStop(state.selected);
  if (!found) { box.textContent = _("Click a stop on the map, the timeline or the list."); return; }
  const tz = shown().timeZone;
  box.innerHTML = "";
  const info = document.createElement("div");
  if (found.stop) {
    const s = found.stop;
    info.innerHTML = "<b></b><br><span class='addr'></span><br><span class='when'></span><br><span class='why'></span>";
    info.querySelector("b").textContent = `${s.number} · ${s.service_type}`;
    info.querySelector(".addr").textContent = s.address;
    info.querySelector(".when").textContent = _("%(engineer)s, starts %(start)s (window %(windows)s)", {
      engineer: found.route.engineer_name, start: time(s.starts_at, tz),
      windows: s.time_windows.map((w) => `${time(w.starts_at, tz)}–${time(w.ends_at, tz)}`).join(", "),
    });
    info.querySelector(".why").textContent = s.why || (s.since_published ? _("Booked or moved since the plan was published.") : "");
  } else {
    info.innerHTML = "<b></b><br><span class='addr'></span><br><span class='why'></span>";
    const notPlanned = _("not planned");
    info.querySelector("b").textContent = `${found.left.number} · ${notPlanned}`;
    info.querySelector(".addr").textContent = found.left.address;
    info.querySelector(".why").textContent = found.left.detail;
  }
  box.appendChild(info);
  const result = state.moveResult && state.moveResult.orderId === state.selected ? state.moveResult : null;
  const showResult = () => {
    if (!result) return;
    const p = document.createElement("p");
    p.id = "move-result";
    p.className = result.error ? "move-result error" : "move-result ok";
    p.setAttribute("role", "status");
    p.textContent = result.text;
    box.appendChild(p);
  };
  if (!state.plan || state.plan.status !== "ready") {
    if (state.live) {
      const note = document.createElement("p");
      note.className = "hint";
      note.textContent = _("This is the live day. To move visits, plan or re-plan the day, adjust, then publish.");
      box.appendChild(note);
    }
    showResult();
    return;
  }
  if (found.stop && found.stop.fixed) { showResult(); return; }
  /* Offer only the engineers working that day who have every skill the job needs, not the one it is with. */
  const job = found.stop || found.left;
  const needs = job.skills || [];
  const current = found.route ? found.route.engineer_id : null;
  const able = state.shifts.filter((sh) => sh.engineer_id !== current &&
    needs.every((code) => (state.engineers[sh.engineer_id]?.skills || []).includes(code)));
  if (!able.length) {
    const none = document.createElement("p");
    none.id = "move-none";
    none.className = "hint";
    const skills = needs.join(", ") || _("none");
    none.textContent = _("No other engineer working that day has the skills this job needs (%(skills)s).", { skills });
    box.appendChild(none);
    showResult();
    return;
  }
  const actions = document.createElement("div");
  actions.className = "actions";
  const select = document.createElement("select");
  select.id = "move-to";
  able.forEach((sh) => {
    const opt = document.createElement("option");
    opt.value = sh.engineer_id;
    opt.textContent = (state.engineers[sh.engineer_id]?.name || _("engineer %(id)s", { id: sh.engineer_id })) +
      stars(state.engineers[sh.engineer_id]?.rating);
    select.appendChild(opt);
  });
  const pin = document.createElement("label");
  pin.append(Object.assign(document.createElement("span"), { textContent: _("Pin") }));
  const pinBox = document.createElement("input");
  pinBox.type = "checkbox"; pinBox.id = "move-pin";
  pin.appendChild(pinBox);
  const go = document.createElement("button");
  go.id = "move"; go.textContent = _("Move here"); go.className = "primary";
  go.addEventListener("click", () => move(state.selected, Number(select.value), pinBox.checked));
  const label = document.createElement("label");
  label.append(Object.assign(document.createElement("span"), { textContent: _("Engineer") }));
  label.appendChild(select);
  actions.append(label, pin, go);
  box.appendChild(actions);
  showResult();
}

async function move(orderId, engineerId, pinned) {
  $("move").disabled = true;
  const done = await api("POST", `/plans/${state.plan.id}/moves`, { order_id: orderId, engineer_id: engineerId, pinned });
  let text;
  if (done.ok) {
    state.plan = done.data;
    const where = findStop(orderId);
    text = where && where.stop ? _("Moved to %(engineer)s, starting %(start)s.", { engineer: where.route.engineer_name, start: time(where.stop.starts_at, state.plan.time_zone) }) : _("Moved.");
  } else {
    const alternative = (a) => _("%(engineer)s at %(start)s (+%(distance)s)",
      { engineer: a.engineer, start: time(a.starts_at), distance: km(a.extra_distance_m) });
    const alternatives = ((done.data.errors || {}).alternatives || []).map(alternative).join("; ");
    text = done.data.message + (alternatives ? _(". Could go to: %(alternatives)s.", { alternatives }) : "");
  }
  /* Said next to the job (where the dispatcher is looking) and at the top. */
  state.moveResult = { orderId, text, error: !done.ok };
  render();
  say(text, !done.ok);
}

await load(document.documentElement.dataset.locale || "en");
if (state.token) start(); else logout();
