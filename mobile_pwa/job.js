// One job: its details, the next field step, photos, signature, notes, and a refused step if any.
import SignaturePad from "./vendor/signature_pad.js";
import * as store from "./store.js";
import { _, ngettext } from "/i18n/i18n.js";
import { downscale, metres, position } from "./device.js";
import { refusalBox, refusalOf, wireRefusal } from "./refusals.js";
import { day, esc, eventName, roleName, statusLabel, time } from "./words.js";

const FAR_M = 300;
const ARM_MS = 600;   // the buttons of the next step ignore taps this long: a double tap must not start it
// Where each step starts (as the server's state machine says): a step is queued only from there.
const FROM = { accept: ["dispatched"], decline: ["dispatched", "accepted"], "start-travel": ["accepted"],
  "check-in": ["en_route"], complete: ["on_site"], incomplete: ["on_site"] };
let armedAt = 0;

// What the engineer sees: their own queued step, unless the server refused it (then the server's).
export const statusOf = (job) => (!job.conflict && job.local && job.local.status) || job.status;

function mapLinks(job) {
  const { latitude: lat, longitude: lon } = job.site;
  const label = encodeURIComponent(job.site.address);
  const apple = /iPhone|iPad|Macintosh/.test(navigator.userAgent);
  const android = /Android/.test(navigator.userAgent);
  const links = [`<a class="button secondary" target="_blank" rel="noopener" href="https://www.google.com/maps/dir/?api=1&destination=${lat},${lon}&travelmode=driving">${_("Google Maps")}</a>`];
  if (apple) links.push(`<a class="button secondary" href="https://maps.apple.com/?daddr=${lat},${lon}&dirflg=d">${_("Apple Maps")}</a>`);
  if (android) links.push(`<a class="button secondary" href="geo:${lat},${lon}?q=${lat},${lon}(${label})">${_("Other map app")}</a>`);
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

function missing(need) {
  const photos = Math.max(need.photos - need.have, 0);
  const sign = need.signature && !need.signed;
  if (photos && sign) return ngettext("Complete needs %(num)s more photo and the customer's signature.", "Complete needs %(num)s more photos and the customer's signature.", photos);
  if (photos) return ngettext("Complete needs %(num)s more photo.", "Complete needs %(num)s more photos.", photos);
  return sign ? _("Complete needs the customer's signature.") : "";
}

async function thumbs(job) {
  const parts = [];
  for (const t of job.taken || []) {
    const local = await store.blob(t.id);
    const src = local ? URL.createObjectURL(new Blob([local.data], { type: local.type })) : "";
    const alt = t.kind === "signature" ? _("Signature of %(name)s", { name: t.signer || "" }) : _("Photo");
    parts.push(`<img class="${t.kind}" alt="${esc(alt)}" ${src ? `src="${src}"` : `data-remote="${esc(t.id)}"`}>`);
  }
  return parts.join("");
}

function evidence(job, need, signature, editable) {
  const notes = (job.notes || []).map((n) => `<li>${esc(n.text)}${n.parts.length ? ` — ${esc(_("parts: %(parts)s", { parts: n.parts.map((p) => `${p.name} × ${p.quantity}`).join(", ") }))}` : ""}</li>`).join("");
  const photos = need.photos ? _("Photos: %(have)s of %(needed)s needed", { have: need.have, needed: need.photos })
    : _("Photos: %(have)s taken (none required)", { have: need.have });
  let html = `<h2>${_("Photos and signature")}</h2>
    <div class="req ${need.have >= need.photos ? "ok" : "no"}">${esc(photos)}</div>
    ${need.signature ? `<div class="req ${need.signed ? "ok" : "no"}">${need.signed ? _("Customer's signature: taken") : _("Customer's signature: needed")}</div>` : ""}
    <div class="thumbs">${job.thumbs}</div>`;
  if (!editable) return html + (notes ? `<h2>${_("Notes and parts")}</h2><ul class="history">${notes}</ul>` : "");
  // Texts inside attribute quotes are made here: the catalog's extractor does not look inside those.
  const hint = { signer: esc(_("Customer's name")), pad: esc(_("Signature pad: the customer signs here")),
    note: esc(_("What you found and did")), part: esc(_("Part name")), qty: esc(_("Quantity")) };
  html += `<label for="photo" class="button secondary" style="width:100%">${_("Take a photo")}</label>
    <input id="photo" type="file" accept="image/*" capture="environment" hidden>
    ${signature ? `<p class="req ok">${esc(_("Signed by %(name)s", { name: signature.signer || "" }))}</p>` : `
    <label for="signer">${_("Signed by")}</label><input id="signer" autocomplete="off" placeholder="${hint.signer}">
    <canvas id="sig" class="sig" aria-label="${hint.pad}"></canvas>
    <div class="actions"><button class="secondary" id="sig-clear">${_("Clear")}</button><button id="sig-save">${_("Save signature")}</button></div>`}
    <h2>${_("Notes and parts")}</h2>
    ${notes ? `<ul class="history">${notes}</ul>` : ""}
    <label for="note">${_("Notes")}</label><textarea id="note" placeholder="${hint.note}"></textarea>
    <label>${_("Parts used")}</label><div class="part"><input id="part" placeholder="${hint.part}"><input id="qty" type="number" min="1" value="1" aria-label="${hint.qty}"></div>
    <button class="secondary" id="note-save" style="width:100%">${_("Save note")}</button>
    <h2>${_("Finish")}</h2>
    ${need.ok ? "" : `<p class="warn">${esc(missing(need))}</p>`}
    <div class="actions"><button data-act="complete" ${need.ok ? "" : "disabled"}>${_("Complete")}</button><button class="danger" data-act="incomplete">${_("Can't finish")}</button></div>`;
  return html;
}

export async function jobScreen(view, id, route) {
  const job = await store.job(id);
  if (!job) {
    view.innerHTML = `<a href="#/jobs" class="back">‹ ${_("All jobs")}</a><p>${_("This job is no longer on your list (declined, or moved by the office).")}</p>`;
    return;
  }
  const tz = job.site.time_zone;
  const refused = await refusalOf(job.id);
  const status = statusOf(job);
  const need = needs(job);
  job.thumbs = await thumbs(job);
  const windows = job.time_windows.map((w) => `${day(w.starts_at, tz)} ${time(w.starts_at, tz)}–${time(w.ends_at, tz)}`).join("<br>");
  const none = (text) => `<span class='muted'>${text}</span>`;
  let html = `<a href="#/jobs" class="back">‹ ${_("All jobs")}</a>
    <div class="row"><h1>${esc(job.service_type.name)}</h1><span class="status ${status}">${esc(statusLabel(status))}</span></div>
    <p class="muted">${esc(job.number)}</p>`;
  if (refused) html += refusalBox(refused);
  html += `<div class="card"><dl>
      <dt>${_("Customer")}</dt><dd>${esc(job.customer.name)}</dd>
      <dt>${_("Address")}</dt><dd>${esc(job.site.address)}</dd>
      <dt>${_("Access")}</dt><dd>${esc(job.site.access_notes) || none(_("none"))}</dd>
      <dt>${_("ETA")}</dt><dd>${time(job.scheduled_start, tz)}</dd>
      <dt>${_("Window")}</dt><dd>${windows}</dd>
      <dt>${_("Job")}</dt><dd>${esc(job.description) || none(_("no description"))}</dd>
    </dl></div>
    <div class="links">${mapLinks(job)}</div><div class="actions">`;
  if (!refused) {
    if (status === "dispatched") html += `<button data-act="accept">${_("Accept")}</button><button class="danger" data-act="decline">${_("Decline")}</button>`;
    if (status === "accepted") html += `<button class="wide" data-act="start-travel">${_("Start travel")}</button><button class="danger wide" data-act="decline">${_("Decline")}</button>`;
    if (status === "en_route") html += `<button class="wide" data-act="check-in">${_("Check in on site")}</button>`;
  }
  html += `</div><p id="gps" class="muted" role="status">${job.farWarning && status === "on_site" ? `<span class="warn">${esc(job.farWarning)}</span>` : ""}</p>`;
  const signature = (job.taken || []).find((t) => t.kind === "signature");
  if (["completed", "incomplete"].includes(status)) {
    const done = status === "completed" ? _("Job completed") : _("Could not finish: a follow-up visit is needed");
    const details = [ngettext("%(num)s photo", "%(num)s photos", need.have)];
    if (signature) details.push(_("signed by %(name)s", { name: signature.signer || "" }));
    html += `<div class="card"><strong>${esc(done)}</strong>
      <div class="muted">${esc(details.join(", "))}${job.status_reason ? ` · ${esc(job.status_reason)}` : ""}</div></div>`;
  }
  if (status === "on_site" || (refused && (job.taken || []).length + (job.notes || []).length)) {
    html += evidence(job, need, signature, status === "on_site" && !refused);
  }
  html += `<h2>${_("History")}</h2><ul class="history" id="history"><li class="muted">${_("Loading…")}</li></ul>`;
  view.innerHTML = html;
  if (refused) wireRefusal(refused, route);
  wireJob(view, job, route);
  for (const img of view.querySelectorAll("img[data-remote]")) {   // already sent: show the server's copy
    store.api(`/attachments/${img.dataset.remote}/content`).then(async (r) => {
      if (r && r.ok) img.src = URL.createObjectURL(await r.blob());
    }).catch(() => {});
  }
  const list = document.getElementById("history");
  store.history(job.id).then((events) => {   // not awaited: a slow network must not hold the screen
    if (!list.isConnected) return;
    list.innerHTML = events ? events.map((e) => `<li>${esc(day(e.at, tz))} ${time(e.at, tz)} — ${esc(eventName(e.action))} (${esc(roleName(e.actor_role))})</li>`).join("")
      : `<li class="muted">${_("History shows when you are online.")}</li>`;
  });
}

function ask(question) {
  const answer = window.prompt(question);
  return answer && answer.trim() ? answer.trim() : null;
}

// Queue a step, unless it is queued already or the job is not where the step starts.
async function action(job, path, body, target, extra = {}) {
  const queued = await store.queue(job.id, [{ kind: "action", method: "POST", path: `/orders/${job.id}/${path}`, body: JSON.stringify(body), label: path, target }],
    (j) => { Object.assign(j, extra); j.local = { ...(j.local || {}), status: target }; j.conflict = null; }, [],
    (j, waiting) => !!j && !j.conflict && FROM[path].includes(statusOf(j)) && !waiting.some((r) => r.label === path));
  if (queued) armedAt = Date.now() + ARM_MS;
  return queued;
}

async function attach(job, kind, image, signer) {
  const id = store.uuid();
  const query = kind === "signature" ? `?kind=signature&signer_name=${encodeURIComponent(signer)}` : "?kind=photo";
  const once = kind === "signature" ? (j) => !!j && !(j.taken || []).some((t) => t.kind === "signature") : null;
  return store.queue(job.id, [{ kind: "upload", method: "PUT", path: `/orders/${job.id}/attachments/${id}${query}`, blobId: id, itemId: id, label: kind, signer: signer || undefined }],
    (j) => { j.taken = [...(j.taken || []), { id, kind, signer: signer || null }]; },
    [{ id, jobId: job.id, data: image.data, type: image.type }], once);
}

async function step(job, act) {
  if (act === "accept") await action(job, "accept", {}, "accepted");
  if (act === "decline") {
    const reason = ask(_("Why are you declining this job?"));
    if (!reason) return;
    if (await action(job, "decline", { reason }, "declined")) location.hash = "#/jobs";
  }
  if (act === "start-travel") await action(job, "start-travel", {}, "en_route");
  if (act === "check-in") {
    document.getElementById("gps").textContent = _("Finding your position…");
    const p = await position();
    const body = p ? { latitude: p.coords.latitude, longitude: p.coords.longitude, accuracy_m: p.coords.accuracy,
      recorded_at: new Date(p.timestamp).toISOString() } : {};
    let farWarning = p ? "" : _("No GPS position: the check-in was sent without one.");
    if (p) {
      const d = metres({ lat: p.coords.latitude, lon: p.coords.longitude }, { lat: job.site.latitude, lon: job.site.longitude });
      const distance = d >= 1000 ? `${(d / 1000).toFixed(1)} km` : `${Math.round(d)} m`;
      if (d > FAR_M) farWarning = _("You checked in %(distance)s from the site (GPS ±%(accuracy)s m): the office will see this.", { distance, accuracy: Math.round(p.coords.accuracy) });
    }
    await action(job, "check-in", body, "on_site", { farWarning });
  }
  if (act === "complete") {
    const fresh = await store.job(job.id);
    await action(fresh, "complete", { notes: null, attachment_ids: (fresh.taken || []).map((t) => t.id) }, "completed");
  }
  if (act === "incomplete") {
    const reason = ask(_("What is left to do? (a follow-up visit will be booked)"));
    if (reason) await action(job, "incomplete", { reason }, "incomplete");
  }
}

function wireJob(view, job, route) {
  const wait = armedAt - Date.now();
  for (const button of view.querySelectorAll("[data-act]")) {
    if (wait > 0 && !button.disabled) { button.disabled = true; setTimeout(() => { button.disabled = false; }, wait); }
    button.onclick = async (event) => {
      // The second and third tap of a double or triple tap, or a tap on a step already under way: ignored.
      if (event.detail > 1 || button.disabled) return;
      button.disabled = true;
      try { await step(job, button.dataset.act); } finally { await route(); }
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
    const save = document.getElementById("sig-save");
    save.onclick = async (event) => {
      if (event.detail > 1 || save.disabled) return;
      const signer = document.getElementById("signer").value.trim();
      if (!signer) { alert(_("Write the name of the person signing.")); return; }
      if (pad.isEmpty()) { alert(_("Ask the customer to sign in the box.")); return; }
      save.disabled = true;
      const png = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
      await attach(job, "signature", { data: await png.arrayBuffer(), type: "image/png" }, signer);
      await route();
    };
  }
  const noteSave = document.getElementById("note-save");
  if (noteSave) noteSave.onclick = async (event) => {
    if (event.detail > 1 || noteSave.disabled) return;
    const text = document.getElementById("note").value.trim();
    const part = document.getElementById("part").value.trim();
    const parts = part ? [{ name: part, quantity: Number(document.getElementById("qty").value) || 1 }] : [];
    if (!text && !parts.length) return;
    noteSave.disabled = true;
    const id = store.uuid();
    await store.queue(job.id, [{ kind: "note", method: "PUT", path: `/orders/${job.id}/notes/${id}`, itemId: id,
      body: JSON.stringify({ text, parts, recorded_at: new Date().toISOString() }), label: "note" }],
      (j) => { j.notes = [...(j.notes || []), { id, text, parts }]; });
    await route();
  };
}
