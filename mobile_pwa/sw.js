// Service worker: the app shell is precached under a versioned name, so the app opens offline.
// API calls are never cached here (the outbox in IndexedDB is what makes writes work offline).
const VERSION = "shell-v1";
const SHELL = [
  "/app/", "/app/index.html", "/app/app.css", "/app/app.js", "/app/store.js", "/app/manifest.webmanifest",
  "/app/vendor/idb.js", "/app/vendor/signature_pad.js", "/app/icons/icon-192.png", "/app/icons/icon-512.png",
];

self.addEventListener("install", (event) => {
  // Fetch every shell file fresh (not from the HTTP cache) and only then count as installed.
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(SHELL.map((u) => new Request(u, { cache: "reload" }))))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  // Drop the shells of older versions, then control open pages at once.
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  // Not ours, not a GET, or the API: straight to the network (the app handles failures).
  if (url.origin !== self.location.origin || event.request.method !== "GET" || url.pathname.startsWith("/api/")) return;
  // A page navigation inside the app: the cached shell, whatever the hash.
  if (event.request.mode === "navigate") {
    event.respondWith(caches.match("/app/index.html").then((hit) => hit || fetch(event.request)));
    return;
  }
  // Shell files: cache first, network if missing (a new version arrives with a new sw.js).
  event.respondWith(caches.match(event.request, { ignoreSearch: true }).then((hit) => hit || fetch(event.request)));
});
