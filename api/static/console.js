/* Dispatch console: plan a day, watch the optimizer, look at routes on a map and a timeline,
   move or pin a job (checked by the optimizer's insertion query), publish. Everything goes
   through /api/v1 with the dispatcher's bearer token, like any other client. */
"use strict";

const API = "/api/v1";
const COLORS = ["#0b5cad", "#1f7a3d", "#b54708", "#7a2e98", "#c2185b", "#00838f", "#5d4037", "#3949ab",
  "#689f38", "#d84315", "#455a64", "#8e24aa", "#00695c", "#f9a825", "#6d4c41", "#1565c0"];
const $ = (id) => document.getElementById(id);
/* The page's settings come as data attributes on <body> (no inline script: see the CSP). */
const CONFIG = { tileUrl: document.body.dataset.tileUrl || "", attribution: document.body.dataset.attribution || "",
  timeZone: document.body.dataset.timeZone };
const state = { token: sessionStorage.getItem("console.token"), plan: null, engineers: {}, shifts: [],
  selected: null, poll: null, map: null, layers: null };

async function api(method, path, body) {
  const response = await fetch(API + path, {
    method,
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${state.token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) { logout("Your session ended: log in again."); throw new Error("unauthorized"); }
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

function time(iso, tz) {
  return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: tz || CONFIG.timeZone })
    .format(new Date(iso));
}

function km(m) { return `${(m / 1000).toFixed(1)} km`; }

/* ---- login ---- */
$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const response = await fetch(`${API}/auth/login`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: $("email").value, password: $("password").value }),
  });
  const data = await response.json();
  if (!response.ok) { $("login-error").textContent = data.message || "Login failed"; return; }
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
  if (!["admin", "dispatcher"].includes(me.data.role)) { logout("The console is for dispatchers."); return; }
  $("who").textContent = `${me.data.full_name} · ${me.data.role}`;
  $("login").hidden = true; $("app").hidden = false; $("logout").hidden = false;
  setupMap();
  await loadDay();
}

/* ---- the day ---- */
$("day").addEventListener("change", loadDay);

async function loadDay() {
  const day = $("day").value;
  const [shifts, engineers, plans] = await Promise.all([
    all(`/shifts?day=${day}`), all("/engineers?active=true"), api("GET", `/plans?day=${day}&page_size=1`),
  ]);
  state.shifts = shifts;
  state.engineers = Object.fromEntries(engineers.map((e) => [e.id, e]));
  state.plan = null; state.selected = null;
  if (plans.ok && plans.data.length) {
    await showPlan(plans.data[0].id);
  } else {
    render();
    say(`No plan for ${day} yet: ${state.shifts.length} engineers have a shift. Press "Plan the day".`);
  }
}

async function showPlan(id) {
  const got = await api("GET", `/plans/${id}`);
  if (!got.ok) { say(got.data.message, true); return; }
  state.plan = got.data;
  render();
  if (["queued", "running"].includes(state.plan.status)) watch(id);
}

/* ---- planning ---- */
async function ask(kind) {
  const body = { day: $("day").value, time_limit_s: Number($("time-limit").value), kind };
  const asked = await api("POST", "/plans", body);
  if (!asked.ok) { say(asked.data.message, true); return; }
  state.plan = asked.data; state.selected = null;
  render();
  watch(asked.data.id);
}
$("plan").addEventListener("click", () => ask("full"));
$("replan").addEventListener("click", () => ask("replan"));
$("cancel").addEventListener("click", async () => {
  if (!state.plan) return;
  const done = await api("DELETE", `/plans/${state.plan.id}`);
  say(done.ok ? "Plan cancelled: nothing was written." : done.data.message, !done.ok);
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
      if (got.data.status === "ready") say(`Plan ${id} is ready: look it over, adjust, then publish.`);
      else say(`Plan ${id} ${got.data.status}. ${got.data.message}`, got.data.status === "failed");
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
  $("progress-text").textContent = plan.status === "queued" ? "waiting for a worker…"
    : `${p.elapsed_s.toFixed(0)} s of ${p.time_limit_s} s` + (p.best_distance_m ? ` · best so far ${p.best_assigned} orders, ${km(p.best_distance_m)}` : "");
  say(`Planning ${plan.day}…`);
}

/* ---- publish ---- */
$("publish").addEventListener("click", async () => {
  const done = await api("POST", `/plans/${state.plan.id}/publish`);
  if (done.ok) {
    const assigned = state.plan.totals.assigned;
    await showPlan(state.plan.id);
    say(`Published: ${assigned} orders are on the engineers' days.`);
    return;
  }
  const changed = (done.data.errors || {}).changed_orders || [];
  say(done.data.message + (changed.length ? ` Changed: ${changed.map((c) => c.number || c.order_id).join(", ")}.` : ""), true);
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

function colorOf(index) { return COLORS[index % COLORS.length]; }

function drawMap(plan) {
  state.layers.clearLayers();
  if (!plan || !plan.routes) return;
  const bounds = [];
  plan.routes.forEach((route, i) => {
    const color = colorOf(i);
    const home = [route.home_latitude, route.home_longitude];
    const path = [home, ...route.stops.map((s) => [s.latitude, s.longitude]), home];
    L.polyline(path, { color, weight: 3, opacity: 0.8, className: "route-line" }).addTo(state.layers);
    L.circleMarker(home, { radius: 4, color, fillColor: "#fff", fillOpacity: 1 }).bindTooltip(`${route.engineer_name} (home)`).addTo(state.layers);
    bounds.push(home);
    route.stops.forEach((stop, k) => {
      const icon = L.divIcon({ className: "stop-label", html: `<div style="background:${color}">${k + 1}</div>`, iconSize: [20, 20] });
      L.marker([stop.latitude, stop.longitude], { icon, title: `${stop.number} ${route.engineer_name}` })
        .on("click", () => select(stop.order_id))
        .addTo(state.layers);
      bounds.push([stop.latitude, stop.longitude]);
    });
  });
  (plan.unassigned || []).forEach((u) => {
    L.circleMarker([u.latitude, u.longitude], { radius: 6, color: "#b42318", fillColor: "#fff", fillOpacity: 1, className: "unassigned-marker" })
      .bindTooltip(`${u.number}: ${u.reason}`).on("click", () => select(u.order_id)).addTo(state.layers);
    bounds.push([u.latitude, u.longitude]);
  });
  if (bounds.length) state.map.fitBounds(bounds, { padding: [20, 20] });
}

/* ---- timeline ---- */
function drawTimeline(plan) {
  const box = $("timeline");
  box.innerHTML = "";
  if (!plan || !plan.routes || !plan.routes.length) { box.textContent = "No routes yet."; return; }
  const tz = plan.time_zone;
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
  plan.routes.forEach((route, i) => {
    const row = document.createElement("div");
    row.className = "tl-row";
    row.dataset.engineer = route.engineer_id;
    const name = document.createElement("div");
    name.className = "tl-name";
    name.textContent = `${route.engineer_name} · ${route.stops.length} · ${km(route.travel_distance_m)}`;
    row.appendChild(name);
    const shift = document.createElement("div");
    shift.className = "tl-shift";
    shift.style.left = pct(Date.parse(route.departs_at));
    shift.style.width = width(Date.parse(route.departs_at), Date.parse(route.returns_at));
    row.appendChild(shift);
    (route.breaks || []).forEach(([a, b]) => {
      const brk = document.createElement("div");
      brk.className = "tl-break"; brk.title = `break ${time(a, tz)}–${time(b, tz)}`;
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
      job.className = "tl-job" + (state.selected === stop.order_id ? " sel" : "");
      job.dataset.order = stop.order_id;
      job.style.background = colorOf(i);
      job.style.left = pct(Date.parse(stop.starts_at));
      job.style.width = width(Date.parse(stop.starts_at), Date.parse(stop.departs_at));
      job.title = `${stop.number} ${time(stop.starts_at, tz)}–${time(stop.departs_at, tz)} ${stop.address}`;
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
  if (plan) showProgress(plan);
  $("publish").disabled = !plan || plan.status !== "ready";
  const s = $("summary");
  if (plan && plan.totals) {
    const t = plan.totals;
    s.hidden = false;
    s.innerHTML = `
      <div><b>${t.assigned}</b><span>orders on routes</span></div>
      <div><b>${t.unassigned}</b><span>left out</span></div>
      <div><b>${t.engineers_used} / ${t.engineers}</b><span>engineers used</span></div>
      <div><b>${km(t.travel_distance_m)}</b><span>driving</span></div>
      <div><b>${(t.travel_time_s / 3600).toFixed(1)} h</b><span>at the wheel</span></div>
      <div><b>${plan.status}</b><span>plan ${plan.id} · ${plan.kind}</span></div>`;
  } else { s.hidden = true; }
  const list = $("unassigned");
  list.innerHTML = "";
  const left = (plan && plan.unassigned) || [];
  $("unassigned-count").textContent = left.length;
  left.forEach((u) => {
    const li = document.createElement("li");
    li.dataset.order = u.order_id;
    li.innerHTML = `<b></b> <span class="addr"></span><span class="why"></span>`;
    li.querySelector("b").textContent = u.number;
    li.querySelector(".addr").textContent = u.address;
    li.querySelector(".why").textContent = `${u.reason.replaceAll("_", " ")}: ${u.detail}`;
    li.addEventListener("click", () => select(u.order_id));
    list.appendChild(li);
  });
  drawChanges(plan);
  drawMap(plan);
  drawTimeline(plan);
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
  head.textContent = `${c.unchanged} unchanged · ${c.retimed} new times · ${c.reassigned} to another engineer · ${c.dropped} dropped · ${c.new} newly placed`;
  ul.appendChild(head);
  moved.forEach((m) => {
    const li = document.createElement("li");
    li.className = `chg-${m.change}`;
    const from = state.engineers[m.from_engineer_id]?.name || "—";
    const to = state.engineers[m.to_engineer_id]?.name || "nobody";
    li.textContent = `Order ${m.order_id}: ${m.change} — ${from}${m.from_start ? " " + time(m.from_start) : ""} → ${to}${m.to_start ? " " + time(m.to_start) : ""}`;
    li.addEventListener("click", () => select(m.order_id));
    ul.appendChild(li);
  });
}

function findStop(orderId) {
  for (const route of (state.plan && state.plan.routes) || []) {
    const stop = route.stops.find((s) => s.order_id === orderId);
    if (stop) return { stop, route };
  }
  const left = ((state.plan && state.plan.unassigned) || []).find((u) => u.order_id === orderId);
  return left ? { left } : null;
}

function select(orderId) {
  state.selected = orderId;
  drawSelected();
  document.querySelectorAll(".tl-job").forEach((el) => el.classList.toggle("sel", Number(el.dataset.order) === orderId));
}

function drawSelected() {
  const box = $("selected");
  const found = state.selected && findStop(state.selected);
  if (!found) { box.textContent = "Click a stop on the map, the timeline or the list."; return; }
  const tz = state.plan.time_zone;
  box.innerHTML = "";
  const info = document.createElement("div");
  if (found.stop) {
    const s = found.stop;
    info.innerHTML = "<b></b><br><span class='addr'></span><br><span class='when'></span><br><span class='why'></span>";
    info.querySelector("b").textContent = `${s.number} · ${s.service_type}`;
    info.querySelector(".addr").textContent = s.address;
    info.querySelector(".when").textContent = `${found.route.engineer_name}, starts ${time(s.starts_at, tz)} (window ${s.time_windows.map((w) => `${time(w.starts_at, tz)}–${time(w.ends_at, tz)}`).join(", ")})`;
    info.querySelector(".why").textContent = s.why;
  } else {
    info.innerHTML = "<b></b><br><span class='addr'></span><br><span class='why'></span>";
    info.querySelector("b").textContent = `${found.left.number} · not planned`;
    info.querySelector(".addr").textContent = found.left.address;
    info.querySelector(".why").textContent = found.left.detail;
  }
  box.appendChild(info);
  if (!state.plan || state.plan.status !== "ready" || (found.stop && found.stop.fixed)) return;
  const actions = document.createElement("div");
  actions.className = "actions";
  const select = document.createElement("select");
  select.id = "move-to";
  state.shifts.forEach((sh) => {
    const opt = document.createElement("option");
    opt.value = sh.engineer_id;
    opt.textContent = state.engineers[sh.engineer_id]?.name || `engineer ${sh.engineer_id}`;
    select.appendChild(opt);
  });
  const pin = document.createElement("label");
  pin.innerHTML = "<span>Pin</span>";
  const pinBox = document.createElement("input");
  pinBox.type = "checkbox"; pinBox.id = "move-pin";
  pin.appendChild(pinBox);
  const go = document.createElement("button");
  go.id = "move"; go.textContent = "Move here"; go.className = "primary";
  go.addEventListener("click", () => move(state.selected, Number(select.value), pinBox.checked));
  const label = document.createElement("label");
  label.innerHTML = "<span>Engineer</span>";
  label.appendChild(select);
  actions.append(label, pin, go);
  box.appendChild(actions);
}

async function move(orderId, engineerId, pinned) {
  const done = await api("POST", `/plans/${state.plan.id}/moves`, { order_id: orderId, engineer_id: engineerId, pinned });
  if (done.ok) {
    state.plan = done.data;
    render();
    const where = findStop(orderId);
    say(where && where.stop ? `Moved to ${where.route.engineer_name}, starting ${time(where.stop.starts_at, state.plan.time_zone)}.` : "Moved.");
    return;
  }
  const alternatives = (done.data.errors || {}).alternatives || [];
  say(done.data.message + (alternatives.length
    ? `. Could go to: ${alternatives.map((a) => `${a.engineer} at ${time(a.starts_at)} (+${km(a.extra_distance_m)})`).join("; ")}.`
    : ""), true);
}

if (state.token) start(); else logout();
