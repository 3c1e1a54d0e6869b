{% autoescape off %}// Logging with no signal (workspace/offline.py). Keeps the two forms a coach logs from, and the files they load,
// so that she can open them with no signal; static/js/offline.js queues what she saves and sends it later.
// Nothing else is kept: every other page goes to the network as if there were no service worker.
const STATIC = "static-{{ version }}";
const FORMS = "forms";
const ASSETS = {{ assets }};
const FORM_PATHS = {{ form_paths }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(STATIC)
      .then((cache) => cache.addAll(ASSETS))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name.startsWith("static-") && name !== STATIC).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && FORM_PATHS.includes(url.pathname)) {
    event.respondWith(formPage(request, url));
  } else if (ASSETS.includes(url.pathname)) {
    event.respondWith(asset(request));
  }
});

// The network first; its copy when there is none.
async function asset(request) {
  const cache = await caches.open(STATIC);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(request);
    if (kept) return kept;
    throw error;
  }
}

// The form as the server shows it now, kept for later (not one brought back from a server draft: that text
// would come back each time). With no signal, the copy kept for this address, or the plain form.
async function formPage(request, url) {
  const cache = await caches.open(FORMS);
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    const kept = (await cache.match(url.href)) || (await cache.match(url.origin + url.pathname));
    if (!kept) throw error;
    return keptCopy(kept);
  }
  const type = response.headers.get("Content-Type") || "";
  if (response.status === 200 && response.type === "basic" && type.startsWith("text/html")) {
    const text = await response.clone().text();
    if (text.includes("data-offline=") && !text.includes("data-draft-notice")) {
      await cache.put(url.href, new Response(text, { status: 200, headers: headersOf(response) }));
    }
  }
  return response;
}

// A kept copy gets a fresh one-time key each time it is opened (each is a new entry), and says it is a copy.
async function keptCopy(kept) {
  const text = (await kept.text())
    .replace(/(name="once_key" value=")[^"]*"/, `$1${self.crypto.randomUUID()}"`)
    .replace("<body", "<body data-kept-copy");
  return new Response(text, { status: 200, headers: headersOf(kept) });
}

// The page's own headers (its Content-Security-Policy above all), but for those the copy's text makes untrue.
function headersOf(response) {
  const headers = new Headers(response.headers);
  ["Content-Length", "Content-Encoding"].forEach((name) => headers.delete(name));
  return headers;
}
{% endautoescape %}
