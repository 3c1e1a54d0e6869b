// A form with errors starts with a summary (templates/error_summary.html). Focus moves to it when the page opens
// and when htmx swaps a form with errors in, so a screen reader reads it and a keyboard starts there; each link in
// it moves focus to its field and shows the field's label (or its group's legend) with it.

function focusSummary(root) {
  const summary = root.matches("[data-error-summary]") ? root : root.querySelector("[data-error-summary]");
  if (summary instanceof HTMLElement) {
    summary.focus();
  }
}

function caption(input) {
  const group = input.closest("fieldset");
  if (group && group.querySelector("legend")) return group.querySelector("legend");
  return input.id ? document.querySelector(`label[for="${CSS.escape(input.id)}"]`) : null;
}

document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("[data-error-summary] a[href^='#']") : null;
  if (!link) return;
  const input = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
  if (!input) return;
  event.preventDefault();
  (caption(input) || input).scrollIntoView();
  input.focus({ preventScroll: true });
});

document.addEventListener("DOMContentLoaded", () => focusSummary(document.documentElement));

// htmx:load comes with each piece of page a swap puts in (the new form, for an outerHTML swap).
document.addEventListener("htmx:load", (event) => {
  const added = event.detail && event.detail.elt;
  if (added instanceof Element && added !== document.body) focusSummary(added);
});
