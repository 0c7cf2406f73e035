/* The agent desk: queues with counts, the ticket list, and the ticket view (conversation, customer
   profile, SLA clocks, actions). Everything goes through /api/v1 with the agent's bearer token:
   writes carry the ticket's ETag (If-Match) and an Idempotency-Key, so a stale write is refused
   (412, the typed text is kept) and a double click sends once. */
import { _, load, ngettext } from "/i18n/i18n.js";

const API = "/api/v1";
const STAFF = ["admin", "dispatcher", "agent"];
const WORKING = "new,open,pending,on_hold,reopened";
const PAGE = 25;
const $ = (id) => document.getElementById(id);

const state = {
  token: sessionStorage.getItem("desk.token"), me: null, queue: "mine", teamId: null, search: "",
  cursor: null, ticket: null, etag: null, keys: {}, teams: [], services: null, busy: false,
};

const LABELS = {
  status: () => ({ new: _("New"), open: _("Open"), pending: _("Waiting on the customer"), on_hold: _("On hold"),
    resolved: _("Resolved"), closed: _("Closed"), reopened: _("Reopened") }),
  priority: () => ({ low: _("Low"), normal: _("Normal"), high: _("High"), urgent: _("Urgent") }),
  kind: () => ({ inquiry: _("Question"), fault: _("Fault"), visit_request: _("Visit request"), complaint: _("Complaint") }),
  channel: () => ({ web_form: _("Contact form"), portal: _("Customer portal"), email: _("Email"), phone: _("Phone"),
    api: _("API"), engineer_app: _("Engineer's app") }),
  order: () => ({ new: _("Not planned yet"), scheduled: _("Planned"), dispatched: _("Sent to the engineer"),
    accepted: _("Accepted"), en_route: _("On the way"), on_site: _("On site"), completed: _("Done"), declined: _("Declined"),
    cancelled: _("Cancelled"), incomplete: _("Not finished") }),
  tier: () => ({ standard: _("Standard"), vip: _("VIP"), key_account: _("Key account") }),
  clock: () => ({ first_response: _("First response"), next_response: _("Next response"), resolution: _("Resolution"),
    ola: _("Team (OLA)") }),
};
const label = (what, value) => LABELS[what]()[value] || value || "";

function uuid() { return crypto.randomUUID(); }

async function api(method, path, { body, etag, key, raw } = {}) {
  const headers = { Authorization: `Bearer ${state.token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (etag) headers["If-Match"] = etag;
  if (key) headers["Idempotency-Key"] = key;
  const response = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401) { logout(_("Your session ended: log in again.")); throw new Error("unauthorized"); }
  if (raw) return response;
  let data = null;
  if (response.status !== 204) { try { data = await response.json(); } catch { data = null; } }
  return { ok: response.ok, status: response.status, data, headers: response.headers };
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function when(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(document.documentElement.lang || "en", {
    dateStyle: "medium", timeStyle: "short", timeZone: document.body.dataset.timeZone,
  }).format(new Date(iso));
}

function duration(seconds) {
  const s = Math.abs(seconds);
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (days) return _("%(d)s d %(h)s h", { d: days, h: hours });
  if (hours) return _("%(h)s h %(m)s min", { h: hours, m: minutes });
  return _("%(m)s min", { m: minutes });
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
  sessionStorage.setItem("desk.token", state.token);
  start();
});

function logout(message) {
  sessionStorage.removeItem("desk.token");
  state.token = null;
  $("app").hidden = true; $("login").hidden = false; $("logout").hidden = true; $("who").textContent = "";
  $("my-reviews").hidden = true; $("quality-review").hidden = true; $("kb-editor").hidden = true;
  $("login-error").textContent = message || "";
}
$("logout").addEventListener("click", () => logout());

async function start() {
  if (!state.token) { logout(); return; }
  const me = await api("GET", "/auth/me");
  if (!me.ok) { logout(); return; }
  if (!STAFF.includes(me.data.role)) { logout(_("The desk is for agents, team leads and dispatchers.")); return; }
  state.me = me.data;
  $("who").textContent = me.data.full_name;
  $("login").hidden = true; $("app").hidden = false; $("logout").hidden = false; $("my-reviews").hidden = false;
  $("quality-review").hidden = !me.data.quality_lead;
  $("kb-editor").hidden = !["admin", "agent"].includes(me.data.role);
  const teams = await api("GET", "/desk-teams");
  state.teams = teams.ok ? teams.data : [];
  await refreshCounts();
  route();
}

/* ---- queues and the list ---- */
function countText(n, capped) { return capped ? `${n}+` : String(n); }

async function refreshCounts() {
  const [queues, soon] = await Promise.all([
    api("GET", "/tickets/queues"),
    api("GET", "/sla/about-to-breach?within_minutes=60&limit=50"),
  ]);
  if (queues.ok) {
    for (const q of queues.data) {
      if (q.team_id === null && $(`count-${q.name}`)) $(`count-${q.name}`).textContent = countText(q.count, q.capped);
    }
  }
  if (soon.ok) $("count-soon").textContent = countText(soon.data.items.length, Boolean(soon.data.next_cursor));
}

const QUEUE_TITLES = () => ({ mine: _("Mine"), team: _("My teams'"), unassigned: _("Unassigned"), soon: _("About to breach"),
  search: _("Found") });

let listGeneration = 0; // a list asked for later wins: an answer still on its way for an earlier one is dropped

async function showQueue(queue, more = false) {
  state.queue = queue;
  if (!more) { listGeneration += 1; state.cursor = null; $("tickets").replaceChildren(); }
  const generation = listGeneration;
  document.querySelectorAll("#queues a").forEach((a) => a.classList.toggle("current", a.dataset.queue === queue));
  $("list-title").textContent = QUEUE_TITLES()[queue] || queue;
  let rows = [];
  let next = null;
  if (queue === "soon") {
    const got = await api("GET", `/sla/about-to-breach?within_minutes=60&limit=${PAGE}${state.cursor ? `&cursor=${encodeURIComponent(state.cursor)}` : ""}`);
    if (got.ok) { rows = got.data.items.map((item) => ({ ...item.ticket, clock: item.clock })); next = got.data.next_cursor; }
  } else {
    const filter = queue === "search" ? `q=${encodeURIComponent(state.search)}` : `queue=${queue}`;
    const got = await api("GET", `/tickets?${filter}&limit=${PAGE}${state.cursor ? `&cursor=${state.cursor}` : ""}`);
    if (got.ok) { rows = got.data.items; next = got.data.next_cursor; }
  }
  if (generation !== listGeneration) return;
  for (const t of rows) $("tickets").append(ticketRow(t));
  state.cursor = next;
  $("more").hidden = !next;
  $("list-empty").hidden = $("tickets").children.length > 0;
}
$("more").addEventListener("click", () => showQueue(state.queue, true));
$("search").addEventListener("submit", (event) => {
  event.preventDefault();
  state.search = $("search-q").value.trim();
  if (state.search) location.hash = `#q/search/${encodeURIComponent(state.search)}`;
});

function ticketRow(t) {
  const clock = t.clock ? el("span", { class: t.clock.business_seconds_left < 0 ? "due overdue" : "due",
    text: clockLeft(t.clock) }) : null;
  return el("li", { class: t.id === state.ticket?.id ? "current" : null },
    el("a", { href: `#t/${t.id}` },
      el("span", { class: "number", text: t.number }),
      el("strong", { class: "subject", text: t.subject }),
      el("span", { class: "meta" },
        el("span", { class: `badge status-${t.status}`, text: label("status", t.status) }), " ",
        el("span", { class: `badge priority-${t.priority}`, text: label("priority", t.priority) }), " ",
        t.customer ? el("span", { text: t.customer.name }) : null, clock)));
}

/* ---- the ticket view ---- */
async function showTicket(id, { keepDraft = false } = {}) {
  const draft = $("reply-body").value;
  const [ticket, messages, clocks, mails] = await Promise.all([
    api("GET", `/tickets/${id}`), api("GET", `/tickets/${id}/messages`), api("GET", `/tickets/${id}/clocks`),
    api("GET", `/mail/messages?ticket_id=${id}&page_size=100`),
  ]);
  if (!ticket.ok) { say(ticket.data?.message || _("That ticket cannot be shown."), true); return; }
  const changed = state.ticket?.id !== ticket.data.id;
  state.ticket = ticket.data;
  state.etag = ticket.headers.get("ETag");
  if (changed) { state.keys = {}; say(""); }
  $("ticket").hidden = false;
  document.body.classList.add("viewing");
  $("stale").hidden = true;
  renderHead(ticket.data);
  renderClocks(clocks.ok ? clocks.data : null);
  const emailed = new Map((mails.ok ? mails.data : []).filter((m) => m.ticket_message_id)
    .map((m) => [m.ticket_message_id, m.id]));
  renderConversation(messages.ok ? messages.data : [], emailed);
  renderActions(ticket.data);
  showComplaint(ticket.data);
  $("reply-body").value = keepDraft || !changed ? draft : "";
  suggest(ticket.data.subject);
  profile(ticket.data.customer.id);
  document.querySelectorAll("#tickets li").forEach((li) => {
    li.classList.toggle("current", li.querySelector("a")?.getAttribute("href") === `#t/${id}`);
  });
  if (changed && window.matchMedia("(max-width: 900px)").matches) window.scrollTo(0, 0);
}

function say(text, error = false) {
  $("ticket-message").textContent = text;
  $("ticket-message").className = error ? "message error" : "message ok";
}

function renderHead(t) {
  $("t-number").textContent = t.number;
  $("t-subject").textContent = t.subject;
  $("t-status").textContent = label("status", t.status);
  $("t-status").className = `badge status-${t.status}`;
  $("t-priority").textContent = label("priority", t.priority);
  $("t-priority").className = `badge priority-${t.priority}`;
  $("t-kind").textContent = label("kind", t.kind);
  $("t-channel").textContent = label("channel", t.channel);
  $("t-team").textContent = t.team ? t.team.name : _("No team yet");
  $("t-assignee").textContent = t.assignee ? t.assignee.name : _("Nobody yet");
  $("t-owner").textContent = t.owner ? t.owner.name : _("Nobody yet");
  const orders = $("t-orders");
  orders.replaceChildren(...(t.orders || []).map((o) => el("li", {},
    el("strong", { text: o.number }), " ", el("span", { class: "badge", text: label("order", o.status) }), " ",
    el("span", { class: "muted", text: o.scheduled_start ? when(o.scheduled_start) : "" }))));
  if (!orders.children.length) orders.append(el("li", { class: "muted", text: _("No visit yet.") }));
}

function clockLeft(c) {
  if (c.state === "stopped") return c.breached ? _("missed") : _("met");
  if (c.state === "paused") return _("paused: %(left)s left", { left: duration(c.business_seconds_left) });
  if (c.business_seconds_left < 0) return _("overdue by %(time)s", { time: duration(c.business_seconds_left) });
  return _("%(left)s left in business hours", { left: duration(c.business_seconds_left) });
}

function renderClocks(found) {
  const list = $("clocks");
  list.replaceChildren();
  $("clock-policy").textContent = found ? found.reason : "";
  for (const c of found?.clocks || []) {
    const team = c.kind === "ola" ? state.teams.find((t) => t.id === c.team_id) : null;
    const css = c.state === "stopped" ? (c.breached ? "clock breached" : "clock met")
      : c.business_seconds_left < 0 ? "clock breached" : c.warned_at ? "clock warned" : `clock ${c.state}`;
    list.append(el("li", { class: css },
      el("span", { class: "clock-name", text: team ? `${label("clock", c.kind)}: ${team.name}` : label("clock", c.kind) }),
      el("strong", { class: "clock-left", text: clockLeft(c) }),
      c.due_at && c.state !== "stopped" ? el("span", { class: "muted", text: _("due %(when)s", { when: when(c.due_at) }) }) : null));
  }
  if (!list.children.length) list.append(el("li", { class: "muted", text: _("No clocks on this ticket.") }));
}

function renderConversation(messages, emailed = new Map()) {
  const list = $("conversation");
  list.replaceChildren();
  for (const m of messages) {
    const kind = m.kind === "internal_note" ? "note" : m.author_type === "customer" ? "customer" : "reply";
    const who = m.author ? m.author.name : m.author_type === "customer" ? (state.ticket.customer?.name || _("Customer")) : _("System");
    const title = kind === "note" ? _("Internal note") : kind === "customer" ? _("Customer") : _("Reply");
    const item = el("li", { class: `msg msg-${kind}` },
      el("p", { class: "msg-head" }, el("strong", { text: who }), " · ", el("span", { text: title }), " · ",
        el("time", { datetime: m.created_at, text: when(m.created_at) })),
      el("p", { class: "msg-body", text: m.body }));
    if (emailed.has(m.id)) item.append(wholeEmail(emailed.get(m.id)));
    if (m.attachment_ids?.length) {
      const images = el("p", { class: "images" });
      for (const id of m.attachment_ids) images.append(image(state.ticket.id, id));
      item.append(images);
    }
    list.append(item);
  }
}

function wholeEmail(inboundId) {
  /* An emailed message shows its new part; the whole email (quotes, signature) is one click away. */
  const box = el("details", { class: "msg-full" }, el("summary", { text: _("Show the whole email") }));
  box.addEventListener("toggle", async () => {
    if (!box.open || box.querySelector("pre")) return;
    const got = await api("GET", `/mail/messages/${inboundId}`);
    box.append(got.ok ? el("pre", { text: got.data.full_text })
      : el("p", { class: "error", text: got.data?.message || _("That could not be done.") }));
  });
  return box;
}

function image(ticketId, id) {
  /* Images need the bearer token, so they are fetched and shown from a blob URL. */
  const img = el("img", { alt: _("Photo sent with the message"), class: "photo" });
  api("GET", `/tickets/${ticketId}/attachments/${encodeURIComponent(id)}/content`, { raw: true })
    .then((r) => (r.ok ? r.blob() : null)).then((blob) => { if (blob) img.src = URL.createObjectURL(blob); })
    .catch(() => {});
  return img;
}

/* ---- writing: one key per thing typed, kept across retries of that same send ---- */
function keyFor(name) {
  if (!state.keys[name]) state.keys[name] = uuid();
  return state.keys[name];
}

function stale() {
  $("stale").hidden = false;
  $("stale").scrollIntoView({ block: "nearest" });
}

async function write(name, path, body, errorBox) {
  if (state.busy) return null; /* a second click while the first is on its way */
  state.busy = true;
  errorBox.textContent = "";
  try {
    const got = await api("POST", `/tickets/${state.ticket.id}${path}`, { body, etag: state.etag, key: keyFor(name) });
    if (got.status >= 400 && got.status < 500) delete state.keys[name]; /* a refusal is final for that key */
    if (got.status === 412) { stale(); return null; }
    if (!got.ok) { errorBox.textContent = got.data?.message || _("That could not be done."); return null; }
    delete state.keys[name];
    return got;
  } catch (err) {
    if (err.message !== "unauthorized") errorBox.textContent = _("The desk cannot be reached. Try again: it will be sent once.");
    return null;
  } finally {
    state.busy = false;
  }
}

async function sendMessage(kind) {
  const body = $("reply-body").value.trim();
  if (!body) { $("composer-error").textContent = _("Write something first."); return; }
  const buttons = [$("send-reply"), $("send-note")];
  buttons.forEach((b) => { b.disabled = true; });
  const got = await write(kind, "/messages", { kind, body }, $("composer-error"));
  buttons.forEach((b) => { b.disabled = false; });
  if (!got) return;
  $("reply-body").value = "";
  say(kind === "internal_note" ? _("Note added.") : _("Reply sent."));
  await showTicket(state.ticket.id);
  refreshCounts();
  showQueue(state.queue);
}
$("composer").addEventListener("submit", (event) => { event.preventDefault(); sendMessage("public_reply"); });
$("send-note").addEventListener("click", () => sendMessage("internal_note"));
$("reply-body").addEventListener("input", () => { $("composer-error").textContent = ""; });
$("reload").addEventListener("click", () => showTicket(state.ticket.id, { keepDraft: true }));

/* ---- actions ---- */
const DONE = { status: () => _("Status changed."), transfer: () => _("Transferred."), assign: () => _("Given to the agent."),
  escalate: () => _("Escalated."), "take-back": () => _("Taken back: the ticket is with your team again."), merge: () => _("Merged: this ticket is closed."), orders: () => _("Visit booked.") };

function renderActions(t) {
  const to = $("status-to");
  to.replaceChildren(...(t.allowed_statuses || []).map((s) => el("option", { value: s, text: label("status", s) })));
  $("act-status").hidden = !(t.allowed_statuses || []).length;
  const teams = $("transfer-team");
  teams.replaceChildren(...state.teams.filter((team) => team.id !== t.team?.id)
    .map((team) => el("option", { value: team.id, text: team.name })));
  const agents = $("assign-agent");
  agents.replaceChildren();
  if (t.team) {
    api("GET", `/agents?team_id=${t.team.id}`).then((got) => {
      if (!got.ok) return;
      agents.replaceChildren(...got.data.map((a) => el("option", { value: a.user_id, text: a.user?.name || String(a.user_id),
        selected: a.user_id === t.assignee?.id ? "selected" : null })));
    });
  }
  const closed = t.status === "closed";
  document.querySelectorAll(".actions details").forEach((d) => { if (d.id !== "act-status") d.hidden = closed; });
  const back = takeBackTo(t);
  $("act-take-back").hidden = closed || !back;
  if (back) {
    $("take-back-to").textContent = back.mine ? _("Back to %(team)s, and to you.", { team: back.team.name })
      : _("Back to %(team)s.", { team: back.team.name });
  }
  $("composer").hidden = closed;
}

function takeBackTo(t) {
  /* The team a ticket moved on from can take it back (a member of it, or the owner of record), as
     the service decides: the previous team, else the owner's own team. */
  const mine = state.teams.filter((team) => (team.members || []).some((m) => m.user_id === state.me.id));
  const owner = t.owner?.id === state.me.id;
  const back = state.teams.find((team) => team.id === t.previous_team_id) || (owner ? mine[0] : null);
  if (!back || back.id === t.team?.id) return null;
  const member = mine.some((team) => team.id === back.id);
  return owner || member ? { team: back, mine: member } : null;
}

function actionBody(name, form) {
  const data = Object.fromEntries(new FormData(form).entries());
  if (name === "transfer") return { team_id: Number(data.team_id), reason: data.reason };
  if (name === "assign") return { assignee_id: Number(data.assignee_id) };
  if (name === "merge") {
    const id = Number(String(data.into_ticket_id).replace(/\D/g, ""));
    return id ? { into_ticket_id: id } : null;
  }
  if (name === "status") return data.reason ? data : { status: data.status };
  if (name === "orders") {
    const picked = form.querySelector("input[name=slot]:checked");
    if (!picked) return null;
    return { service_type_id: Number($("visit-service").value), site_id: Number($("visit-site").value),
      starts_at: picked.dataset.start, ends_at: picked.dataset.end, description: data.description || null };
  }
  return data;
}

document.querySelectorAll("form[data-action]").forEach((form) => {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = form.dataset.action;
    const box = form.querySelector(".error");
    const body = actionBody(name, form);
    if (!body) { box.textContent = _("Please fill in the form first."); return; }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const got = await write(name, `/${name}`, body, box);
    button.disabled = false;
    if (!got) return;
    form.reset();
    form.closest("details").open = false;
    say(DONE[name]());
    if (name === "orders") { $("visit-slots").replaceChildren(); $("visit-submit").disabled = true; }
    await showTicket(state.ticket.id);
    refreshCounts();
    showQueue(state.queue);
  });
});

/* Book a visit: the free times the slot offer gives for the customer's site, then book one. */
$("act-visit").addEventListener("toggle", async () => {
  if (!$("act-visit").open) return;
  if (!state.services) {
    const got = await api("GET", "/service-types?page_size=100");
    state.services = got.ok ? got.data : [];
  }
  $("visit-service").replaceChildren(...state.services.filter((s) => s.active !== false)
    .map((s) => el("option", { value: s.id, text: s.name })));
  if (!$("visit-day").value) {
    const tomorrow = new Date(Date.now() + 86400000);
    $("visit-day").value = tomorrow.toISOString().slice(0, 10);
  }
});
$("visit-find").addEventListener("submit", async (event) => {
  event.preventDefault();
  const slots = $("visit-slots");
  slots.replaceChildren();
  const query = new URLSearchParams({ service_type_id: $("visit-service").value, site_id: $("visit-site").value, day: $("visit-day").value });
  const got = await api("GET", `/slots?${query}`);
  if (!got.ok) { slots.append(el("p", { class: "error", text: got.data?.message || _("No free times.") })); return; }
  const sorted = [...got.data].sort((a, b) => a.starts_at.localeCompare(b.starts_at));
  for (const s of sorted) {
    const id = `slot-${s.starts_at}`;
    const fmt = new Intl.DateTimeFormat(document.documentElement.lang || "en", { hour: "2-digit", minute: "2-digit", timeZone: s.time_zone });
    slots.append(el("label", { class: "slot", for: id },
      el("input", { type: "radio", name: "slot", id, "data-start": s.starts_at, "data-end": s.ends_at }),
      ` ${fmt.format(new Date(s.starts_at))} – ${fmt.format(new Date(s.ends_at))}`));
  }
  if (!sorted.length) slots.append(el("p", { class: "muted", text: _("No free times that day. Try another day.") }));
  $("visit-submit").disabled = !sorted.length;
});

/* ---- a complaint ticket: its record (grade, who is responsible, root cause, compensation, follow-up) ---- */
const money = (minor) => new Intl.NumberFormat(document.documentElement.lang || "en",
  { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(minor / 100);
const REPEAT_BY = () => ({ customer: _("the same customer"), engineer: _("the same engineer") });
const MISSING = () => ({ cause_id: _("a root cause"), responsible: _("a responsible party") });

function options(select, items, chosen, empty) {
  select.replaceChildren(el("option", { value: "", text: empty }),
    ...items.map(([value, text]) => el("option", { value, text, selected: String(value) === String(chosen ?? "") ? "selected" : null })));
}

function localInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

function showResponsible() {
  const kind = $("cp-responsible").value;
  document.querySelectorAll("#complaint [data-for]").forEach((node) => { node.hidden = node.dataset.for !== kind; });
}
$("cp-responsible").addEventListener("change", showResponsible);

async function showComplaint(t) {
  const card = $("complaint");
  card.hidden = t.kind !== "complaint";
  if (card.hidden) return;
  if (!state.causes) {
    const [causes, engineers] = await Promise.all([api("GET", "/complaint-causes"), api("GET", "/engineers?page_size=100")]);
    const depth = {};
    state.causes = (causes.ok ? causes.data : []).map((c) => {
      depth[c.id] = c.parent_id ? (depth[c.parent_id] || 0) + 1 : 0;
      return [c.id, `${"\u2014 ".repeat(depth[c.id])}${c.name}`];
    });
    state.engineers = (engineers.ok ? engineers.data : []).map((e) => [e.id, e.name]);
  }
  const got = await api("GET", `/complaints/${t.id}`);
  if (!got.ok) { $("cp-error").textContent = got.data?.message || _("That could not be done."); return; }
  renderComplaint(got.data);
  state.complaintEtag = got.headers.get("ETag");
}

function renderComplaint(c) {
  $("cp-grade").value = c.grade;
  options($("cp-cause"), state.causes, c.cause_id, _("Not decided yet"));
  $("cp-responsible").value = c.responsible || "";
  options($("cp-team"), state.teams.map((team) => [team.id, team.name]), c.responsible_team_id, "");
  options($("cp-engineer"), state.engineers, c.responsible_engineer_id, "");
  $("cp-partner").value = c.responsible_partner || "";
  options($("cp-order"), (state.ticket.orders || []).map((o) => [o.id, o.number]), c.order_id, _("No visit"));
  $("cp-wish").value = c.customer_wish;
  $("cp-resolution").value = c.resolution;
  $("cp-compensation").value = c.compensation_minor ? (c.compensation_minor / 100).toFixed(2) : "";
  $("cp-limit").textContent = c.your_limit_minor === null ? _("You may grant any amount.")
    : _("You may grant up to %(amount)s.", { amount: money(c.your_limit_minor) });
  $("cp-follow-at").value = localInput(c.follow_up_at);
  $("cp-outcome").value = c.follow_up_outcome || "";
  $("cp-follow-notes").value = c.follow_up_notes;
  $("cp-corrective").value = c.corrective_action;
  const caller = c.follow_up_by_id ? (c.follow_up_by_id === state.me.id ? state.me.full_name : `#${c.follow_up_by_id}`) : "";
  $("cp-follow-by").textContent = caller ? _("Called by %(name)s", { name: caller }) : "";
  $("cp-repeat").hidden = !c.repeat;
  if (c.repeat) {
    $("cp-repeat").replaceChildren(_("Repeat complaint: the same root cause as %(number)s, for %(who)s.",
      { number: c.repeat.number, who: REPEAT_BY()[c.repeat.by] }), " ", el("a", { href: `#t/${c.repeat.ticket_id}`, text: _("Open it") }));
  }
  $("cp-breaches").hidden = !c.sla_breaches.length;
  $("cp-breaches").textContent = _("Missed on this ticket: %(clocks)s", {
    clocks: c.sla_breaches.map((b) => `${label("clock", b.kind)} (${when(b.breached_at)})`).join(", ") });
  const done = c.status === "resolved" || c.status === "closed";
  $("cp-missing").textContent = c.missing_to_close.length
    ? _("Before it is resolved, give it %(what)s.", { what: c.missing_to_close.map((m) => MISSING()[m] || m).join(", ") })
    : done ? "" : _("Ready to be resolved.");
  showResponsible();
  document.querySelectorAll("#complaint-form input, #complaint-form select, #complaint-form textarea, #cp-save")
    .forEach((node) => { node.disabled = c.status === "closed"; });
}

function complaintBody() {
  const value = (id) => $(id).value.trim();
  const number = (id) => (value(id) ? Number(value(id)) : null);
  const kind = value("cp-responsible") || null;
  const amount = value("cp-compensation");
  return {
    grade: value("cp-grade"), cause_id: number("cp-cause"), responsible: kind,
    responsible_team_id: kind === "department" ? number("cp-team") : null,
    responsible_engineer_id: kind === "engineer" ? number("cp-engineer") : null,
    responsible_partner: kind === "partner" ? value("cp-partner") : null,
    order_id: number("cp-order"), customer_wish: value("cp-wish"), resolution: value("cp-resolution"),
    compensation_minor: amount ? Math.round(Number(amount) * 100) : 0,
    follow_up_at: value("cp-follow-at") ? new Date(value("cp-follow-at")).toISOString() : null,
    follow_up_outcome: value("cp-outcome") || null, follow_up_notes: value("cp-follow-notes"),
    corrective_action: value("cp-corrective"),
  };
}

$("complaint-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (state.busy || !state.ticket) return;
  state.busy = true;
  $("cp-error").textContent = "";
  $("cp-save").disabled = true;
  try {
    const got = await api("PATCH", `/complaints/${state.ticket.id}`, { body: complaintBody(), etag: state.complaintEtag });
    if (got.status === 412) { stale(); return; }
    if (!got.ok) { $("cp-error").textContent = got.data?.message || _("That could not be done."); return; }
    state.complaintEtag = got.headers.get("ETag");
    renderComplaint(got.data);
    $("act-status").querySelector(".error").textContent = ""; /* a refusal to resolve may no longer hold */
    say(_("Complaint saved."));
  } catch (err) {
    if (err.message !== "unauthorized") $("cp-error").textContent = _("The desk cannot be reached. Try again: it will be sent once.");
  } finally {
    state.busy = false;
    $("cp-save").disabled = state.ticket?.status === "closed";
  }
});

/* ---- beside the ticket: the customer, and articles that may answer it ---- */
async function profile(customerId) {
  const got = await api("GET", `/customers/${customerId}/profile`);
  if (!got.ok) return;
  const p = got.data;
  $("p-name").textContent = p.customer.name;
  $("p-tier").textContent = label("tier", p.customer.tier);
  const contacts = [p.customer.email, p.customer.phone, ...(p.customer.contacts || []).flatMap((c) => [c.name, c.email, c.phone])]
    .filter(Boolean);
  $("p-contacts").replaceChildren(...[...new Set(contacts)].map((c) => el("li", { text: c })));
  satisfaction(p.satisfaction);
  review(p);
  $("p-sites").replaceChildren(...p.sites.map((s) => el("li", { text: s.address })));
  $("visit-site").replaceChildren(...p.sites.map((s) => el("option", { value: s.id, text: s.address,
    selected: s.id === state.ticket?.site?.id ? "selected" : null })));
  const orders = [...p.open_orders, ...p.past_orders].slice(0, 6);
  $("p-orders").replaceChildren(...orders.map((o) => el("li", {},
    el("span", { text: `${o.number} · ${o.service_type?.name || ""}` }), " ", el("span", { class: "badge", text: label("order", o.status) }))));
  if (!orders.length) $("p-orders").append(el("li", { class: "muted", text: _("No visits yet.") }));
  const tickets = [...p.open_tickets, ...p.past_tickets].filter((t) => t.id !== state.ticket?.id).slice(0, 6);
  $("p-tickets").replaceChildren(...tickets.map((t) => el("li", {},
    el("a", { href: `#t/${t.id}`, text: `${t.number} ${t.subject}` }), " ",
    el("span", { class: `badge status-${t.status}`, text: label("status", t.status) }))));
  if (!tickets.length) $("p-tickets").append(el("li", { class: "muted", text: _("No other tickets.") }));
}

/* A sender nobody matched got a new customer of their own, flagged: the agent links it to the
   customer it really is (its tickets move there) or confirms it as new. Never merged silently. */
function review(p) {
  const waiting = p.review_contact_ids || [];
  const id = waiting.includes(state.ticket?.contact_id) ? state.ticket.contact_id : waiting[0];
  const box = $("p-review");
  box.hidden = !id;
  $("p-review-found").replaceChildren();
  $("p-review-error").textContent = "";
  if (!id) return;
  box.dataset.contact = String(id);
  box.dataset.customer = String(p.customer.id);
  const contact = (p.customer.contacts || []).find((c) => c.id === id);
  $("p-review-who").textContent = contact ? [contact.name, contact.email, contact.phone].filter(Boolean).join(" · ") : "";
}

async function reviewed(path, body, done) {
  const got = await api("POST", `/customer-contacts/${$("p-review").dataset.contact}/${path}`, body ? { body } : {});
  if (!got.ok) { $("p-review-error").textContent = got.data?.message || _("That could not be done."); return; }
  say(done);
  await showTicket(state.ticket.id);
}

$("p-review-find").addEventListener("submit", async (event) => {
  event.preventDefault();
  const q = $("p-review-q").value.trim();
  const list = $("p-review-found");
  const got = await api("GET", `/customers?q=${encodeURIComponent(q)}&page_size=6`);
  const own = Number($("p-review").dataset.customer);
  const found = got.ok ? got.data.filter((c) => c.id !== own).slice(0, 5) : [];
  list.replaceChildren(...found.map((c) => {
    const pick = el("button", { type: "button", class: "link", text: _("This is them") });
    pick.addEventListener("click", () => reviewed("link", { customer_id: c.id },
      _("Linked to %(name)s: the ticket is theirs now.", { name: c.name })));
    return el("li", {}, el("span", { text: [c.name, c.email, c.phone].filter(Boolean).join(" · ") }), " ", pick);
  }));
  if (!found.length) list.append(el("li", { class: "muted", text: _("No customer found.") }));
});
$("p-review-new").addEventListener("click", () => reviewed("confirm", null, _("Confirmed as a new customer.")));

function satisfaction(seen) {
  /* How the customer rated us lately: the average of the last days, then their last answers. */
  const score = $("p-score");
  score.className = "";
  if (!seen) {
    score.textContent = _("Has not rated us yet.");
    score.className = "muted";
    $("p-ratings").replaceChildren();
    return;
  }
  score.textContent = seen.average === null
    ? _("No rating in the last %(days)s days.", { days: seen.days })
    : ngettext("%(avg)s / 5 from %(num)s rating in the last %(days)s days",
      "%(avg)s / 5 from %(num)s ratings in the last %(days)s days", seen.count,
      { avg: seen.average.toFixed(1), days: seen.days });
  if (seen.average !== null && seen.average <= 2.5) score.className = "low-score";
  $("p-ratings").replaceChildren(...seen.recent.map((r) => el("li", {},
    el("span", { class: r.score <= 2 ? "badge low-score" : "badge", text: `${r.score} / 5` }), " ",
    el("span", { class: "muted", text: (r.subject === "visit" ? _("Visit") : _("Ticket")) + " · " + when(r.answered_at) }),
    r.comment ? el("q", { text: r.comment }) : null)));
}

async function suggest(text) {
  /* The knowledge base's suggestions; the panel stays hidden when there is no such endpoint (404). */
  const panel = $("suggest");
  try {
    const got = await api("GET", `/help/suggest?q=${encodeURIComponent(text)}`);
    const items = got.ok && Array.isArray(got.data?.items) ? got.data.items : [];
    $("suggest-list").replaceChildren(...items.map((a) => {
      const solved = el("button", { type: "button", class: "link", "data-solved": a.id, text: _("Solved by this article") });
      solved.addEventListener("click", () => solvedBy(a.id, solved));
      return el("li", {},
        el("a", { href: a.url, target: "_blank", rel: "noopener", text: a.title }), " ", solved,
        el("p", { class: "muted", text: a.snippet || "" }));
    }));
    panel.hidden = !items.length;
  } catch { panel.hidden = true; }
}

async function solvedBy(articleId, button) {
  /* The ticket counts as self-service: the article answered it. */
  if (!state.ticket) return;
  const got = await api("POST", `/kb/articles/${articleId}/solved-tickets`, { body: { ticket_id: state.ticket.id } });
  button.textContent = got.ok ? _("Marked as solved by this article") : (got.data?.message || _("Could not mark it"));
  button.disabled = got.ok;
}

/* ---- where we are: #q/<queue>, #q/search/<words>, #t/<id> ---- */
async function route() {
  if (!state.me) return;
  const [kind, arg, more] = location.hash.slice(1).split("/");
  if (kind === "t" && Number(arg)) {
    if (!$("tickets").children.length) showQueue(state.queue);
    await showTicket(Number(arg));
    return;
  }
  $("ticket").hidden = true;
  document.body.classList.remove("viewing");
  state.ticket = null;
  if (kind === "q" && arg === "search" && more) { state.search = decodeURIComponent(more); await showQueue("search"); return; }
  await showQueue(kind === "q" && arg ? arg : state.queue);
}
window.addEventListener("hashchange", route);
$("back").addEventListener("click", (event) => { event.preventDefault(); location.hash = `#q/${state.queue}`; });

await load(document.documentElement.dataset.locale || "en");
start();
