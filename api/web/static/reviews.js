/* An agent's own quality reviews and weekly scores, read with the desk's bearer token (this tab's). */
import { _, load } from "/i18n/i18n.js";
import { api, el } from "./staff.js";

const $ = (id) => document.getElementById(id);
const token = sessionStorage.getItem("desk.token");

const day = (iso) => new Intl.DateTimeFormat(document.documentElement.lang || "en", { dateStyle: "medium", timeZone: "UTC" })
  .format(new Date(`${iso}T00:00:00Z`));

function review(r) {
  const head = el("p", { class: "review-head" }, el("strong", { text: `${r.number} ${r.subject}` }), " · ",
    el("span", { text: _("week of %(day)s", { day: day(r.week) }) }));
  if (r.source === "low_score") head.append(" ", el("span", { class: "badge priority-high", text: _("low satisfaction score") }));
  const item = el("li", { class: "review" }, head);
  if (r.status !== "scored") { item.append(el("p", { class: "muted", text: _("Not scored yet.") })); return item; }
  item.append(el("p", { class: r.critical_failed ? "score failed" : "score" },
    _("Score: %(score)s of 100", { score: r.score }),
    r.critical_failed ? el("span", { text: " · " + _("a critical item failed") }) : null));
  item.append(el("ul", { class: "plain results" }, ...r.results.map((x) => el("li", { class: x.passed ? "passed" : "failed" },
    el("span", { text: x.passed ? "\u2713 " : "\u2717 " }), el("span", { text: x.name }),
    x.critical ? el("span", { class: "muted", text: " (" + _("critical item") + ")" }) : null,
    x.note ? el("span", { class: "muted", text: ` \u2014 ${x.note}` }) : null))));
  if (r.comment) item.append(el("p", { class: "comment", text: r.comment }));
  return item;
}

async function start() {
  await load(document.documentElement.dataset.locale || "en");
  const me = token ? await api("GET", "/auth/me") : { ok: false };
  if (!me.ok) { $("login-first").hidden = false; return; }
  $("who").textContent = me.data.full_name;
  const [reviews, weeks] = await Promise.all([api("GET", `/quality/reviews?agent_id=${me.data.id}`), api("GET", `/quality/scores?agent_id=${me.data.id}`)]);
  $("reviews-card").hidden = false;
  $("weeks-card").hidden = false;
  const list = reviews.ok ? reviews.data : [];
  $("reviews").replaceChildren(...list.map(review));
  $("reviews-empty").hidden = list.length > 0;
  const rows = weeks.ok ? weeks.data : [];
  $("weeks").replaceChildren(...rows.map((w) => el("tr", {}, el("td", { text: day(w.week) }), el("td", { text: String(w.reviews) }),
    el("td", { text: String(w.average) }), el("td", { text: String(w.critical_failures) }))));
  $("weeks-empty").hidden = rows.length > 0;
}

start();
