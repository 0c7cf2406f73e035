/* The leads' rubric editor (/desk/rubric), with the desk's bearer token (this tab's): each item's
   name, weight, critical flag and description, its place in the order, and adding, removing
   (retiring: reviews scored with it keep it) and putting back items. Reviews keep their own copy of
   the items they were scored on, so nothing here changes a score already given. One write at a
   time: buttons are held while a change is on its way, so a double click changes once. */
import { _, load } from "/i18n/i18n.js";
import { api, el, refusal } from "./staff.js";

const $ = (id) => document.getElementById(id);
const token = sessionStorage.getItem("desk.token");
let items = [];
let busy = false;

/* Run one change at a time with every button held; the lists are drawn again afterwards. */
async function one(run, error) {
  if (busy) return;
  busy = true;
  /* Hold the buttons that are usable now; those drawn again meanwhile come with their own state. */
  const held = [...document.querySelectorAll("main button:not(:disabled)")];
  held.forEach((b) => { b.disabled = true; });
  error.textContent = "";
  try {
    await run();
  } catch {
    error.textContent = _("The server could not be reached; try again.");
  } finally {
    busy = false;
    held.forEach((b) => { b.disabled = false; });
  }
}

const active = () => items.filter((i) => i.active);

function itemForm(item, index, list) {
  const total = list.reduce((sum, i) => sum + i.weight, 0);
  const share = total ? Math.round((100 * item.weight) / total) : 0;
  const id = (name) => `item-${item.id}-${name}`;
  const error = el("p", { class: "error", role: "alert" });
  const form = el("form", { class: item.critical ? "rubric-form rubric-item critical" : "rubric-form rubric-item", "data-item": String(item.id) },
    el("p", { class: "rubric-head" }, el("strong", { text: `${index + 1}.` }), " ",
      el("span", { class: "muted", text: _("%(share)s of the score", { share: `${share} %` }) }),
      item.critical ? el("span", { class: "badge priority-urgent", text: _("critical item") }) : null),
    el("div", { class: "rubric-fields" },
      el("div", { class: "grow" }, el("label", { for: id("name"), text: _("What the reviewer checks") }),
        el("input", { id: id("name"), name: "name", maxlength: "200", required: true, value: item.name })),
      el("div", {}, el("label", { for: id("weight"), text: _("Weight") }),
        el("input", { id: id("weight"), name: "weight", type: "number", min: "1", max: "100", required: true, value: String(item.weight) }))),
    el("label", { class: "slot" }, el("input", { type: "checkbox", name: "critical", checked: item.critical }),
      el("span", { text: _("Critical: failing it makes the score 0") })),
    el("label", { for: id("description"), text: _("Description (optional)") }),
    el("textarea", { id: id("description"), name: "description", rows: "2", maxlength: "2000" }),
    el("div", { class: "buttons" },
      el("button", { class: "primary", type: "submit", text: _("Save") }),
      el("button", { type: "button", "data-move": "-1", disabled: index === 0, text: _("Move up") }),
      el("button", { type: "button", "data-move": "1", disabled: index === list.length - 1, text: _("Move down") }),
      el("button", { type: "button", "data-remove": "", text: _("Remove") })),
    error);
  form.querySelector("textarea").value = item.description || "";
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    one(async () => {
      const changes = {
        name: form.elements.name.value.trim(),
        weight: Number(form.elements.weight.value),
        critical: form.elements.critical.checked,
        description: form.elements.description.value.trim(),
      };
      const result = await api("PATCH", `/quality/rubric/${item.id}`, { body: changes });
      if (!result.ok) { error.textContent = refusal(result); return; }
      Object.assign(item, result.data);
      draw(_("Saved: reviews scored from now on use it."));
    }, error);
  });
  form.querySelector("[data-remove]").addEventListener("click", () => one(async () => {
    const result = await api("PATCH", `/quality/rubric/${item.id}`, { body: { active: false } });
    if (!result.ok) { error.textContent = refusal(result); return; }
    Object.assign(item, result.data);
    draw(_("Removed: new reviews no longer ask it."));
  }, error));
  for (const button of form.querySelectorAll("[data-move]")) {
    button.addEventListener("click", () => one(() => move(index, Number(button.dataset.move), error), error));
  }
  return el("li", {}, form);
}

/* Swap an item with its neighbour and number the whole order 1..n (only changed places are sent). */
async function move(index, step, error) {
  const order = active();
  const [moved] = order.splice(index, 1);
  order.splice(index + step, 0, moved);
  for (const [n, item] of order.entries()) {
    if (item.position === n + 1) continue;
    const result = await api("PATCH", `/quality/rubric/${item.id}`, { body: { position: n + 1 } });
    if (!result.ok) { error.textContent = refusal(result); await refresh(); return; }
    Object.assign(item, result.data);
  }
  items.sort((a, b) => a.position - b.position || a.id - b.id);
  draw(_("The order is saved."));
}

function retired(item) {
  const error = el("p", { class: "error", role: "alert" });
  const back = el("button", { type: "button", text: _("Put back") });
  back.addEventListener("click", () => one(async () => {
    const result = await api("PATCH", `/quality/rubric/${item.id}`, { body: { active: true, position: active().length + 1 } });
    if (!result.ok) { error.textContent = refusal(result); return; }
    Object.assign(item, result.data);
    items.sort((a, b) => a.position - b.position || a.id - b.id);
    draw(_("Put back: new reviews ask it again."));
  }, error));
  return el("li", { class: "rubric-retired", "data-item": String(item.id) },
    el("span", { text: item.name }), " ", el("span", { class: "muted", text: _("weight %(weight)s", { weight: item.weight }) }),
    item.critical ? el("span", { class: "badge priority-urgent", text: _("critical item") }) : null, " ", back, error);
}

function draw(message = "") {
  const list = active();
  $("items").replaceChildren(...list.map((item, i, all) => itemForm(item, i, all)));
  $("items-empty").hidden = list.length > 0;
  const total = list.reduce((sum, i) => sum + i.weight, 0);
  $("total").textContent = list.length
    ? _("%(count)s items, total weight %(total)s.", { count: list.length, total })
    : "";
  const gone = items.filter((i) => !i.active);
  $("retired").replaceChildren(...gone.map(retired));
  $("retired-card").hidden = gone.length === 0;
  $("saved").textContent = message;
}

async function refresh() {
  const result = await api("GET", "/quality/rubric?retired=true");
  items = result.ok ? result.data : [];
  draw();
}

$("add-form").addEventListener("submit", (event) => {
  event.preventDefault();
  one(async () => {
    const body = {
      name: $("add-name").value.trim(),
      weight: Number($("add-weight").value),
      critical: $("add-critical").checked,
      description: $("add-description").value.trim(),
      position: active().length + 1,
    };
    const result = await api("POST", "/quality/rubric", { body, key: addKey });
    if (!result.ok) { $("add-error").textContent = refusal(result); addKey = crypto.randomUUID(); return; }
    addKey = crypto.randomUUID();
    $("add-form").reset();
    items.push(result.data);
    draw(_("Added: reviews scored from now on ask it."));
  }, $("add-error"));
});
let addKey = crypto.randomUUID();

async function start() {
  await load(document.documentElement.dataset.locale || "en");
  const me = token ? await api("GET", "/auth/me") : { ok: false };
  if (!me.ok) { $("login-first").hidden = false; return; }
  $("who").textContent = me.data.full_name;
  if (!me.data.quality_lead) { $("leads-only").hidden = false; return; }
  $("rubric-card").hidden = false; $("add-card").hidden = false;
  await refresh();
}

start();
