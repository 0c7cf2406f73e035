/* The team lead's quality review (/desk/quality), read and written with the desk's bearer token
   (this tab's): draw a week's sample, score the reviews on the rubric, read the scores per agent
   and week. A score is sent once: the button is held while it is on its way and the request carries
   an Idempotency-Key, so a double click scores once. */
import { _, load, ngettext } from "/i18n/i18n.js";
import { api, el, refusal } from "./staff.js";

const $ = (id) => document.getElementById(id);
const token = sessionStorage.getItem("desk.token");
let rubric = [];

const day = (iso) => new Intl.DateTimeFormat(document.documentElement.lang || "en", { dateStyle: "medium", timeZone: "UTC" })
  .format(new Date(`${iso}T00:00:00Z`));

function lastWeek() {
  const now = new Date();
  const monday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7) - 7);
  return monday.toISOString().slice(0, 10);
}

function ticketLink(r) {
  return el("a", { href: `/desk#t/${r.ticket_id}` }, el("span", { class: "number", text: r.number }), " ", el("span", { text: r.subject }));
}

function head(r) {
  const line = el("p", { class: "review-head" }, el("strong", { text: r.agent_name || "" }), " · ", ticketLink(r), " · ",
    el("span", { class: "muted", text: _("week of %(day)s", { day: day(r.week) }) }), " ");
  line.append(r.source === "low_score"
    ? el("span", { class: "badge priority-high", text: _("low satisfaction score") })
    : el("span", { class: "badge", text: _("random pick") }));
  return line;
}

function scored(r) {
  return el("p", { class: r.critical_failed ? "score failed" : "score" },
    _("Score: %(score)s of 100", { score: r.score }),
    r.critical_failed ? el("span", { text: " · " + _("a critical item failed") }) : null);
}

function scoreForm(r) {
  const form = el("form", { class: "score-form", "data-review": String(r.id) });
  for (const item of rubric) {
    const name = `mark-${r.id}-${item.id}`;
    const box = el("fieldset", { class: item.critical ? "mark critical" : "mark" },
      el("legend", {}, el("span", { text: item.name }), " ",
        el("span", { class: "muted", text: _("weight %(weight)s", { weight: item.weight }) }),
        item.critical ? el("span", { class: "badge priority-urgent", text: _("critical item") }) : null),
      item.description ? el("p", { class: "muted", text: item.description }) : null,
      el("label", { class: "slot" }, el("input", { type: "radio", name, value: "pass", required: true }), el("span", { text: _("Passed") })),
      el("label", { class: "slot" }, el("input", { type: "radio", name, value: "fail" }), el("span", { text: _("Failed") })));
    form.append(box);
  }
  const commentId = `comment-${r.id}`;
  form.append(el("label", { for: commentId, text: _("Comment (optional)") }),
    el("textarea", { id: commentId, rows: "2", maxlength: "5000" }),
    el("button", { class: "primary", type: "submit", text: _("Submit the score") }),
    el("p", { class: "error", role: "alert" }));
  let key = crypto.randomUUID();
  let sending = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending) return;
    sending = true;
    const button = form.querySelector("button");
    const error = form.querySelector(".error");
    button.disabled = true;
    error.textContent = "";
    const marks = rubric.map((item) => ({
      item_id: item.id,
      passed: form.querySelector(`input[name="mark-${r.id}-${item.id}"]:checked`)?.value === "pass",
    }));
    try {
      const result = await api("POST", `/quality/reviews/${r.id}/score`, { body: { marks, comment: form.querySelector("textarea").value }, key });
      if (!result.ok) { error.textContent = refusal(result); key = crypto.randomUUID(); return; }
      form.closest("details").replaceWith(scored(result.data));
      await showScores();
    } catch {
      error.textContent = _("The server could not be reached; try again.");
    } finally {
      sending = false;
      button.disabled = false;
    }
  });
  return form;
}

function toScore(r) {
  return el("li", { class: "review", "data-review": String(r.id) }, head(r),
    el("details", {}, el("summary", { text: _("Score this review") }), scoreForm(r)));
}

async function showToScore() {
  const result = await api("GET", "/quality/reviews?status=to_score&limit=200");
  const list = result.ok ? result.data : [];
  $("to-score").replaceChildren(...list.map(toScore));
  $("to-score-empty").hidden = list.length > 0;
}

async function showScores() {
  const result = await api("GET", "/quality/scores");
  const rows = result.ok ? result.data : [];
  $("scores").replaceChildren(...rows.map((w) => el("tr", {}, el("td", { text: w.agent_name }), el("td", { text: day(w.week) }),
    el("td", { text: String(w.reviews) }), el("td", { text: String(w.average) }), el("td", { text: String(w.critical_failures) }))));
  $("scores-empty").hidden = rows.length > 0;
}

let drawing = false;
$("sample-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (drawing) return;
  drawing = true;
  const button = $("sample-draw");
  button.disabled = true;
  $("sample-error").textContent = "";
  try {
    const result = await api("POST", "/quality/samples", { body: { week: $("sample-week").value, per_agent: Number($("sample-per-agent").value) } });
    if (!result.ok) { $("sample-error").textContent = refusal(result); return; }
    $("sample-result").hidden = false;
    $("sample-summary").textContent = result.data.length
      ? ngettext("%(num)s ticket picked for review.", "%(num)s tickets picked for review.", result.data.length)
      : _("No new tickets to pick in that week.");
    $("sample-picked").replaceChildren(...result.data.map((r) => el("li", { class: "review" }, head(r))));
    await showToScore();
  } catch {
    $("sample-error").textContent = _("The server could not be reached; try again.");
  } finally {
    drawing = false;
    button.disabled = false;
  }
});

async function start() {
  await load(document.documentElement.dataset.locale || "en");
  const me = token ? await api("GET", "/auth/me") : { ok: false };
  if (!me.ok) { $("login-first").hidden = false; return; }
  $("who").textContent = me.data.full_name;
  if (!me.data.quality_lead) { $("leads-only").hidden = false; return; }
  $("rubric-link").hidden = false;
  $("sample-week").value = lastWeek();
  const items = await api("GET", "/quality/rubric");
  rubric = items.ok ? items.data : [];
  $("sample-card").hidden = false; $("to-score-card").hidden = false; $("scores-card").hidden = false;
  await Promise.all([showToScore(), showScores()]);
}

start();
