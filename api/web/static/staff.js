/* What the staff's desk screens (knowledge base, rubric, quality review, own reviews) share: building
   elements, calling the API with this tab's desk token, and saying a refusal in the API's own words. */
import { _ } from "/i18n/i18n.js";

const API = "/api/v1";

/* An element with attributes (class, text, others; true for a bare attribute, false/null for none). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/* One API call with the desk's bearer token: { ok, status, data, headers } (data null without JSON). */
export async function api(method, path, { body, key, ifMatch } = {}) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem("desk.token")}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Idempotency-Key"] = key;
  if (ifMatch) headers["If-Match"] = ifMatch;
  const response = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  return { ok: response.ok, status: response.status, data, headers: response.headers };
}

/* The API's own words for a refusal: its message, and what it says of each field (a role's or a
   stale copy's refusal is its message alone). */
export function refusal(result) {
  const data = result.data || {};
  const parts = [data.message || _("The server refused (%(status)s).", { status: result.status })];
  const walk = (value) => {
    if (typeof value === "string") parts.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  if (data.errors && ![403, 412].includes(result.status)) walk(data.errors);
  return parts.join(" ");
}
