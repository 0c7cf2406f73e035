// Service worker: the app shell is precached under a versioned name, so the app opens offline.
// API calls are never cached here (the outbox in IndexedDB is what makes writes work offline).
// The translations (/i18n/) are kept too, so the app speaks the engineer's language offline.
const VERSION = "shell-v5";
const TEXTS = "i18n-v1";
const SHELL = [
  "/app/", "/app/index.html", "/app/app.css", "/app/app.js", "/app/store.js", "/app/job.js", "/app/refusals.js",
  "/app/words.js", "/app/device.js", "/app/manifest.webmanifest", "/i18n/i18n.js", "/i18n/locales.json",
  "/app/vendor/idb.js", "/app/vendor/signature_pad.js", "/app/icons/icon-192.png", "/app/icons/icon-512.png",
];

self.addEventListener("install", (event) => {
  // Fetch every shell file fresh (not from the HTTP cache) and only then count as installed.
  event.waitUntil(Promise.all([
    caches.open(VERSION).then((cache) => cache.addAll(SHELL.map((u) => new Request(u, { cache: "reload" })))),
    keepTexts(),
  ]).then(() => self.skipWaiting()));
});

// Every language's catalog, so a phone that goes offline can still switch to or reload in any of them.
async function keepTexts() {
  const known = await (await fetch("/i18n/locales.json", { cache: "reload" })).json();
  const cache = await caches.open(TEXTS);
  await cache.addAll(known.available.map((l) => new Request(`/i18n/${encodeURIComponent(l.id)}.json`, { cache: "reload" })));
}

self.addEventListener("activate", (event) => {
  // Drop the shells of older versions, then control open pages at once.
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== VERSION && k !== TEXTS).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  // Not ours, not a GET, or the API: straight to the network (the app handles failures).
  if (url.origin !== self.location.origin || event.request.method !== "GET" || url.pathname.startsWith("/api/")) return;
  // The catalogs and the list of languages: the kept copy at once (a weak signal must not hold the
  // app's start), refreshed from the network behind it for the next start; offline, the kept copy.
  if (url.pathname.startsWith("/i18n/") && url.pathname.endsWith(".json")) {
    event.respondWith(caches.open(TEXTS).then(async (cache) => {
      const kept = (await cache.match(event.request)) || (await caches.match(event.request));
      const fresh = fetch(event.request).then((response) => {
        if (response.ok) cache.put(event.request, response.clone());
        return response;
      });
      if (kept) { event.waitUntil(fresh.catch(() => {})); return kept; }
      return fresh;
    }));
    return;
  }
  // A page navigation inside the app: the cached shell, whatever the hash.
  if (event.request.mode === "navigate") {
    event.respondWith(caches.match("/app/index.html").then((hit) => hit || fetch(event.request)));
    return;
  }
  // Shell files: cache first, network if missing (a new version arrives with a new sw.js).
  event.respondWith(caches.match(event.request, { ignoreSearch: true }).then((hit) => hit || fetch(event.request)));
});
