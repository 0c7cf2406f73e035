// The engineer's app: login, today's jobs in route order, job detail and every field action.
// Every change goes to the outbox (store.js) first, so it survives a closed app or a lost signal.
import SignaturePad from "./vendor/signature_pad.js";
import * as store from "./store.js";

const view = document.getElementById("view");
const notice = document.getElementById("notice");
const syncPill = document.getElementById("sync");
const PING_EVERY_MS = 60000;
const FAR_M = 300;
const NEXT = { dispatched: "accepted", accepted: "en_route", en_route: "on_site" };
const LABEL = { dispatched: "New", accepted: "Accepted", en_route: "Travelling", on_site: "On site",
  completed: "Completed", incomplete: "Incomplete", declined: "Declined", scheduled: "Scheduled" };

const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
// What the engineer sees: their own queued step, unless the server refused it (then the server's).
const statusOf = (job) => (!job.conflict && job.local && job.local.status) || job.status;
const time = (iso, tz) => iso ? new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: tz || undefined }) : "—";
const day = (iso, tz) => new Date(iso).toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short", timeZone: tz || undefined });

function metres(a, b) {            // haversine, for the engineer's own warning (the server decides)
  const r = 6371000, rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad, dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(h));
}

// --- Header: sync state ----------------------------------------------------------------------

async function renderSync() {
  const rows = await store.outbox();
  const conflicts = rows.filter((r) => r.status === "conflict").length;
  const waiting = rows.length - conflicts;
  const paused = store.state.paused;
  syncPill.className = "pill" + (conflicts ? " conflict" : paused || !store.state.online ? " offline" : "");
  syncPill.textContent = conflicts ? `${conflicts} not sent` : paused ? `${waiting} waiting · log in`
    : !store.state.online ? `Offline · ${waiting} waiting` : waiting ? `Sending ${waiting}…` : "All synced";
  if (paused && !location.hash.startsWith("#/login")) {
    notice.hidden = false;
    const changes = waiting === 1 ? "1 change waits" : `${waiting} changes wait`;
    notice.innerHTML = `<p>Your login has ended. Nothing is lost: ${changes} on this phone.</p>
      <a class="button" href="#/login" style="width:100%">Log in again to send</a>`;
  } else notice.hidden = true;
}

// --- Screens ---------------------------------------------------------------------------------

async function loginScreen() {
  const user = await store.meta("user");
  view.innerHTML = `
    <h1>Log in</h1>
    <p class="muted">Your jobs stay on this phone, so you can work without signal.</p>
    <form id="login">
      <label for="email">Email</label><input id="email" type="email" autocomplete="username" required value="${esc(user ? user.email : "")}">
      <label for="password">Password</label><input id="password" type="password" autocomplete="current-password" required>
      <p id="login-error" class="warn" role="alert"></p>
      <button type="submit" class="wide" style="width:100%">Log in</button>
    </form>`;
  document.getElementById("login").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await store.login(document.getElementById("email").value, document.getElementById("password").value);
      location.hash = "#/jobs";
      await store.pull();
    } catch (err) {
      document.getElementById("login-error").textContent = err.message || "Cannot reach the server: try again when online";
    }
  });
}

async function jobsScreen() {
  const all = (await store.jobs()).sort((a, b) =>
    (a.scheduled_start || "").localeCompare(b.scheduled_start || "") || (a.sequence ?? 0) - (b.sequence ?? 0));
  const rows = await store.outbox();
  const user = await store.meta("user");
  const sharing = await store.meta("share-location");
  let html = `<div class="row"><h1>Your jobs</h1><span class="muted">${esc(user ? user.full_name : "")}</span></div>`;
  html += `<label class="toggle card"><input id="share" type="checkbox" ${sharing ? "checked" : ""}>
           <span>Share my location while I travel on shift<br><small class="muted">Only the latest point, only during your shift</small></span></label>`;
  if (!all.length) html += `<p class="muted">No jobs for you yet. They appear here once the office sends them.</p>`;
  let lastDay = null;
  for (const job of all) {
    const tz = job.site.time_zone;
    const d = job.scheduled_start ? day(job.scheduled_start, tz) : "Not scheduled";
    if (d !== lastDay) { html += `<h2>${esc(d)}</h2>`; lastDay = d; }
    const waiting = rows.filter((r) => r.jobId === job.id).length;
    const windows = job.time_windows.map((w) => `${time(w.starts_at, tz)}–${time(w.ends_at, tz)}`).join(", ");
    const status = statusOf(job);
    html += `<a class="card" href="#/job/${job.id}" data-job="${job.id}">
      <div class="row"><span class="eta">ETA ${time(job.scheduled_start, tz)}</span><span class="status ${status}">${LABEL[status] || status}</span></div>
      <div><strong>${esc(job.service_type.name)}</strong> · ${esc(job.customer.name)}</div>
      <div class="muted">${esc(job.site.address)}</div>
      <div class="row"><span class="muted">Window ${esc(windows)}</span>
      ${job.conflict ? `<span class="waiting" style="color:var(--red)">Needs you</span>` : waiting ? `<span class="waiting">${waiting} waiting</span>` : ""}</div>
    </a>`;
  }
  view.innerHTML = html;
  document.getElementById("share").addEventListener("change", async (e) => {
    await store.meta("share-location", e.target.checked);
    pinger();
  });
}

function mapLinks(job) {
  const { latitude: lat, longitude: lon } = job.site;
  const label = encodeURIComponent(job.site.address);
  const apple = /iPhone|iPad|Macintosh/.test(navigator.userAgent);
  const android = /Android/.test(navigator.userAgent);
  const links = [`<a class="button secondary" target="_blank" rel="noopener" href="https://www.google.com/maps/dir/?api=1&destination=${lat},${lon}&travelmode=driving">Google Maps</a>`];
  if (apple) links.push(`<a class="button secondary" href="https://maps.apple.com/?daddr=${lat},${lon}&dirflg=d">Apple Maps</a>`);
  if (android) links.push(`<a class="button secondary" href="geo:${lat},${lon}?q=${lat},${lon}(${label})">Other map app</a>`);
  return links.join("");
}

function needs(job) {
  const st = job.service_type;
  const photos = Math.max(st.min_photos || 0, st.photos_required ? 1 : 0);
  const taken = job.taken || [];
  const have = taken.filter((t) => t.kind === "photo").length;
  const signed = taken.some((t) => t.kind === "signature");
  return { photos, have, signature: st.signature_required, signed,
    ok: have >= photos && (!st.signature_required || signed) };
}

async function thumbs(job) {
  const parts = [];
  for (const t of job.taken || []) {
    const local = await store.blob(t.id);
    const src = local ? URL.createObjectURL(new Blob([local.data], { type: local.type })) : "";
    parts.push(`<img class="${t.kind}" alt="${t.kind === "signature" ? "Signature of " + esc(t.signer) : "Photo"}" ${src ? `src="${src}"` : `data-remote="${t.id}"`}>`);
  }
  return parts.join("");
}

async function jobScreen(id) {
  const job = await store.job(id);
  if (!job) {
    view.innerHTML = `<a href="#/jobs" class="back">‹ All jobs</a><p>This job is no longer on your list (declined, or moved by the office).</p>`;
    return;
  }
  const tz = job.site.time_zone;
  const status = statusOf(job);
  const need = needs(job);
  const windows = job.time_windows.map((w) => `${day(w.starts_at, tz)} ${time(w.starts_at, tz)}–${time(w.ends_at, tz)}`).join("<br>");
  let html = `<a href="#/jobs" class="back">‹ All jobs</a>
    <div class="row"><h1>${esc(job.service_type.name)}</h1><span class="status ${status}">${LABEL[status] || status}</span></div>
    <p class="muted">${esc(job.number)}</p>`;
  if (job.conflict) {
    html += `<div class="conflict-box" role="alert"><strong>Not sent — the office changed this job.</strong>
      <p>Your step “${esc((job.conflictStep || "change").replace(/-/g, " "))}” was refused: ${esc(job.conflict)}</p>
      <p>Below is the job as it is now on the server. Your step was not applied; read the job, then carry on.</p>
      <div class="actions"><button id="discard" class="danger wide">Drop my change and carry on</button></div></div>`;
  }
  html += `<div class="card"><dl>
      <dt>Customer</dt><dd>${esc(job.customer.name)}</dd>
      <dt>Address</dt><dd>${esc(job.site.address)}</dd>
      <dt>Access</dt><dd>${esc(job.site.access_notes) || "<span class='muted'>none</span>"}</dd>
      <dt>ETA</dt><dd>${time(job.scheduled_start, tz)}</dd>
      <dt>Window</dt><dd>${windows}</dd>
      <dt>Job</dt><dd>${esc(job.description) || "<span class='muted'>no description</span>"}</dd>
    </dl></div>
    <div class="links">${mapLinks(job)}</div>`;
  html += `<div class="actions">`;
  if (job.conflict) html += "";
  else if (status === "dispatched") html += `<button data-act="accept">Accept</button><button class="danger" data-act="decline">Decline</button>`;
  if (status === "accepted") html += `<button class="wide" data-act="start-travel">Start travel</button><button class="danger wide" data-act="decline">Decline</button>`;
  if (status === "en_route") html += `<button class="wide" data-act="check-in">Check in on site</button>`;
  html += `</div><p id="gps" class="muted" role="status">${job.farWarning && status === "on_site" ? `<span class="warn">${esc(job.farWarning)}</span>` : ""}</p>`;
  const taken = job.taken || [];
  const signature = taken.find((t) => t.kind === "signature");
  const notes = (job.notes || []).map((n) => `<li>${esc(n.text)}${n.parts.length ? ` — parts: ${n.parts.map((p) => `${esc(p.name)} × ${p.quantity}`).join(", ")}` : ""}</li>`).join("");
  if (["completed", "incomplete"].includes(status)) {
    html += `<div class="card"><strong>${status === "completed" ? "Job completed" : "Could not finish: a follow-up visit is needed"}</strong>
      <div class="muted">${need.have} photo(s)${signature ? `, signed by ${esc(signature.signer)}` : ""}${job.status_reason ? ` · ${esc(job.status_reason)}` : ""}</div></div>`;
  }
  if (status === "on_site" && !job.conflict) {
    html += `<h2>Photos and signature</h2>
      <div class="req ${need.have >= need.photos ? "ok" : "no"}">${need.photos ? `Photos: ${need.have} of ${need.photos} needed` : `Photos: ${need.have} taken (none required)`}</div>
      ${need.signature ? `<div class="req ${need.signed ? "ok" : "no"}">Customer's signature: ${need.signed ? "taken" : "needed"}</div>` : ""}
      <div class="thumbs">${await thumbs(job)}</div>
      <label for="photo" class="button secondary" style="width:100%">Take a photo</label>
      <input id="photo" type="file" accept="image/*" capture="environment" hidden>
      ${signature ? `<p class="req ok">Signed by ${esc(signature.signer)}</p>` : `
      <label for="signer">Signed by</label><input id="signer" autocomplete="off" placeholder="Customer's name">
      <canvas id="sig" class="sig" aria-label="Signature pad: the customer signs here"></canvas>
      <div class="actions"><button class="secondary" id="sig-clear">Clear</button><button id="sig-save">Save signature</button></div>`}
      <h2>Notes and parts</h2>
      ${notes ? `<ul class="history">${notes}</ul>` : ""}
      <label for="note">Notes</label><textarea id="note" placeholder="What you found and did"></textarea>
      <label>Parts used</label><div class="part"><input id="part" placeholder="Part name"><input id="qty" type="number" min="1" value="1" aria-label="Quantity"></div>
      <button class="secondary" id="note-save" style="width:100%">Save note</button>
      <h2>Finish</h2>
      ${need.ok ? "" : `<p class="warn">Complete needs ${need.have < need.photos ? `${need.photos - need.have} more photo(s)` : ""}${need.have < need.photos && need.signature && !need.signed ? " and " : ""}${need.signature && !need.signed ? "the customer's signature" : ""}.</p>`}
      <div class="actions"><button data-act="complete" ${need.ok ? "" : "disabled"}>Complete</button><button class="danger" data-act="incomplete">Can't finish</button></div>`;
  }
  html += `<h2>History</h2><ul class="history" id="history"><li class="muted">Loading…</li></ul>`;
  view.innerHTML = html;
  wireJob(job);
  for (const img of view.querySelectorAll("img[data-remote]")) {   // already sent: show the server's copy
    store.api(`/attachments/${img.dataset.remote}/content`).then(async (r) => {
      if (r && r.ok) img.src = URL.createObjectURL(await r.blob());
    }).catch(() => {});
  }
  const list = document.getElementById("history");
  store.history(job.id).then((events) => {   // not awaited: a slow network must not hold the screen
    if (!list.isConnected) return;
    list.innerHTML = events ? events.map((e) => `<li>${esc(day(e.at, tz))} ${time(e.at, tz)} — ${esc(e.action.replace(/_/g, " "))} (${esc(e.actor_role)})</li>`).join("")
      : `<li class="muted">History shows when you are online.</li>`;
  });
}

function ask(question) {
  const answer = window.prompt(question);
  return answer && answer.trim() ? answer.trim() : null;
}

function action(job, path, body, target, extra = {}) {
  return store.queue(job.id, [{ kind: "action", method: "POST", path: `/orders/${job.id}/${path}`, body: JSON.stringify(body), label: path }],
    (j) => { Object.assign(j, extra); j.local = { ...(j.local || {}), status: target }; j.conflict = null; });
}

let lastFix = null;                 // the location watch's latest fix, when sharing is on

function position() {
  // A fresh fix from the running watch is as good as a new one (and some phones will not give a
  // second fix while a watch runs); otherwise ask for a new high-accuracy fix.
  if (lastFix && Date.now() - lastFix.timestamp < 30000) return Promise.resolve(lastFix);
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    navigator.geolocation.getCurrentPosition((p) => resolve(p), () => resolve(null),
      { enableHighAccuracy: true, maximumAge: 0, timeout: 10000 });
  });
}

async function downscale(file, max = 1600) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, max / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale); canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const out = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
  return { data: await out.arrayBuffer(), type: "image/jpeg" };
}

async function attach(job, kind, image, signer) {
  const id = store.uuid();
  const query = kind === "signature" ? `?kind=signature&signer_name=${encodeURIComponent(signer)}` : "?kind=photo";
  await store.queue(job.id, [{ kind: "upload", method: "PUT", path: `/orders/${job.id}/attachments/${id}${query}`, blobId: id, itemId: id, label: kind }],
    (j) => { j.taken = [...(j.taken || []), { id, kind, signer: signer || null }]; },
    [{ id, jobId: job.id, data: image.data, type: image.type }]);
}

function wireJob(job) {
  const discard = document.getElementById("discard");
  if (discard) discard.onclick = () => store.discard(job.id).then(route);
  for (const button of view.querySelectorAll("[data-act]")) {
    button.onclick = async () => {
      const act = button.dataset.act;
      if (act === "accept") await action(job, "accept", {}, "accepted");
      if (act === "decline") { const reason = ask("Why are you declining this job?"); if (!reason) return; await action(job, "decline", { reason }, "declined"); location.hash = "#/jobs"; }
      if (act === "start-travel") await action(job, "start-travel", {}, "en_route");
      if (act === "check-in") {
        document.getElementById("gps").textContent = "Finding your position…";
        const p = await position();
        const body = p ? { latitude: p.coords.latitude, longitude: p.coords.longitude, accuracy_m: p.coords.accuracy,
          recorded_at: new Date(p.timestamp).toISOString() } : {};
        let farWarning = p ? "" : "No GPS position: the check-in was sent without one.";
        if (p) {
          const d = metres({ lat: p.coords.latitude, lon: p.coords.longitude }, { lat: job.site.latitude, lon: job.site.longitude });
          if (d > FAR_M) farWarning = `You checked in ${d >= 1000 ? (d / 1000).toFixed(1) + " km" : Math.round(d) + " m"} from the site (GPS ±${Math.round(p.coords.accuracy)} m): the office will see this.`;
        }
        await action(job, "check-in", body, "on_site", { farWarning });
      }
      if (act === "complete") {
        const fresh = await store.job(job.id);
        await action(fresh, "complete", { notes: null, attachment_ids: (fresh.taken || []).map((t) => t.id) }, "completed");
      }
      if (act === "incomplete") { const reason = ask("What is left to do? (a follow-up visit will be booked)"); if (!reason) return; await action(job, "incomplete", { reason }, "incomplete"); }
      await route();
    };
  }
  const photo = document.getElementById("photo");
  if (photo) photo.onchange = async () => {
    for (const file of photo.files) await attach(job, "photo", await downscale(file));
    await route();
  };
  const canvas = document.getElementById("sig");
  if (canvas) {
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    canvas.width = canvas.offsetWidth * ratio; canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    const pad = new SignaturePad(canvas, { backgroundColor: "rgb(255,255,255)" });
    pad.addEventListener("beginStroke", () => { canvas.dataset.drawn = "yes"; });
    document.getElementById("sig-clear").onclick = () => { pad.clear(); canvas.dataset.drawn = ""; };
    document.getElementById("sig-save").onclick = async () => {
      const signer = document.getElementById("signer").value.trim();
      if (!signer) { alert("Write the name of the person signing."); return; }
      if (pad.isEmpty()) { alert("Ask the customer to sign in the box."); return; }
      const png = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
      await attach(job, "signature", { data: await png.arrayBuffer(), type: "image/png" }, signer);
      await route();
    };
  }
  const noteSave = document.getElementById("note-save");
  if (noteSave) noteSave.onclick = async () => {
    const text = document.getElementById("note").value.trim();
    const part = document.getElementById("part").value.trim();
    const parts = part ? [{ name: part, quantity: Number(document.getElementById("qty").value) || 1 }] : [];
    if (!text && !parts.length) return;
    const id = store.uuid();
    await store.queue(job.id, [{ kind: "note", method: "PUT", path: `/orders/${job.id}/notes/${id}`, itemId: id,
      body: JSON.stringify({ text, parts, recorded_at: new Date().toISOString() }), label: "note" }],
      (j) => { j.notes = [...(j.notes || []), { id, text, parts }]; });
    await route();
  };
}

// --- Position pings: opt-in, only while travelling, throttled, queued like everything else ---------

let watch = null, lastPing = 0;
async function pinger() {
  const on = await store.meta("share-location");
  const travelling = (await store.jobs()).some((j) => statusOf(j) === "en_route");
  if (on && travelling && navigator.geolocation && watch === null) {
    watch = navigator.geolocation.watchPosition(async (p) => {
      lastFix = p;
      if (Date.now() - lastPing < PING_EVERY_MS) return;
      lastPing = Date.now();
      await store.queue(null, [{ kind: "ping", method: "POST", path: "/positions", label: "position",
        body: JSON.stringify({ latitude: p.coords.latitude, longitude: p.coords.longitude, accuracy_m: p.coords.accuracy, recorded_at: new Date(p.timestamp).toISOString() }) }], null);
    }, () => {}, { enableHighAccuracy: true, maximumAge: 30000 });
  } else if ((!on || !travelling) && watch !== null) {
    navigator.geolocation.clearWatch(watch); watch = null; lastFix = null;
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
  else if (hash.startsWith("#/job/")) await jobScreen(Number(hash.slice(6)));
  else await jobsScreen();
  await renderSync();
  pinger();
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
await route();
if (await store.meta("access")) { await store.pull(); store.kick(); }
