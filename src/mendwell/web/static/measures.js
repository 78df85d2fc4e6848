// Copy a self-report link to the clipboard. The address stays selectable without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("copy-link");
  if (!button) return;
  const field = document.getElementById(button.dataset.copyTarget);
  const status = document.getElementById("copy-status");
  button.classList.remove("js-hidden");
  button.addEventListener("click", async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      status.textContent = "Copied.";
    } catch (err) {
      status.textContent = "Select the link and copy it.";
    }
  });
});
