// A step the server refused: say what really happened (from its error payload), keep what the
// engineer entered, let them correct it and send it again, and show the steps held behind it.
import * as store from "./store.js";
import { _, ngettext } from "/i18n/i18n.js";
import { esc, fieldName, statusLabel, stepName, theStep } from "./words.js";

const LOCATIONS = new Set(["json", "query", "form", "headers", "files", "path", "view_args"]);

// The refused row of a job, if any, and the rows of the same job queued after it (held, in order).
export async function refusalOf(jobId) {
  const rows = (await store.outbox()).filter((r) => r.jobId === jobId);
  const at = rows.findIndex((r) => r.status === "conflict");
  return at < 0 ? null : { row: rows[at], held: rows.slice(at + 1) };
}

// {"query": {"signer_name": ["Longer than maximum length 200."]}} -> [["signer_name", "Longer ..."]]
function fieldErrors(errors, out = [], field = null) {
  if (!errors || typeof errors !== "object") return out;
  for (const [key, value] of Object.entries(errors)) {
    const name = LOCATIONS.has(key) ? field : /^\d+$/.test(key) ? field : key;
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) out.push([name || key, value.join(" ")]);
    else if (typeof value === "object") fieldErrors(value, out, name);
  }
  return out;
}

function headline(row) {
  const now = row.errors && row.errors.current_status;
  return {
    stale: [_("Not sent — the office changed this job."),
      _("Below is the job as it is now on the server. Read it, then send your step again or drop it.")],
    moved: [_("Not sent — this job is now “%(status)s” on the server.", { status: statusLabel(now) }),
      _("Your step no longer fits the job as it is. Drop it, or call the office.")],
    rule: [_("Not sent — a rule of the field stops this step."), _("Do what the message says, then send it again.")],
    image: [_("Not sent — the server did not take this image."), _("Take the photo again, or drop it.")],
    invalid: [_("Not sent — something you entered needs correcting."),
      _("Correct it below and send it again; everything else you entered is kept.")],
    gone: [_("Not sent — this job is no longer yours."), _("Drop your step: the office has the job now.")],
  }[row.refusal || "invalid"];
}

function correction(row) {
  const body = row.body ? JSON.parse(row.body) : {};
  if (row.kind === "upload" && row.label === "signature") {
    return `<label for="fix-signer">${_("Signed by")}</label><input id="fix-signer" autocomplete="off" value="${esc(row.signer)}">`;
  }
  if (row.kind === "action" && "reason" in body) {
    return `<label for="fix-reason">${_("Reason")}</label><input id="fix-reason" autocomplete="off" value="${esc(body.reason)}">`;
  }
  if (row.kind === "note") return `<label for="fix-note">${_("Notes")}</label><textarea id="fix-note">${esc(body.text)}</textarea>`;
  return "";
}

// The box shown at the top of a job with a refused step.
export function refusalBox({ row, held }) {
  const [title, advice] = headline(row);
  const fields = ["invalid", "image"].includes(row.refusal) ? fieldErrors(row.errors) : [];
  const resendable = !["moved", "gone"].includes(row.refusal);
  let html = `<div class="conflict-box" role="alert" data-refusal="${esc(row.refusal)}"><strong>${esc(title)}</strong>
    <p>${esc(_("Your step “%(step)s” was refused: %(message)s", { step: stepName(row.label), message: row.error }))}</p>`;
  if (fields.length) html += `<ul class="fields">${fields.map(([f, m]) => `<li><strong>${esc(fieldName(f))}</strong>: ${esc(m)}</li>`).join("")}</ul>`;
  html += `<p>${esc(advice)}</p>${resendable ? correction(row) : ""}
    <div class="actions">${resendable ? `<button id="resend">${_("Send again")}</button>` : ""}
    <button id="discard" class="danger ${resendable ? "" : "wide"}">${_("Drop my change")}</button></div></div>`;
  if (held.length) {
    const waiting = _("waiting: %(step)s was refused", { step: theStep(row.label) });
    html += `<div class="card held"><strong>${esc(ngettext("%(num)s step waits for this one", "%(num)s steps wait for this one", held.length))}</strong>
      <ul class="history">${held.map((r) => `<li data-held="${esc(r.label)}">${esc(stepName(r.label))} — <span class="warn">${esc(waiting)}</span></li>`).join("")}</ul></div>`;
  }
  return html;
}

// What "Send again" changes in the refused row: what the engineer corrected in the box.
function fixer(row) {
  const signer = document.getElementById("fix-signer");
  const reason = document.getElementById("fix-reason");
  const note = document.getElementById("fix-note");
  return (r) => {
    if (signer) {
      r.signer = signer.value.trim();
      r.path = r.path.replace(/signer_name=[^&]*/, `signer_name=${encodeURIComponent(r.signer)}`);
    }
    if (reason || note) {
      const body = JSON.parse(r.body);
      if (reason) body.reason = reason.value.trim();
      if (note) body.text = note.value.trim();
      r.body = JSON.stringify(body);
    }
    return r.seq === row.seq;
  };
}

export function wireRefusal({ row, held }, route) {
  const resend = document.getElementById("resend");
  if (resend) resend.onclick = async () => {
    resend.disabled = true;
    await store.resend(row.seq, fixer(row));
    await route();
  };
  const discard = document.getElementById("discard");
  if (discard) discard.onclick = async () => {
    if (held.length && !window.confirm(ngettext(
      "Drop only %(step)s? The step queued after it stays and is sent next.",
      "Drop only %(step)s? The %(num)s steps queued after it stay and are sent next.", held.length, { step: theStep(row.label) }))) return;
    discard.disabled = true;
    await store.discard(row.seq);
    await route();
  };
}
