/* The customer pages' small helpers, served as a file: the Content-Security-Policy runs no inline script. */
"use strict";

/* Typing an address means "another address": clear the saved-address choice so the address is used. */
const site = document.getElementById("site");
const address = document.getElementById("address");
if (site && address) address.addEventListener("input", () => { if (address.value.trim()) site.value = ""; });

/* The radio of a free time carries both ends of the window: copy them into the fields the server reads. */
const slots = document.getElementById("slots");
if (slots) {
  slots.addEventListener("submit", (event) => {
    const picked = event.target.querySelector("input[name=window]:checked");
    if (!picked) return;
    document.getElementById("starts_at").value = picked.dataset.start;
    document.getElementById("ends_at").value = picked.dataset.end;
  });
}

/* Forms that undo something ask first (e.g. cancelling a visit). */
document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
});

/* A form sent once: a second tap while the first is on its way does nothing (the server keeps one answer anyway). */
document.querySelectorAll("form[data-send-once]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
  });
});
