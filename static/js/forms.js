// Forms: a button marked data-once can be pressed once; a second tap while the page loads sends nothing more.
// (The server also refuses a repeated enrollment: this only saves a confusing wait.)
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.sending === "yes") {
    event.preventDefault();
    return;
  }
  if (form.querySelector("[data-once]")) {
    form.dataset.sending = "yes";
    form.querySelectorAll("[data-once]").forEach((button) => button.setAttribute("aria-disabled", "true"));
  }
});

// A form sent by htmx stays on the page: once its request is over (answered, refused or lost with the
// connection), it can be sent again.
document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt.closest && event.detail.elt.closest("form");
  if (form) {
    delete form.dataset.sending;
    form.querySelectorAll("[data-once]").forEach((button) => button.removeAttribute("aria-disabled"));
  }
});
