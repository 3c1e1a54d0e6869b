// Logging with no signal (workspace/offline.py registers the service worker that keeps the two forms).
//
// - A log-an-encounter or share-a-concern form (marked data-offline) saved with no signal is queued on this phone
//   (IndexedDB), with the one-time key it carried, and the form says so; an urgent concern says to call the
//   on-call line, because no one has been paged yet.
// - Every page of a coach says "Waiting to send (2)" while entries wait, and sends them by itself: on load, when
//   the signal returns and every half minute. The server answers a key it has seen with the first result, so a
//   retry never saves twice.
// - One the server refuses (the patient left her caseload, a mistake in it) is listed with her text, to copy,
//   and a button to discard it. A session that ended keeps them waiting until she logs in again.
// - Log out removes everything kept (the forms and the queue); the login pages remove the forms.
(() => {
  const DB = "recovery-offline";
  const STORE = "outbox";
  const FORMS_CACHE = "forms";
  const CSRF_COOKIE = "csrftoken";
  const RETRY_MS = 30000;
  const user = document.body.dataset.user || "";
  const keptCopy = document.body.hasAttribute("data-kept-copy");
  // In her language (uiText, static/js/forms.js).
  const KINDS = {
    encounter: uiText("kindEncounter", "Encounter"),
    concern: uiText("kindConcern", "Concern for your supervisor"),
  };
  const REFUSED = {
    404: uiText(
      "refusedGone",
      "It could not be saved: the patient is no longer on your caseload, or it is no longer yours to log.",
    ),
    403: uiText("refusedForbidden", "It could not be saved: it was refused."),
  };
  const MISTAKE = uiText("mistake", "It could not be saved as it is:");

  // IndexedDB, one store of entries keyed by their one-time key: the same entry queued twice is one entry.
  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function inStore(mode, work) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => {
        db.close();
        resolve(request.result);
      };
      transaction.onerror = transaction.onabort = () => {
        db.close();
        reject(transaction.error);
      };
    });
  }

  const entries = () => inStore("readonly", (store) => store.getAll()).catch(() => []);
  const keep = (entry) => inStore("readwrite", (store) => store.put(entry));
  const drop = (key) => inStore("readwrite", (store) => store.delete(key));

  async function forgetPages() {
    if ("caches" in window) await caches.delete(FORMS_CACHE).catch(() => {});
  }

  // Log out: nothing of hers stays on the phone.
  async function forgetEverything() {
    await inStore("readwrite", (store) => store.clear()).catch(() => {});
    if ("caches" in window) {
      const names = await caches.keys().catch(() => []);
      await Promise.all(names.map((name) => caches.delete(name).catch(() => {})));
    }
    if ("serviceWorker" in navigator) {
      const registrations = await navigator.serviceWorker.getRegistrations().catch(() => []);
      await Promise.all(registrations.map((registration) => registration.unregister().catch(() => {})));
    }
  }

  function csrfToken() {
    const found = document.cookie.split(";").find((part) => part.trim().startsWith(`${CSRF_COOKIE}=`));
    return found ? decodeURIComponent(found.trim().slice(CSRF_COOKIE.length + 1)) : "";
  }

  // What she typed and chose, in words, so that she can copy it if it cannot be sent.
  function describe(form) {
    const lines = [];
    form.querySelectorAll(".field").forEach((field) => {
      const caption = field.querySelector("legend, label");
      if (!caption) return;
      const name = (caption.firstChild && caption.firstChild.textContent ? caption.firstChild.textContent : caption.textContent).trim();
      const values = [];
      field.querySelectorAll("input, select, textarea").forEach((el) => {
        if (el.type === "hidden" || el.type === "search") return;
        if (el.type === "checkbox" || el.type === "radio") {
          if (el.checked) values.push((el.closest("label") || el).textContent.trim() || el.value);
        } else if (el.tagName === "SELECT") {
          for (const option of el.selectedOptions) if (option.value) values.push(option.textContent.trim());
        } else if (el.value.trim()) {
          values.push(el.value.trim());
        }
      });
      if (values.length) lines.push(`${name}: ${values.join(", ")}`);
    });
    return lines.join("\n");
  }

  const hereKept = () => `kept:${location.pathname}${location.search}`;

  async function queue(form) {
    const keyField = form.querySelector('input[name="once_key"]');
    if (!keyField || !keyField.value) return;
    const fields = [...new FormData(form)].filter(([, value]) => typeof value === "string");
    const urgent = Boolean(form.dataset.offlineUrgent) && fields.some(([name, value]) => name === "urgency" && value === form.dataset.offlineUrgent);
    await keep({
      key: keyField.value,
      user,
      url: form.getAttribute("hx-post") || location.pathname,
      kind: form.dataset.offline,
      urgent,
      text: describe(form),
      fields,
      at: Date.now(),
      state: "waiting",
      problem: "",
    });
    // Kept in the queue now; the tab's copy would bring it back to the form (keep.js).
    sessionStorage.removeItem(hereKept());
    const status = form.querySelector(".send-status");
    if (status) status.textContent = "";
    form.hidden = true;
    const queued = document.querySelector("[data-offline-queued]");
    if (queued) {
      queued.hidden = false;
      const call = queued.querySelector("[data-offline-urgent]");
      if (call) call.hidden = !urgent;
      queued.focus();
    }
    await show();
  }

  // Saving with no signal: htmx could not reach the server.
  document.addEventListener("htmx:sendError", (event) => {
    const form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form[data-offline]");
    if (form && user) queue(form).catch(() => {});
  });

  // A form kept on the phone carries the token of the day it was kept: the one in force now goes instead.
  document.addEventListener("htmx:configRequest", (event) => {
    const token = csrfToken();
    if (token && keptCopy) event.detail.headers["X-CSRFToken"] = token;
  });
  if (keptCopy) {
    const token = csrfToken();
    if (token) document.querySelectorAll('input[name="csrfmiddlewaretoken"]').forEach((input) => (input.value = token));
  }

  document.addEventListener("click", (event) => {
    if (!event.target.closest) return;
    const another = event.target.closest("[data-offline-another]");
    if (another) {
      const form = document.querySelector("form[data-offline]");
      if (!form) return;
      form.reset();
      form.querySelector('input[name="once_key"]').value = crypto.randomUUID();
      another.closest("[data-offline-queued]").hidden = true;
      form.hidden = false;
      const first = form.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
      return;
    }
    const discard = event.target.closest("[data-discard]");
    if (discard) {
      // Two taps: the text is gone from the phone for good.
      if (discard.dataset.sure !== "yes") {
        discard.dataset.sure = "yes";
        discard.textContent = uiText("discardSure", "Tap again to remove it from this phone for good");
        return;
      }
      drop(discard.dataset.discard).then(show, show);
    }
  });

  // Sending what waits, oldest first. Stops at the first one that finds no signal or an ended session.
  let running = false;
  let leaving = false;
  let sessionEnded = false;
  let sent = 0;

  async function problemOf(response) {
    if (REFUSED[response.status]) return REFUSED[response.status];
    const text = await response.text().catch(() => "");
    const page = new DOMParser().parseFromString(text, "text/html");
    const errors = [...page.querySelectorAll(".error-summary li")].map((item) => item.textContent.trim());
    return errors.length ? `${MISTAKE} ${errors.join(" ")}` : uiText("notSaved", "It could not be saved.");
  }

  async function send(entry) {
    const token = csrfToken();
    const body = new URLSearchParams();
    for (const [name, value] of entry.fields) if (name !== "csrfmiddlewaretoken") body.append(name, value);
    body.append("csrfmiddlewaretoken", token);
    let response;
    try {
      response = await fetch(entry.url, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "HX-Request": "true", "X-CSRFToken": token },
      });
    } catch {
      return false; // still no signal
    }
    if (response.status === 401) {
      sessionEnded = true;
      await forgetPages();
      return false;
    }
    if (response.ok && response.headers.get("HX-Redirect")) {
      await drop(entry.key);
      sent += 1;
      return true;
    }
    if (leaving || response.redirected || response.status >= 500 || response.status === 429) return false; // later
    await keep({ ...entry, state: "failed", problem: await problemOf(response) });
    return true;
  }

  async function sendWaiting() {
    if (running || !user) return;
    running = true;
    try {
      const waiting = (await entries()).filter((entry) => entry.user === user && entry.state === "waiting");
      waiting.sort((a, b) => a.at - b.at);
      if (waiting.length) sessionEnded = false;
      for (const entry of waiting) {
        if (!(await send(entry))) break;
      }
    } finally {
      running = false;
      await show();
    }
  }

  const when = (at) => new Date(at).toLocaleString(document.documentElement.lang || [], { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });

  function unsent(entry) {
    const item = document.createElement("div");
    item.className = "unsent";
    const title = document.createElement("p");
    const strong = document.createElement("strong");
    strong.textContent = uiText("notSavedEntry", "Not saved: {kind}, written {when}.", {
      kind: KINDS[entry.kind] || uiText("kindEntry", "Entry"),
      when: when(entry.at),
    });
    title.append(strong, ` ${entry.problem}`);
    const label = document.createElement("label");
    label.textContent = uiText("whatYouWrote", "What you wrote, to copy");
    const text = document.createElement("textarea");
    text.readOnly = true;
    text.rows = 6;
    text.value = entry.text;
    label.append(text);
    const discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button";
    discard.dataset.discard = entry.key;
    discard.textContent = uiText("discard", "Discard it");
    item.append(title, label, discard);
    return item;
  }

  // The "Waiting to send (2)" box on every page of a coach.
  async function show() {
    const box = document.querySelector("[data-outbox]");
    if (!box) return;
    const mine = (await entries()).filter((entry) => entry.user === user);
    const waiting = mine.filter((entry) => entry.state === "waiting");
    const failed = mine.filter((entry) => entry.state === "failed");
    const count = box.querySelector("[data-outbox-count]");
    const says = box.querySelector("[data-outbox-says]");
    if (waiting.length) {
      count.textContent = uiText("waitingToSend", "Waiting to send ({count})", { count: waiting.length });
      says.textContent = sessionEnded
        ? ""
        : uiText("keptUntilSignal", "Kept on this phone. Sent by itself when there is signal.");
    } else if (sent) {
      count.textContent = uiText("sent", "Sent.");
      says.textContent = uiText("sentSaved", "What was waiting on this phone is saved ({count}).", { count: sent });
    } else if (keptCopy) {
      count.textContent = uiText("noSignal", "No signal.");
      says.textContent = uiText(
        "formKept",
        "This form was kept on this phone. What you save is sent when there is signal.",
      );
    } else {
      count.textContent = "";
      says.textContent = "";
    }
    box.querySelector("[data-offline-urgent]").hidden = !waiting.some((entry) => entry.urgent);
    box.querySelector("[data-outbox-login]").hidden = !(sessionEnded && waiting.length);
    // Back to this page after logging in (the address is set here: the page's own text is the same anywhere).
    const login = box.querySelector("[data-outbox-login-link]");
    const back = new URL(login.href, location.href);
    back.searchParams.set("next", location.pathname + location.search);
    login.href = back.pathname + back.search;
    const list = box.querySelector("[data-outbox-failed]");
    list.replaceChildren(...failed.map(unsent));
    box.hidden = !(count.textContent || failed.length);
  }

  // Log out: everything kept goes first (Clear-Site-Data on the answer does it too), after asking if entries
  // are still waiting to send.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches || !form.matches("form[data-logout]") || form.dataset.cleared === "yes") return;
    event.preventDefault();
    entries().then(async (all) => {
      const waiting = all.filter((entry) => entry.user === user).length;
      const question = uiText(
        "logOutAnyway",
        "{count} not sent yet will be removed from this phone. Log out anyway?",
        { count: waiting },
      );
      if (waiting && !window.confirm(question)) return;
      leaving = true; // an answer arriving now does not put an entry back
      await forgetEverything();
      form.dataset.cleared = "yes";
      form.submit();
    });
  });

  if (document.querySelector("form[data-login]")) {
    // Nobody is logged in: the kept forms name her patients. Her waiting entries stay until she logs in again.
    forgetPages();
  } else if (user) {
    // Shared phones: someone else's entries never stay under another login.
    entries().then(async (all) => {
      await Promise.all(all.filter((entry) => entry.user !== user).map((entry) => drop(entry.key).catch(() => {})));
      if (document.querySelector("[data-outbox]")) sendWaiting();
    });
  }
  if (user && document.querySelector("[data-outbox]")) {
    const worker = document.body.dataset.offlineWorker;
    if (worker && "serviceWorker" in navigator) navigator.serviceWorker.register(worker).catch(() => {});
    window.addEventListener("online", sendWaiting);
    document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && sendWaiting());
    window.setInterval(sendWaiting, RETRY_MS);
  }
})();
