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
