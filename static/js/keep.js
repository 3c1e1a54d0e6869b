// What she types in a long form is never lost (templates/keep_typing.html).
//
// - A form marked data-keep is copied into this tab's sessionStorage on every keystroke, per page, until it is
//   saved; opening the page again (after logging in again, after a dropped connection) fills it back in.
// - A form marked data-autosave="<url>" is also posted there a moment after she stops typing (a server draft),
//   and the status line says what happened to each attempt.
// - When a request answers that her session ended (401, see recovery_program.middleware.SessionEndedMiddleware),
//   a dialog says so, with a link to log in that brings her back to the same page (or she keeps typing first).
// - Shared phones: everything kept is removed at log out and on the login pages (except the form she is being
//   brought back to after her session ended), and whenever someone else is logged in.
(() => {
  const PREFIX = "kept:";
  const user = document.body.dataset.user || "";
  const page = location.pathname + location.search;
  const here = PREFIX + page;
  // In her language (uiText, static/js/forms.js).
  const say = {
    noConnection: uiText("keptNoConnection", "Not saved: no connection — kept on this phone."),
    sessionEnded: uiText("keptSessionEnded", "Not saved: session ended — kept on this phone."),
    serverError: uiText(
      "keptServerError",
      "Not saved: the server did not answer — kept on this phone. It is tried again as you type.",
    ),
  };

  const read = (key) => {
    try {
      return JSON.parse(sessionStorage.getItem(key));
    } catch {
      return null;
    }
  };
  const write = (key, entry) => {
    try {
      sessionStorage.setItem(key, JSON.stringify(entry));
    } catch {
      // Storage full or switched off: the server draft is all there is.
    }
  };
  const keys = () => Object.keys(sessionStorage).filter((key) => key.startsWith(PREFIX));
  const clearAll = () => keys().forEach((key) => sessionStorage.removeItem(key));
  const theForm = () => document.querySelector("form[data-keep]");
  const statusLine = () => document.querySelector("[data-autosave-status]");
  const status = (text) => {
    const line = statusLine();
    if (line) line.textContent = text;
  };
  const show = (selector) => document.querySelectorAll(selector).forEach((el) => el.removeAttribute("hidden"));
  const hide = (selector) => document.querySelectorAll(selector).forEach((el) => el.setAttribute("hidden", ""));

  const skipped = (el) =>
    !el.name || el.disabled || el.name === "csrfmiddlewaretoken" || ["file", "submit", "button", "reset"].includes(el.type);

  // Every field's value, in page order; names remembers the fields whose every box was left unticked.
  function snapshot(form) {
    const fields = [];
    const names = new Set();
    for (const el of form.elements) {
      if (skipped(el)) continue;
      names.add(el.name);
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) fields.push([el.name, el.value]);
      } else if (el.tagName === "SELECT" && el.multiple) {
        for (const option of el.selectedOptions) fields.push([el.name, option.value]);
      } else {
        fields.push([el.name, el.value]);
      }
    }
    return { fields, names: [...names] };
  }

  // Fills the form with what was kept (the hidden one-time key too: sending again then cannot make a second
  // record). Says whether anything on the screen changed.
  function fill(form, entry) {
    const values = new Map();
    for (const [name, value] of entry.fields) values.set(name, [...(values.get(name) || []), value]);
    const seen = new Map();
    let changed = false;
    for (const el of form.elements) {
      if (skipped(el) || !entry.names.includes(el.name)) continue;
      const wanted = values.get(el.name) || [];
      if (el.type === "checkbox" || el.type === "radio") {
        const on = wanted.includes(el.value);
        if (el.checked !== on) [el.checked, changed] = [on, true];
      } else if (el.tagName === "SELECT" && el.multiple) {
        for (const option of el.options) {
          const on = wanted.includes(option.value);
          if (option.selected !== on) [option.selected, changed] = [on, true];
        }
      } else {
        const index = seen.get(el.name) || 0;
        seen.set(el.name, index + 1);
        const value = wanted[index] ?? "";
        if (el.value !== value) [el.value, changed] = [value, true];
      }
    }
    return changed;
  }

  function keep(form, flags = {}) {
    const before = read(here) || {};
    write(here, { user, path: page, ...snapshot(form), ended: Boolean(before.ended), ...flags });
  }

  function mark(flags) {
    const entry = read(here);
    if (entry) write(here, { ...entry, ...flags });
  }

  // Once she chose to keep typing, the autosave only says so in the status line; pressing Save asks again.
  let keepingOn = false;
  function sessionEnded(loginUrl, { pressedSave = false } = {}) {
    mark({ ended: true, sending: false });
    status(say.sessionEnded);
    const link = document.querySelector("[data-login-again]");
    if (link && loginUrl) link.href = loginUrl;
    const dialog = document.querySelector("dialog[data-session-ended]");
    if (dialog && !dialog.open && (pressedSave || !keepingOn)) dialog.showModal();
  }

  function loginFrom(header) {
    try {
      return JSON.parse(header || "{}").sessionEnded.login;
    } catch {
      return null;
    }
  }

  // The autosave: a moment after she stops typing, and once after what was kept is filled back in.
  let timer = null;
  function autosaveSoon(delay = 1500) {
    const form = theForm();
    if (!form || !form.dataset.autosave) return;
    clearTimeout(timer);
    timer = setTimeout(autosave, delay);
  }

  // While the form itself is being saved, no autosave goes out: one landing after the save would bring back a
  // draft of what is already a record.
  let saving = false;

  async function autosave() {
    const form = theForm();
    if (!form || saving) return;
    let response;
    try {
      response = await fetch(form.dataset.autosave, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
    } catch {
      status(say.noConnection);
      return;
    }
    if (response.status === 401) {
      sessionEnded(loginFrom(response.headers.get("HX-Trigger")));
    } else if (!response.ok) {
      status(say.serverError);
    } else {
      status(await response.text());
    }
  }

  // On the login pages: only the form she is being brought back to stays.
  if (document.querySelector("form[data-login]")) {
    const next = new URLSearchParams(location.search).get("next") || "";
    for (const key of keys()) {
      const entry = read(key);
      if (!entry || entry.path !== next || !(entry.ended || entry.sending)) sessionStorage.removeItem(key);
    }
  } else if (user) {
    for (const key of keys()) {
      const entry = read(key);
      if (!entry || entry.user !== user) {
        clearAll();
        break;
      }
      // Sent from a page she has now left for another: it was saved.
      if (entry.sending && entry.path !== page) sessionStorage.removeItem(key);
    }
    const form = theForm();
    const entry = read(here);
    if (form && entry) {
      if (fill(form, entry)) {
        hide("[data-draft-notice]");
        show("[data-kept-notice]");
        show("[data-start-over]");
        autosaveSoon(0);
      }
      mark({ ended: false, sending: false });
    }
  }

  document.addEventListener("input", (event) => {
    const form = event.target.closest && event.target.closest("form[data-keep]");
    if (!form) return;
    keep(form, { sending: false });
    autosaveSoon();
  });
  document.addEventListener("change", (event) => {
    const form = event.target.closest && event.target.closest("form[data-keep]");
    if (!form) return;
    keep(form, { sending: false });
    autosaveSoon();
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches("[data-keep]")) {
      clearTimeout(timer);
      saving = true;
      keep(form, { sending: true });
    } else if (form.matches("[data-start-over]")) {
      sessionStorage.removeItem(here);
    } else if (form.matches("[data-logout]")) {
      clearAll();
    }
  });
  document.addEventListener("click", (event) => {
    if (!event.target.closest) return;
    if (event.target.closest("button[data-start-over]")) {
      sessionStorage.removeItem(here);
      location.reload();
    } else if (event.target.closest("[data-keep-typing]")) {
      keepingOn = true;
      event.target.closest("dialog").close();
    }
  });

  // The form itself sent by htmx: a mistake swaps it back in (still hers to finish), a save leaves the page.
  const inForm = (event) => event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form[data-keep]");
  document.addEventListener("htmx:afterRequest", (event) => {
    if (!inForm(event)) return;
    if (event.detail.xhr.getResponseHeader("HX-Redirect")) {
      sessionStorage.removeItem(here); // saved: nothing of it is kept on the phone any more
    } else {
      saving = false;
      mark({ sending: false });
    }
  });
  document.addEventListener("htmx:sendError", (event) => {
    if (!inForm(event)) return;
    saving = false;
    status(say.noConnection);
  });
  document.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    if (inForm(event)) saving = false;
    if (!inForm(event)) {
      // Anywhere else, with nothing typed to keep: the login page, which brings her back here.
      if (xhr.status === 401) location.assign(loginFrom(xhr.getResponseHeader("HX-Trigger")) || "/login/");
      return;
    }
    if (xhr.status === 401) sessionEnded(loginFrom(xhr.getResponseHeader("HX-Trigger")), { pressedSave: true });
    else status(say.serverError);
  });
})();
