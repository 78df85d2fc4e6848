// The live dosing-session page: a panel's form answered with 422 (a field to correct) or 409 (the
// record changed meanwhile) still replaces the panel, so the message shows next to the field.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if (status === 422 || status === 409) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
// After a panel is swapped, move focus to its first error or keep the reader in the panel.
document.addEventListener("htmx:afterSwap", (event) => {
  const panel = event.detail.target;
  if (!panel || !panel.classList || !panel.classList.contains("live-panel")) return;
  const fresh = document.getElementById(panel.id) || panel;
  const problem = fresh.querySelector('[aria-invalid="true"], .error-summary, .conflict, .alert[role="alert"]');
  if (problem) problem.focus({ preventScroll: false });
});
