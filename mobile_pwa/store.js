// IndexedDB (via idb) and the outbox: every user action is one transaction that writes its blobs,
// its outbox rows and the optimistic job state together; flush() replays the outbox in order.
import { openDB } from "./vendor/idb.js";
import { _ } from "/i18n/i18n.js";

const API = "/api/v1";
export const dbp = openDB("field-dispatch", 1, {
  upgrade(db) {
    db.createObjectStore("meta");                                   // tokens, user, settings
    db.createObjectStore("jobs", { keyPath: "id" });                // last acknowledged job + local state
    db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
    db.createObjectStore("blobs", { keyPath: "id" });               // photos/signatures: ArrayBuffer + type
  },
});

export async function meta(key, value) {
  const db = await dbp;
  if (value === undefined) return db.get("meta", key);
  return value === null ? db.delete("meta", key) : db.put("meta", value, key);
}

export const uuid = () => crypto.randomUUID();

// --- Queuing ---------------------------------------------------------------------------------

// Queue rows (and blobs) for one user action and apply `change` to the local job, atomically.
// `allowed(job, waiting)` is asked inside the same transaction: when it says no (the step is queued
// already, or the job is not where the step starts), nothing is queued and false is returned, so a
// double tap or a second tab can never queue the same step twice.
export async function queue(jobId, rows, change, blobs = [], allowed = null) {
  const db = await dbp;
  const tx = db.transaction(["jobs", "outbox", "blobs"], "readwrite");
  if (allowed) {
    const current = jobId == null ? null : await tx.objectStore("jobs").get(jobId);
    const waiting = (await tx.objectStore("outbox").getAll()).filter((r) => r.jobId === jobId);
    if (!allowed(current, waiting)) { tx.abort(); await tx.done.catch(() => {}); return false; }
  }
  for (const blob of blobs) await tx.objectStore("blobs").put(blob);
  for (const row of rows) {
    await tx.objectStore("outbox").add({ key: uuid(), jobId, status: "pending", createdAt: new Date().toISOString(), ...row });
  }
  if (jobId != null && change) {
    const job = await tx.objectStore("jobs").get(jobId);
    if (job) { change(job); await tx.objectStore("jobs").put(job); }
  }
  await tx.done;
  kick();
  return true;
}

export async function outbox() { return (await dbp).getAll("outbox"); }
export async function job(id) { return (await dbp).get("jobs", id); }
export async function jobs() { return (await dbp).getAll("jobs"); }
export async function blob(id) { return (await dbp).get("blobs", id); }

// --- Talking to the server -------------------------------------------------------------------

const listeners = new Set();
export const state = { online: true, paused: false, lastError: null };
export function onChange(fn) { listeners.add(fn); }
function changed() { for (const fn of listeners) fn(); }

class NetworkError extends Error {}

async function send(path, options = {}) {
  const token = await meta("access");
  const headers = { ...(options.headers || {}) };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    // A connection that hangs (common on a weak signal) counts as a network error after a while;
    // the retry is safe: it carries the same Idempotency-Key.
    response = await fetch(API + path, { ...options, headers, cache: "no-store", signal: AbortSignal.timeout(60000) });
  } catch (err) {
    throw new NetworkError(String(err));
  }
  return response;
}

// A request with one token refresh on 401; returns the response, or null when the login is over.
export async function api(path, options = {}) {
  let response = await send(path, options);
  if (response.status === 401 && (await refresh())) response = await send(path, options);
  if (response.status === 401) { state.paused = true; changed(); return null; }
  return response;
}

async function refresh() {
  const token = await meta("refresh");
  if (!token) return false;
  let response;
  try {
    response = await fetch(API + "/auth/refresh", { method: "POST", headers: { Authorization: `Bearer ${token}` }, cache: "no-store", signal: AbortSignal.timeout(30000) });
  } catch { return false; }
  if (!response.ok) return false;
  await meta("access", (await response.json()).access_token);
  return true;
}

export async function login(email, password) {
  const response = await fetch(API + "/auth/login", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email, password }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.message || _("Login failed"));
  if (body.user.role !== "engineer") throw new Error(_("This app is for field engineers"));
  await meta("access", body.access_token);
  await meta("refresh", body.refresh_token);
  await meta("user", body.user);
  state.paused = false;
  changed();
  kick();
  return body.user;
}

// Pull the engineer's jobs: every open one, and those finished today. A job with rows still waiting
// keeps its local state (never overwritten); a job the server no longer gives us is forgotten.
export async function pull() {
  if (!(await meta("access"))) return;                     // logged out: nothing to ask for
  const since = new Date(); since.setHours(0, 0, 0, 0);
  const queries = [
    "/orders?status=dispatched,accepted,en_route,on_site&sort=scheduled_start,sequence&page_size=100",
    `/orders?status=completed,incomplete&scheduled_from=${encodeURIComponent(since.toISOString())}&page_size=100`,
  ];
  const orders = [];
  for (const query of queries) {
    let response;
    try {
      response = await api(query);
    } catch (err) { if (err instanceof NetworkError) { state.online = false; changed(); return; } throw err; }
    if (!response || !response.ok) return;
    orders.push(...(await response.json()));
  }
  state.online = true;
  const db = await dbp;
  const waiting = new Set((await db.getAll("outbox")).map((r) => r.jobId));
  const tx = db.transaction("jobs", "readwrite");
  const listed = new Set(orders.map((o) => o.id));
  for (const mine of await tx.store.getAll()) {
    if (!listed.has(mine.id) && !waiting.has(mine.id)) await tx.store.delete(mine.id);
  }
  for (const order of orders) {
    const mine = await tx.store.get(order.id);
    if (mine && waiting.has(order.id)) continue;
    await tx.store.put({ ...(mine || {}), ...order, local: null, conflict: null });
  }
  await tx.done;
  await pullEvidence(orders.filter((o) => EVIDENCE.has(o.status)));
  changed();
}

const EVIDENCE = new Set(["on_site", "completed", "incomplete"]);

// The photos, signature and notes the server has for these jobs (made on another phone, or on this
// one before it was wiped), merged with the ones this phone has not sent yet.
async function pullEvidence(orders) {
  for (const order of orders) {
    let attachments, notes;
    try {
      [attachments, notes] = await Promise.all([api(`/orders/${order.id}/attachments`), api(`/orders/${order.id}/notes`)]);
    } catch { return; }
    const taken = attachments && attachments.ok
      ? (await attachments.json()).map((a) => ({ id: a.id, kind: a.kind, signer: a.signer_name || null })) : null;
    const written = notes && notes.ok
      ? (await notes.json()).map((n) => ({ id: n.id, text: n.text, parts: n.parts || [] })) : null;
    const db = await dbp;
    const tx = db.transaction("jobs", "readwrite");
    const mine = await tx.store.get(order.id);
    if (mine) {
      if (taken) mine.taken = mergeById(taken, mine.taken);
      if (written) mine.notes = mergeById(written, mine.notes);
      await tx.store.put(mine);
    }
    await tx.done;
  }
}

// The server's items first, then this phone's own not yet on the server (matched by their ids).
function mergeById(server, local) {
  const known = new Set(server.map((item) => item.id));
  return [...server, ...(local || []).filter((item) => !known.has(item.id))];
}

// --- Flushing the outbox ---------------------------------------------------------------------

let timer = null;
let backoff = 500;                      // first retry soon (a lost response is common), then doubling up to a minute
export function kick(delay = 0) {
  clearTimeout(timer);
  timer = setTimeout(() => flush().catch((e) => console.error(e)), delay);
}

export async function flush() {
  if (state.paused || !(await meta("access"))) return;
  const run = () => flushNow();
  if (navigator.locks) await navigator.locks.request("outbox-flush", run);
  else await run();
}

async function flushNow() {
  const db = await dbp;
  const rows = await db.getAll("outbox");
  const held = new Set(rows.filter((r) => r.status === "conflict").map((r) => r.jobId));
  for (const row of rows) {
    if (row.status === "conflict" || (row.jobId != null && held.has(row.jobId))) continue;
    let response;
    try {
      response = await sendRow(row);
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
      state.online = false; changed(); kick(backoff); backoff = Math.min(backoff * 2, 60000); return;
    }
    state.online = true;
    if (response === null) return;                          // login over: paused until the engineer logs in
    if (response.status >= 500) { state.lastError = `server error ${response.status}`; changed(); kick(backoff); backoff = Math.min(backoff * 2, 60000); return; }
    backoff = 500;
    if (response.status === 403) { state.paused = true; changed(); return; }
    if (response.ok) await acknowledge(row, response);
    else if (row.kind === "ping") await db.delete("outbox", row.seq);   // a refused ping is not worth a question
    else { await conflict(row, response); held.add(row.jobId); }
    changed();
  }
  await pull();
}

async function sendRow(row) {
  const headers = { "Idempotency-Key": row.key };
  if (row.kind === "action") {
    if (!row.ifMatch) {                                     // frozen at the first try: retries send the same bytes
      const current = await job(row.jobId);
      row.ifMatch = `"v${current.version}"`;
      await (await dbp).put("outbox", row);
    }
    headers["If-Match"] = row.ifMatch;
  }
  if (row.kind === "upload") {
    const stored = await blob(row.blobId);
    headers["Content-Type"] = stored.type;
    return api(row.path, { method: "PUT", headers, body: stored.data });
  }
  headers["Content-Type"] = "application/json";
  return api(row.path, { method: row.method, headers, body: row.body });
}

async function acknowledge(row, response) {
  const db = await dbp;
  const body = await response.json().catch(() => null);
  const tx = db.transaction(["jobs", "outbox", "blobs"], "readwrite");
  await tx.objectStore("outbox").delete(row.seq);
  if (row.kind === "upload") await tx.objectStore("blobs").delete(row.blobId);
  if (row.kind === "action" && body) {
    const mine = await tx.objectStore("jobs").get(row.jobId);
    const rest = (await tx.objectStore("outbox").getAll()).some((r) => r.jobId === row.jobId);
    await tx.objectStore("jobs").put({ ...(mine || {}), ...body, local: rest ? mine.local : null });
  }
  await tx.done;
}

// Why the server refused a row, from its error payload {code, status, message, errors}.
export function refusal(status, errors) {
  if (status === 404) return "gone";                   // the job is no longer this engineer's
  if (status === 412) return "stale";                  // the office changed the job since the phone read it
  if (status === 409 && errors && "current_status" in errors) return "moved";   // the job is elsewhere in its life
  if (status === 409) return "rule";                   // a field rule, or evidence still missing
  if (status === 413 || status === 415) return "image";
  return "invalid";                                    // 400/422: something entered needs correcting
}

async function conflict(row, response) {
  const body = await response.json().catch(() => ({}));
  const db = await dbp;
  row.status = "conflict";
  row.code = response.status;
  row.refusal = refusal(response.status, body.errors);
  row.error = response.status === 404 ? _("The office has taken this job off your list.")
    : body.message || _("refused (%(code)s)", { code: response.status });
  row.errors = body.errors || null;
  await db.put("outbox", row);
  if (row.jobId == null) return;
  const fresh = await api(`/orders/${row.jobId}`).catch(() => null);   // keep the server's job
  const mine = await job(row.jobId);
  const server = fresh && fresh.ok ? await fresh.json() : null;
  await db.put("jobs", { ...(mine || {}), ...(server || {}), local: mine ? mine.local : null, conflict: row.error, conflictStep: row.label });
}

// Send a refused row again, corrected: `fix(row)` changes what the engineer corrected (the
// signer's name, a reason, a note). A new Idempotency-Key (the refusal is stored under the old
// one) and the job's version as the server has it now; the rows held behind it follow in order.
export async function resend(seq, fix = null) {
  const db = await dbp;
  const tx = db.transaction(["outbox", "jobs"], "readwrite");
  const row = await tx.objectStore("outbox").get(seq);
  if (!row || row.status !== "conflict") { await tx.done; return; }
  if (fix) fix(row);
  Object.assign(row, { status: "pending", key: uuid(), ifMatch: null, error: null, errors: null, code: null, refusal: null });
  await tx.objectStore("outbox").put(row);
  const mine = row.jobId == null ? null : await tx.objectStore("jobs").get(row.jobId);
  if (mine) {
    if (row.itemId && row.signer !== undefined) {
      mine.taken = (mine.taken || []).map((t) => (t.id === row.itemId ? { ...t, signer: row.signer } : t));
    }
    if (row.kind === "note") {
      const text = JSON.parse(row.body).text;
      mine.notes = (mine.notes || []).map((n) => (n.id === row.itemId ? { ...n, text } : n));
    }
    await tx.objectStore("jobs").put({ ...mine, conflict: null, conflictStep: null });
  }
  await tx.done;
  changed();
  kick();
}

// Give up one refused row, and only that one: the steps queued after it stay and are sent next
// (the server may refuse them in turn, which is then shown), so nothing done since is undone silently.
export async function discard(seq) {
  const db = await dbp;
  const tx = db.transaction(["outbox", "blobs", "jobs"], "readwrite");
  const row = await tx.objectStore("outbox").get(seq);
  if (!row) { await tx.done; return; }
  await tx.objectStore("outbox").delete(seq);
  if (row.blobId) await tx.objectStore("blobs").delete(row.blobId);
  const mine = row.jobId == null ? null : await tx.objectStore("jobs").get(row.jobId);
  if (mine) {
    const rest = (await tx.objectStore("outbox").getAll()).filter((r) => r.jobId === row.jobId);
    const last = rest.filter((r) => r.kind === "action" && r.target).pop();
    const local = rest.length ? { ...(mine.local || {}), status: last ? last.target : undefined } : null;
    await tx.objectStore("jobs").put({ ...mine, local, conflict: null, conflictStep: null,
      taken: (mine.taken || []).filter((t) => t.id !== row.itemId), notes: (mine.notes || []).filter((n) => n.id !== row.itemId) });
  }
  await tx.done;
  changed();
  kick();
}

// Log out: end the login on the server (best effort: offline, the tokens simply expire) and wipe
// this phone's copy: tokens, jobs, unsent changes and images. The language picked on this phone
// stays: it is the phone's, and the next person to log in reads the login screen in it.
export async function logout() {
  const locale = await meta("locale");
  for (const name of ["refresh", "access"]) {
    const token = await meta(name);
    if (!token) continue;
    try {
      await fetch(API + "/auth/revoke", { method: "POST", headers: { Authorization: `Bearer ${token}` }, cache: "no-store", signal: AbortSignal.timeout(10000) });
    } catch { /* offline: nothing more to do here */ }
  }
  const db = await dbp;
  const tx = db.transaction(["meta", "jobs", "outbox", "blobs"], "readwrite");
  await Promise.all(["meta", "jobs", "outbox", "blobs"].map((name) => tx.objectStore(name).clear()));
  if (locale) tx.objectStore("meta").put(locale, "locale");
  await tx.done;
  state.paused = false;
  changed();
}

export async function history(jobId) {
  try {
    const response = await api(`/orders/${jobId}/events`);
    if (response && response.ok) return response.json();
  } catch { /* offline: no history */ }
  return null;
}
