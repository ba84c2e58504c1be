// Progressive enhancement for Berth's pages: every page works without this file. No inline script is
// ever needed (the Content-Security-Policy forbids it); everything hooks onto data- attributes.

function onReady(fn) {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
  else fn();
}

/**
 * Copy buttons: `data-copy="<id>"` copies an input's value or an element's text (a snippet's <pre>).
 * Hidden until this script shows them.
 */
function setUpCopyButtons() {
  for (const button of document.querySelectorAll("[data-copy]")) {
    const source = document.getElementById(button.dataset.copy);
    const status = document.querySelector(`[data-copied-for="${button.dataset.copy}"]`);
    if (!source) continue;
    const isField = source instanceof HTMLInputElement || source instanceof HTMLTextAreaElement;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(isField ? source.value : source.textContent);
        if (status) status.textContent = "Copied to the clipboard.";
      } catch {
        if (isField) {
          source.focus();
          source.select();
        } else {
          window.getSelection()?.selectAllChildren(source);
        }
        if (status) status.textContent = "Press Ctrl+C (⌘C on a Mac) to copy.";
      }
    });
  }
}

/** One shared <dialog> asks before forms marked `data-confirm`; confirming posts with confirm=yes. */
function setUpConfirmations() {
  const forms = document.querySelectorAll("form[data-confirm]");
  if (forms.length === 0 || typeof HTMLDialogElement === "undefined") return;
  const dialog = document.createElement("dialog");
  dialog.setAttribute("aria-labelledby", "confirm-title");
  dialog.innerHTML =
    '<form method="dialog"><h2 id="confirm-title">Are you sure?</h2><p id="confirm-message"></p>' +
    '<div class="row"><button value="cancel" type="submit">Cancel</button>' +
    '<button value="confirm" type="submit" class="danger" id="confirm-button">Confirm</button></div></form>';
  document.body.append(dialog);
  let pending = null;
  dialog.addEventListener("close", () => {
    const form = pending;
    pending = null;
    if (!form || dialog.returnValue !== "confirm") return;
    const confirm = document.createElement("input");
    confirm.type = "hidden";
    confirm.name = "confirm";
    confirm.value = "yes";
    form.append(confirm);
    form.submit();
  });
  for (const form of forms) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      pending = form;
      dialog.querySelector("#confirm-message").textContent = form.dataset.confirm;
      dialog.querySelector("#confirm-button").textContent = form.dataset.confirmButton || "Confirm";
      dialog.returnValue = "";
      dialog.showModal();
      dialog.querySelector('button[value="cancel"]').focus();
    });
  }
}

/** Shows the permission editor only for fine-grained tokens. */
function setUpTokenType() {
  const section = document.querySelector("[data-fine-grained]");
  if (!section) return;
  const radios = document.querySelectorAll('input[name="tokenType"]');
  const update = () => {
    const checked = document.querySelector('input[name="tokenType"]:checked');
    section.hidden = checked?.value !== "fineGrained";
  };
  for (const radio of radios) radio.addEventListener("change", update);
  update();
}

/**
 * The repository picker: searches the repos the viewer can see through the JSON API (with the session
 * cookie) and adds a permission block per chosen repo, cloned from the page's <template>.
 */
function setUpRepoPicker() {
  const picker = document.querySelector("[data-repo-picker]");
  const scopes = document.querySelector("[data-repo-scopes]");
  const template = document.getElementById("repo-scope-template");
  if (!picker || !scopes || !template) return;
  const input = picker.querySelector("#newRepo");
  const typeSelect = picker.querySelector("#newRepoType");
  const results = picker.querySelector("#repo-results");
  for (const element of picker.querySelectorAll("[data-no-script]")) element.hidden = true;
  input.removeAttribute("name");
  typeSelect.removeAttribute("name");
  input.setAttribute("placeholder", "Search by name");
  const help = document.getElementById("newRepo-help");
  if (help) help.textContent = "Type part of a name to search the repositories you can see, then add one.";
  let nextIndex = Number(scopes.dataset.nextIndex || "0");
  let timer;
  let generation = 0;

  const added = (type, name) =>
    [...scopes.querySelectorAll('input[name="repo"]')].some((hidden) => hidden.value === `${type}:${name}`);

  function addScope(type, name) {
    if (added(type, name)) return;
    const index = nextIndex++;
    const fragment = template.content.cloneNode(true);
    const key = `${type}:${name}`;
    fragment.querySelector("legend").textContent = `${type} ${name}`;
    fragment.querySelector('input[name="repo"]').value = key;
    for (const box of fragment.querySelectorAll('input[type="checkbox"]')) {
      box.name = `repoPermissions:${key}`;
      box.id = box.id.replace("-9999-", `-${index}-`);
    }
    for (const label of fragment.querySelectorAll("label")) {
      label.htmlFor = label.htmlFor.replace("-9999-", `-${index}-`);
    }
    fragment.querySelector("[data-remove-scope]").textContent = `Remove ${name}`;
    scopes.append(fragment);
  }

  async function search() {
    const term = input.value.trim();
    const mine = ++generation;
    results.replaceChildren();
    if (term.length === 0) return;
    const type = typeSelect.value;
    const response = await fetch(`/api/${type}s?search=${encodeURIComponent(term)}&limit=10`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (mine !== generation) return;
    if (!response.ok) {
      const item = document.createElement("li");
      item.textContent = "The search failed; try again.";
      results.append(item);
      return;
    }
    const repos = await response.json();
    if (repos.length === 0) {
      const item = document.createElement("li");
      item.textContent = "No repository you can see matches.";
      results.append(item);
    }
    for (const repo of repos) {
      const item = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = repo.id + (repo.private ? " (private)" : "");
      const add = document.createElement("button");
      add.type = "button";
      add.className = "small";
      add.textContent = "Add";
      add.setAttribute("aria-label", `Add ${repo.id}`);
      add.addEventListener("click", () => {
        addScope(type, repo.id);
        results.replaceChildren();
        input.value = "";
        input.focus();
      });
      item.append(name, add);
      results.append(item);
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  input.addEventListener("keydown", (event) => {
    // Enter searches instead of submitting the whole token form.
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(timer);
      search();
    }
  });
  scopes.addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove-scope]");
    if (button) button.closest("[data-repo-scope]").remove();
  });
}

/** A card's table wider than its column scrolls; keyboard users need to reach it to scroll it. */
function setUpScrollableCards() {
  for (const element of document.querySelectorAll(".markdown table, .markdown pre")) {
    if (element.scrollWidth > element.clientWidth) element.tabIndex = 0;
  }
}

onReady(() => {
  setUpScrollableCards();
  setUpCopyButtons();
  setUpConfirmations();
  setUpTokenType();
  setUpRepoPicker();
});
