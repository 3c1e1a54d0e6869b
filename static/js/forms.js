// One tap saves once. A form that creates a record carries a one-time key (a hidden `once_key` field; the server
// answers the same key twice with the first result). Here the button says it is busy and cannot be pressed again;
// if the request is lost or the server fails, she is told next to the button and can press it again: the form
// still holds the same key, so a retry never saves twice. (The drafts' autosave line is not handled here.)

// The words the scripts show, in her language: base.html puts them in the page (#ui-strings, from
// recovery_program.context_processors.ui_strings). `uiText(key, english, {count: 2})` gives the translation, or the
// English when the page has none, with each "{name}" filled in. keep.js and offline.js (loaded after) use it too.
const UI_STRINGS = (() => {
  const block = document.getElementById("ui-strings");
  try {
    return block ? JSON.parse(block.textContent) || {} : {};
  } catch {
    return {};
  }
})();

function uiText(key, english, values = {}) {
  const text = typeof UI_STRINGS[key] === "string" ? UI_STRINGS[key] : english;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

const SAVING = uiText("saving", "Saving…");
const NO_CONNECTION = uiText("noConnection", "Not sent: no connection. Your text is still here. Try again.");
const SERVER_TROUBLE = uiText(
  "serverTrouble",
  "Not saved: something went wrong on our side. Your text is still here. Try again in a moment.",
);
const REFUSED = uiText("refused", "Not saved. Your text is still here. Reload the page if it happens again.");
const SLOW = uiText(
  "slow",
  "Still sending… If nothing happens, check your signal. Your text is still here; you can press the button again.",
);
// A plain form's lost request cannot be seen from the page: after this long she may try again.
const WAIT_MS = 20000;

function guarded(form) {
  return (
    form instanceof HTMLFormElement &&
    Boolean(form.querySelector("[data-once]") || form.querySelector('input[name="once_key"], input[name$="-once_key"]'))
  );
}

function submitButtons(form) {
  return form.querySelectorAll('button[type="submit"], button:not([type]), input[type="submit"]');
}

function statusLine(form) {
  let line = form.querySelector(".send-status");
  if (!line) {
    line = document.createElement("p");
    line.className = "send-status";
    line.setAttribute("role", "status");
    line.setAttribute("aria-live", "polite");
    const buttons = submitButtons(form);
    const last = buttons[buttons.length - 1];
    if (last) {
      last.insertAdjacentElement("afterend", line);
    } else {
      form.append(line);
    }
  }
  return line;
}

function busy(form) {
  form.dataset.sending = "yes";
  form.setAttribute("aria-busy", "true");
  submitButtons(form).forEach((button) => {
    if (button.dataset.label === undefined) {
      button.dataset.label = button.tagName === "INPUT" ? button.value : button.textContent;
    }
    button.setAttribute("aria-disabled", "true");
    button.classList.add("is-busy");
    if (button.tagName !== "INPUT") button.textContent = SAVING;
  });
  // Disabled (and an input's value changed) only once the browser or htmx has read the form, so the pressed
  // button's name and value are still sent.
  window.setTimeout(() => {
    if (form.dataset.sending !== "yes") return;
    submitButtons(form).forEach((button) => {
      button.disabled = true;
      if (button.tagName === "INPUT") button.value = SAVING;
    });
  }, 0);
  // Said to a screen reader; seen on the button.
  const line = statusLine(form);
  line.textContent = SAVING;
  line.classList.add("visually-hidden");
  window.clearTimeout(Number(form.dataset.waiting));
  form.dataset.waiting = String(window.setTimeout(() => idle(form, SLOW), WAIT_MS));
}

function idle(form, message) {
  window.clearTimeout(Number(form.dataset.waiting));
  delete form.dataset.waiting;
  delete form.dataset.sending;
  form.removeAttribute("aria-busy");
  submitButtons(form).forEach((button) => {
    button.disabled = false;
    button.removeAttribute("aria-disabled");
    button.classList.remove("is-busy");
    if (button.dataset.label !== undefined) {
      if (button.tagName === "INPUT") {
        button.value = button.dataset.label;
      } else {
        button.textContent = button.dataset.label;
      }
      delete button.dataset.label;
    }
  });
  const line = statusLine(form);
  line.classList.remove("visually-hidden");
  line.textContent = message;
}

// Capture phase: this runs before htmx's own listener on the form, so a second tap never reaches htmx
// (which would otherwise queue it and send it after the first).
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    if (!guarded(form)) return;
    if (form.dataset.sending === "yes") {
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    busy(form);
  },
  true,
);

function htmxForm(event) {
  const elt = event.detail && event.detail.elt;
  return elt instanceof HTMLFormElement && guarded(elt) ? elt : null;
}

document.addEventListener("htmx:sendError", (event) => {
  const form = htmxForm(event);
  if (form) idle(form, NO_CONNECTION);
});

document.addEventListener("htmx:timeout", (event) => {
  const form = htmxForm(event);
  if (form) idle(form, NO_CONNECTION);
});

document.addEventListener("htmx:responseError", (event) => {
  const form = htmxForm(event);
  if (form) idle(form, event.detail.xhr.status >= 500 ? SERVER_TROUBLE : REFUSED);
});

// Answered: a mistake swaps a fresh form in (nothing to undo here); a save sends her on with HX-Redirect
// (the button stays busy until the next page comes).
document.addEventListener("htmx:afterRequest", (event) => {
  const form = htmxForm(event);
  if (!form || !event.detail.successful || !form.isConnected) return;
  if (event.detail.xhr.getResponseHeader("HX-Redirect")) return;
  idle(form, "");
});

// Back to a page kept in the browser's memory: its buttons work again (the form still has its key, so
// sending it again shows what was saved the first time).
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  document.querySelectorAll('form[data-sending="yes"]').forEach((form) => idle(form, ""));
});

// A long pick list (the patients of a group encounter, the resources) gets a search box above it: typing
// narrows the list to the names that contain the words; what is ticked always stays in view.
const SEARCH_FROM = 6;

function addPickSearch(root) {
  root.querySelectorAll("input[data-search]").forEach((first) => {
    const list = first.closest("div[id]");
    if (!list || list.dataset.searchable === "yes") return;
    list.dataset.searchable = "yes";
    const choices = Array.from(list.querySelectorAll("input[data-search]"));
    // What is chosen already (the patient whose page she came from) comes first, in view without scrolling.
    choices
      .filter((choice) => choice.checked)
      .reverse()
      .forEach((choice) => list.prepend(choice.closest(`#${CSS.escape(list.id)} > *`) || choice));
    if (choices.length < SEARCH_FROM) return;
    const label = document.createElement("label");
    label.className = "pick-search";
    label.textContent = first.dataset.search;
    const box = document.createElement("input");
    box.type = "search";
    box.autocomplete = "off";
    box.setAttribute("aria-controls", list.id);
    label.append(box);
    list.before(label);
    box.addEventListener("input", () => {
      const words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      choices.forEach((choice) => {
        const row = choice.closest("label") || choice;
        const text = row.textContent.toLowerCase();
        row.hidden = !choice.checked && !words.every((word) => text.includes(word));
      });
    });
  });
}

document.addEventListener("DOMContentLoaded", () => addPickSearch(document));
document.addEventListener("htmx:load", (event) => addPickSearch(event.detail.elt));

// On a phone the menu is one row that scrolls sideways: the page's own item is brought into view.
document.addEventListener("DOMContentLoaded", () => {
  const current = document.querySelector('.nav [aria-current="page"]');
  const row = current && current.closest(".nav");
  if (row && row.scrollWidth > row.clientWidth) {
    row.scrollLeft = current.offsetLeft + current.offsetWidth - row.clientWidth + 16;
  }
});

// An encounter's own notes: only the notes of the women ticked are shown (without script, every one is, and only
// the ticked women's are saved).
function showOwnNotes(root) {
  const form = root instanceof Element ? root.closest("form") || root.querySelector("form") : null;
  if (!form || !form.querySelector("[data-note-for]")) return;
  const ticked = new Set([...form.querySelectorAll('input[name="patients"]:checked')].map((box) => box.value));
  form.querySelectorAll("[data-note-for]").forEach((note) => {
    const field = note.closest(".field") || note;
    field.hidden = !ticked.has(note.dataset.noteFor) && !note.value.trim();
  });
}
document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("form").forEach(showOwnNotes));
document.addEventListener("htmx:load", (event) => showOwnNotes(event.detail.elt));
document.addEventListener("change", (event) => {
  if (event.target instanceof HTMLInputElement && event.target.name === "patients") showOwnNotes(event.target);
});
