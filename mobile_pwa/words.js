// What the app calls things, in the engineer's language (catalogs from /i18n/<locale>.json), and
// how it writes times. Functions, not constants: the catalog is loaded after this module.
import { _, languageTag } from "/i18n/i18n.js";

export const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

export const LABEL = () => ({ dispatched: _("New"), accepted: _("Accepted"), en_route: _("Travelling"), on_site: _("On site"),
  completed: _("Completed"), incomplete: _("Incomplete"), declined: _("Declined"), scheduled: _("Scheduled"),
  cancelled: _("Cancelled"), new: _("Not planned") });
export const statusLabel = (status) => LABEL()[status] || status;

// A queued step by its outbox label: as a button names it, and as "the ..." in a sentence.
const STEP = () => ({ accept: _("Accept"), decline: _("Decline"), "start-travel": _("Start travel"), "check-in": _("Check in on site"),
  photo: _("Photo"), signature: _("Signature"), note: _("Note"), complete: _("Complete"), incomplete: _("Can't finish"),
  position: _("Position") });
const THE_STEP = () => ({ accept: _("the acceptance"), decline: _("the decline"), "start-travel": _("the start of travel"),
  "check-in": _("the check-in"), photo: _("the photo"), signature: _("the signature"), note: _("the note"),
  complete: _("the completion"), incomplete: _("the report that you could not finish"), position: _("the position") });
export const stepName = (label) => STEP()[label] || label;
export const theStep = (label) => THE_STEP()[label] || label;

const EVENT = () => ({ created: _("created"), updated: _("changed by the office"), assign: _("assigned"), unassign: _("unassigned"),
  dispatch: _("sent to the engineer"), accept: _("accepted"), decline: _("declined"), start_travel: _("travel started"),
  check_in: _("checked in"), photo_added: _("photo added"), signature_added: _("signature added"), note_added: _("note added"),
  complete: _("completed"), mark_incomplete: _("could not finish"), reschedule: _("rescheduled"), cancel: _("cancelled"),
  transfer: _("moved to another engineer") });
const ROLE = () => ({ engineer: _("engineer"), dispatcher: _("dispatcher"), admin: _("office"), system: _("system"),
  customer: _("customer"), agent: _("service desk") });
export const eventName = (action) => EVENT()[action] || action.replace(/_/g, " ");
export const roleName = (role) => ROLE()[role] || role;

// The names of the fields a refusal can point at.
const FIELD = () => ({ signer_name: _("Signed by"), reason: _("Reason"), text: _("Notes"), parts: _("Parts used"),
  body: _("Image"), latitude: _("GPS position"), longitude: _("GPS position"), recorded_at: _("Time on the phone") });
export const fieldName = (name) => FIELD()[name] || name.replace(/_/g, " ");

// English as written where the project started (24-hour clock); other languages as their readers write.
const tag = () => (languageTag() === "en" ? "en-GB" : languageTag());
export const time = (iso, tz) => iso ? new Date(iso).toLocaleTimeString(tag(), { hour: "2-digit", minute: "2-digit", timeZone: tz || undefined }) : "—";
export const day = (iso, tz) => new Date(iso).toLocaleDateString(tag(), { weekday: "short", day: "numeric", month: "short", timeZone: tz || undefined });
