/* The portal's and the contact form's helper (a file: the CSP runs no inline script): suggested
   articles under the subject, as the customer types (debounced); the panel stays hidden when the
   knowledge base has nothing or no suggestion endpoint (404). Sending a form once is customer.js's
   data-send-once, as on every customer page. */
const SUGGEST_MS = 350;
const subject = document.querySelector("[data-suggest]");
const panel = document.getElementById("suggest");
const list = document.getElementById("suggest-list");
let timer = null;
let asked = 0;

async function suggest(text) {
  const mine = ++asked;
  if (text.trim().length < 3) { panel.hidden = true; return; }
  try {
    const response = await fetch(`/api/v1/help/suggest?q=${encodeURIComponent(text)}`, { headers: { Accept: "application/json" } });
    const body = response.ok ? await response.json() : null;
    if (mine !== asked) return;
    const items = body && Array.isArray(body.items) ? body.items : [];
    list.replaceChildren(...items.map((a) => {
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = a.url; link.textContent = a.title; link.target = "_blank"; link.rel = "noopener";
      const snippet = document.createElement("p");
      snippet.textContent = a.snippet || "";
      const answered = document.createElement("button");
      answered.type = "button"; answered.className = "link"; answered.dataset.answered = a.id;
      answered.textContent = panel.dataset.answeredLabel || "This answers my question";
      answered.addEventListener("click", () => answeredBy(a.id));
      li.append(link, snippet, answered);
      return li;
    }));
    panel.hidden = items.length === 0;
  } catch {
    panel.hidden = true;
  }
}

async function answeredBy(articleId) {
  /* The customer found the answer and will not send the ticket: it counts as self-service. */
  try {
    const response = await fetch(`/api/v1/help/articles/${articleId}/answered`, { method: "POST", headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) return;
  } catch { return; }
  const form = subject.closest("form");
  if (form) form.hidden = true;
  const done = document.getElementById("suggest-done");
  if (done) done.hidden = false;
}

if (subject && panel) {
  subject.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => suggest(subject.value), SUGGEST_MS);
  });
  if (subject.value) suggest(subject.value);
}

