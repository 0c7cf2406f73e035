/* The help centre's script (a file: the CSP runs no inline script and no eval).
   - Instant results: as the visitor types, ask /api/v1/help/suggest (debounced; a late answer to an
     older question is dropped) and show titles with the words found marked.
   - "Did this answer your question?": send yes or no once per click; the server keeps one answer
     per visitor, so a second click changes the answer instead of counting twice. */
const TYPE_MS = 250;
const input = document.querySelector("[data-instant]");
const results = document.getElementById("help-results");
const list = document.getElementById("help-results-list");
const none = document.getElementById("help-none");
let timer = null;
let asked = 0;

function item(found) {
  const li = document.createElement("li");
  const link = document.createElement("a");
  link.href = found.url;
  link.textContent = found.title;
  li.append(link);
  if (found.section) {
    const where = document.createElement("span");
    where.className = "muted";
    where.textContent = ` · ${found.section}`;
    li.append(where);
  }
  const snippet = document.createElement("p");
  /* snippet_html is escaped by the server; only its <mark> elements are markup. */
  const parsed = new DOMParser().parseFromString(`<p>${found.snippet_html || ""}</p>`, "text/html");
  for (const node of parsed.body.firstChild.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) snippet.append(node.textContent);
    else if (node.nodeName === "MARK") { const mark = document.createElement("mark"); mark.textContent = node.textContent; snippet.append(mark); }
  }
  li.append(snippet);
  return li;
}

async function search(text) {
  const mine = ++asked;
  if (!text.trim()) { results.hidden = true; return; }
  try {
    const response = await fetch(`/api/v1/help/suggest?limit=8&q=${encodeURIComponent(text)}`, { headers: { Accept: "application/json" } });
    const body = response.ok ? await response.json() : { items: [] };
    if (mine !== asked) return;
    list.replaceChildren(...body.items.map(item));
    none.hidden = body.items.length > 0;
    results.hidden = false;
    document.body.dataset.searched = text;
  } catch {
    /* offline or a hiccup: the form still searches on the server */
  }
}

if (input && results) {
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => search(input.value), TYPE_MS);
  });
}

const helpful = document.getElementById("helpful");
if (helpful) {
  helpful.querySelectorAll("[data-helpful]").forEach((button) => {
    button.addEventListener("click", async () => {
      const yes = button.dataset.helpful === "true";
      try {
        const response = await fetch(`/api/v1/help/articles/${helpful.dataset.article}/feedback`, {
          method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ helpful: yes }), credentials: "same-origin",
        });
        if (!response.ok) throw new Error(String(response.status));
        document.getElementById("helpful-yes").hidden = !yes;
        document.getElementById("helpful-no").hidden = yes;
        document.getElementById("helpful-error").hidden = true;
        helpful.dataset.answered = yes ? "yes" : "no";
      } catch {
        document.getElementById("helpful-error").hidden = false;
      }
    });
  });
}
