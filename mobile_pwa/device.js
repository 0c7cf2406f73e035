// What the phone itself gives: GPS fixes, downscaled photos, and the opt-in position pings.
import * as store from "./store.js";

const PING_EVERY_MS = 60000;
let lastFix = null;                 // the location watch's latest fix, when sharing is on
let watch = null, lastPing = 0;

export function metres(a, b) {     // haversine, for the engineer's own warning (the server decides)
  const r = 6371000, rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad, dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(h));
}

export function position() {
  // A fresh fix from the running watch is as good as a new one (and some phones will not give a
  // second fix while a watch runs); otherwise ask for a new high-accuracy fix.
  if (lastFix && Date.now() - lastFix.timestamp < 30000) return Promise.resolve(lastFix);
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    navigator.geolocation.getCurrentPosition((p) => resolve(p), () => resolve(null),
      { enableHighAccuracy: true, maximumAge: 0, timeout: 10000 });
  });
}

export async function downscale(file, max = 1600) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, max / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale); canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const out = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
  return { data: await out.arrayBuffer(), type: "image/jpeg" };
}

// Pings: opt-in, only while travelling, throttled, queued like everything else.
export async function pinger(statusOf) {
  const on = await store.meta("share-location");
  const travelling = (await store.jobs()).some((j) => statusOf(j) === "en_route");
  if (on && travelling && navigator.geolocation && watch === null) {
    watch = navigator.geolocation.watchPosition(async (p) => {
      lastFix = p;
      if (Date.now() - lastPing < PING_EVERY_MS) return;
      lastPing = Date.now();
      await store.queue(null, [{ kind: "ping", method: "POST", path: "/positions", label: "position",
        body: JSON.stringify({ latitude: p.coords.latitude, longitude: p.coords.longitude, accuracy_m: p.coords.accuracy, recorded_at: new Date(p.timestamp).toISOString() }) }], null);
    }, () => {}, { enableHighAccuracy: true, maximumAge: 30000 });
  } else if ((!on || !travelling) && watch !== null) {
    navigator.geolocation.clearWatch(watch); watch = null; lastFix = null;
  }
}
