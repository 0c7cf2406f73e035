/* The knowledge base editor (/desk/kb), read and written with the desk's bearer token (this tab's).
   The list on the left filters articles (drafts too) by title, status, visibility and category; the
   form on the right edits one. Every change sends the ETag of the copy being edited (If-Match): when
   someone else saved the article meanwhile the API answers 412, the form keeps what was typed and
   their version can be shown beside it. A create and a publish carry an Idempotency-Key and the
   button is held while they are on their way, so a double click writes once. The preview is the
   help centre's own rendering (POST /kb/preview), never the browser's. */
import { _, load, ngettext } from "/i18n/i18n.js";
import { api, el, refusal } from "./staff.js";

const PAGE = 50;
const EDITORS = ["admin", "agent"];
const $ = (id) => document.getElementById(id);
const token = sessionStorage.getItem("desk.token");
const state = { categories: [], page: 1, article: null, etag: null, createKey: null, busy: false, saved: "" };

const locale = () => document.documentElement.lang || "en";
const day = (iso) => new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone: "UTC" }).format(new Date(`${iso}T00:00:00Z`));
const when = (iso) => new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
const today = () => new Date().toISOString().slice(0, 10);

const STATUS = {
  draft: () => _("Draft"),
  published: () => _("Published"),
  changed: () => _("Published, with a newer draft"),
  unpublished: () => _("Unpublished"),
};

function statusBadge(status) {
  return el("span", { class: `badge kb-${status}`, text: STATUS[status] ? STATUS[status]() : status });
}

function categoryName(id) {
  const found = state.categories.find((c) => c.id === id);
  return found ? found.path : "";
}

/* Categories come parents first: each gets its path ("Heating › Boilers") for the pickers. */
function loadCategories(list) {
  const byId = new Map();
  state.categories = list.map((c) => {
    const parent = c.parent_id ? byId.get(c.parent_id) : null;
    const entry = { id: c.id, path: parent ? `${parent.path} › ${c.name}` : c.name, depth: parent ? parent.depth + 1 : 0 };
    byId.set(c.id, entry);
    return entry;
  });
  const sorted = [...state.categories].sort((a, b) => a.path.localeCompare(b.path, locale()));
  for (const select of [$("filter-category"), $("category")]) {
    select.append(...sorted.map((c) => el("option", { value: String(c.id), text: c.path })));
  }
}

/* --- the list --------------------------------------------------------------------------------- */

function query() {
  const params = new URLSearchParams({ drafts: "true", page: String(state.page), page_size: String(PAGE) });
  const title = $("filter-title").value.trim();
  if (title) params.set("title", title);
  for (const [id, name] of [["filter-status", "status"], ["filter-visibility", "visibility"], ["filter-category", "category_id"]]) {
    if ($(id).value) params.set(name, $(id).value);
  }
  return params.toString();
}

function row(a) {
  const current = state.article && state.article.id === a.id;
  const facts = el("span", { class: "meta" }, statusBadge(a.status),
    a.visibility === "internal" ? el("span", { class: "badge kb-internal", text: _("Internal") }) : null,
    a.category_id ? el("span", { text: categoryName(a.category_id) }) : null,
    a.review_on ? el("span", { class: a.review_on <= today() ? "due overdue" : "muted",
      text: a.review_on <= today() ? _("check due %(day)s", { day: day(a.review_on) }) : _("check by %(day)s", { day: day(a.review_on) }) }) : null);
  return el("li", { class: current ? "current" : null, "data-article": String(a.id) },
    el("a", { href: `#a/${a.id}` }, el("span", { class: "subject", text: a.title }), facts));
}

let listing = 0;
async function showList({ more = false } = {}) {
  state.page = more ? state.page + 1 : 1;
  const mine = ++listing;
  const result = await api("GET", `/kb/articles?${query()}`);
  if (mine !== listing) return; // a newer filter is on its way
  if (!result.ok) { $("list-count").textContent = refusal(result); return; }
  const paging = JSON.parse(result.headers.get("X-Pagination") || "{}");
  const items = result.data.map(row);
  if (more) $("articles").append(...items); else $("articles").replaceChildren(...items);
  const total = paging.total ?? result.data.length;
  $("list-count").textContent = total ? ngettext("%(num)s article", "%(num)s articles", total) : _("No article matches.");
  $("more").hidden = !paging.next_page;
}

let typing = null;
$("filter-title").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(() => showList(), 250); });
for (const id of ["filter-status", "filter-visibility", "filter-category"]) $(id).addEventListener("change", () => showList());
$("filters").addEventListener("submit", (event) => { event.preventDefault(); showList(); });
$("more").addEventListener("click", () => showList({ more: true }));

/* --- the form --------------------------------------------------------------------------------- */

function formValues() {
  return {
    title: $("title").value.trim(),
    body: $("body").value,
    category_id: $("category").value ? Number($("category").value) : null,
    visibility: document.querySelector("input[name=visibility]:checked").value,
    review_on: $("review-on").value || null,
    tags: $("tags").value.split(/[,，]/).map((t) => t.trim()).filter(Boolean),
  };
}

const fingerprint = () => JSON.stringify(formValues());
const dirty = () => fingerprint() !== state.saved;

function fill(a) {
  $("title").value = a ? a.title : "";
  $("body").value = a ? a.body : "";
  $("category").value = a && a.category_id ? String(a.category_id) : "";
  $("review-on").value = a && a.review_on ? a.review_on : "";
  $("tags").value = a ? a.tags.join(", ") : "";
  document.querySelector(`input[name=visibility][value=${a ? a.visibility : "public"}]`).checked = true;
  state.saved = fingerprint();
}

function showFacts(a) {
  $("editor-title").textContent = a ? a.title : _("New article");
  const facts = $("editor-facts");
  if (!a) { facts.replaceChildren(statusBadge("draft"), el("span", { class: "muted", text: _("not saved yet") })); return; }
  facts.replaceChildren(statusBadge(a.status),
    el("span", { class: "muted", text: _("version %(n)s", { n: a.latest_version }) }),
    a.published_version ? el("span", { class: "muted", text: _("readers see version %(n)s", { n: a.published_version }) }) : null,
    el("span", { class: "muted", text: _("saved %(when)s", { when: when(a.updated_at) }) }));
  $("publish").hidden = a.status === "published";
  $("unpublish").hidden = !["published", "changed"].includes(a.status);
  $("view-live").hidden = !["published", "changed"].includes(a.status);
  $("view-live").href = a.url;
}

function showEditor(a) {
  state.article = a;
  $("stale").hidden = true; $("theirs").hidden = true; $("theirs").open = false;
  $("form-error").textContent = ""; $("saved").textContent = "";
  $("nothing").hidden = true; $("editor").hidden = false;
  document.body.classList.add("viewing");
  fill(a);
  showFacts(a);
  if (!a) { $("publish").hidden = false; $("unpublish").hidden = true; $("view-live").hidden = true; }
  tab("write");
  $("history").hidden = !a; $("history").open = false;
  for (const li of $("articles").children) li.classList.toggle("current", !!a && li.dataset.article === String(a.id));
}

async function openArticle(id) {
  const result = await api("GET", `/kb/articles/${id}?draft=true`);
  if (!result.ok) { showEditor(null); fail(refusal(result)); return; }
  state.etag = result.headers.get("ETag");
  showEditor(result.data);
}

function openNew() {
  state.etag = null;
  state.createKey = crypto.randomUUID();
  showEditor(null);
  $("title").focus();
}

function fail(text) {
  $("saved").textContent = "";
  $("form-error").textContent = text;
}

function stale(result) {
  $("saved").textContent = "";
  $("stale-message").textContent = refusal(result);
  $("stale").hidden = false;
  $("theirs").hidden = true;
  $("stale").scrollIntoView({ block: "nearest" });
}

$("stale-compare").addEventListener("click", async () => {
  const result = await api("GET", `/kb/articles/${state.article.id}?draft=true`);
  if (!result.ok) { fail(refusal(result)); return; }
  // Their copy is the current one now: a save replaces it with the form, on purpose.
  state.etag = result.headers.get("ETag");
  state.article = result.data;
  showFacts(result.data);
  $("theirs-title").textContent = result.data.title;
  $("theirs-body").textContent = result.data.body;
  $("stale").hidden = true;
  $("theirs").hidden = false; $("theirs").open = true;
});

/* One write at a time; the caller's answer replaces the copy being edited. */
async function write(run) {
  if (state.busy) return null;
  state.busy = true;
  for (const id of ["save", "publish", "unpublish"]) $(id).disabled = true;
  /* The last message stays until this write answers: nothing moves under the pointer mid-click. */
  $("form-error").textContent = "";
  try {
    return await run();
  } catch {
    $("saved").textContent = "";
    $("form-error").textContent = _("The server could not be reached; try again.");
    return null;
  } finally {
    state.busy = false;
    for (const id of ["save", "publish", "unpublish"]) $(id).disabled = false;
  }
}

function took(result) {
  state.etag = result.headers.get("ETag");
  state.article = result.data;
  state.saved = fingerprint();
  $("stale").hidden = true; $("theirs").hidden = true;
  showFacts(result.data);
  if (location.hash !== `#a/${result.data.id}`) history.replaceState(null, "", `#a/${result.data.id}`);
  $("history").hidden = false;
  if ($("history").open) showVersions();
}

/* Save the form if it changed (a new article is created); true when the copy is saved. */
async function save() {
  const values = formValues();
  if (!values.title) { fail(_("Give the article a title.")); $("title").focus(); return false; }
  if (!state.article) {
    const result = await api("POST", "/kb/articles", { body: values, key: state.createKey });
    if (!result.ok) { fail(refusal(result)); return false; }
    state.createKey = null;
    took(result);
    return true;
  }
  if (!dirty()) return true;
  const result = await api("PATCH", `/kb/articles/${state.article.id}`, { body: values, ifMatch: state.etag });
  if (result.status === 412) { stale(result); return false; }
  if (!result.ok) { fail(refusal(result)); return false; }
  took(result);
  return true;
}

$("article-form").addEventListener("submit", (event) => {
  event.preventDefault();
  write(async () => {
    if (await save()) { $("saved").textContent = _("Draft saved."); showList(); }
  });
});

async function change(path, done) {
  const key = crypto.randomUUID();
  const result = await api("POST", `/kb/articles/${state.article.id}/${path}`, { key, ifMatch: state.etag });
  if (result.status === 412) { stale(result); return; }
  if (!result.ok) { fail(refusal(result)); return; }
  took(result);
  $("saved").textContent = done;
  showList();
}

$("publish").addEventListener("click", () => write(async () => {
  if (await save()) await change("publish", _("Published: readers see this version now."));
}));
$("unpublish").addEventListener("click", () => write(async () => {
  await change("unpublish", _("Unpublished: readers no longer see or find it."));
}));

/* --- write / preview ---------------------------------------------------------------------------- */

function tab(name) {
  const preview = name === "preview";
  $("write-pane").hidden = preview; $("preview-pane").hidden = !preview;
  $("tab-write").setAttribute("aria-selected", String(!preview));
  $("tab-preview").setAttribute("aria-selected", String(preview));
}

$("tab-write").addEventListener("click", () => tab("write"));
$("tab-preview").addEventListener("click", async () => {
  tab("preview");
  const target = $("preview");
  target.replaceChildren(el("p", { class: "muted", text: _("Rendering…") }));
  const result = await api("POST", "/kb/preview", { body: { body: $("body").value } }).catch(() => null);
  if (!result || !result.ok) { target.replaceChildren(el("p", { class: "error", text: result ? refusal(result) : _("The server could not be reached; try again.") })); return; }
  /* The server cleaned this HTML (nh3) exactly as the help centre shows it. */
  const parsed = new DOMParser().parseFromString(`<div>${result.data.html}</div>`, "text/html");
  target.replaceChildren(el("h1", { text: $("title").value.trim() || _("(no title yet)") }), ...parsed.body.firstChild.childNodes);
  if (!target.children.length || !$("body").value.trim()) target.append(el("p", { class: "muted", text: _("Nothing written yet.") }));
});

/* --- history ----------------------------------------------------------------------------------- */

async function showVersions() {
  const result = await api("GET", `/kb/articles/${state.article.id}/versions`);
  if (!result.ok) { $("versions").replaceChildren(el("li", { class: "error", text: refusal(result) })); return; }
  const readers = state.article.published_version;
  $("versions").replaceChildren(...result.data.map((v) => el("li", { class: "version" },
    el("details", {},
      el("summary", {}, el("strong", { text: _("Version %(n)s", { n: v.number }) }), " ", el("span", { text: v.title }), " ",
        v.number === readers ? el("span", { class: "badge kb-published", text: _("readers see this one") }) : null),
      el("p", { class: "muted", text: v.published_at
        ? _("written %(created)s, published %(published)s", { created: when(v.created_at), published: when(v.published_at) })
        : _("written %(created)s, not published", { created: when(v.created_at) }) }),
      el("pre", { class: "markdown", text: v.body })))));
}
$("history").addEventListener("toggle", () => { if ($("history").open) showVersions(); });

/* --- where we are ----------------------------------------------------------------------------- */

function route() {
  const hash = location.hash;
  if (hash === "#new") { openNew(); return; }
  const match = hash.match(/^#a\/(\d+)$/);
  if (match) {
    if (!state.article || String(state.article.id) !== match[1]) openArticle(Number(match[1]));
    return;
  }
  state.article = null;
  document.body.classList.remove("viewing");
  $("editor").hidden = true; $("nothing").hidden = false;
  for (const li of $("articles").children) li.classList.remove("current");
}
window.addEventListener("hashchange", route);
window.addEventListener("beforeunload", (event) => { if (!$("editor").hidden && dirty()) event.preventDefault(); });

async function start() {
  await load(document.documentElement.dataset.locale || "en");
  const me = token ? await api("GET", "/auth/me") : { ok: false };
  if (!me.ok) { $("login-first").hidden = false; return; }
  $("who").textContent = me.data.full_name;
  if (!EDITORS.includes(me.data.role)) { $("editors-only").hidden = false; return; }
  const categories = await api("GET", "/help/categories");
  loadCategories(categories.ok ? categories.data : []);
  $("app").hidden = false;
  await showList();
  route();
}

start();
