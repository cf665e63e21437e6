// Build Practical dashboard. A file, not inline script: the pages' CSP allows only 'self'.

// A feature still in progress refreshes when it changes: the page asks a small JSON endpoint
// every few seconds and reloads when the feature's fingerprint moves; it stops once it is over.
(() => {
  const live = document.querySelector("[data-poll-url]");
  if (!live) return;
  const url = live.getAttribute("data-poll-url");
  const fingerprint = live.getAttribute("data-fingerprint");
  const every = Number(live.getAttribute("data-poll-ms")) || 5000;
  const tick = async () => {
    try {
      const response = await fetch(url, {
        headers: { accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.ok) {
        const state = await response.json();
        if (state.fingerprint !== fingerprint) {
          window.location.reload();
          return;
        }
        if (!state.working) {
          live.textContent = "";
          return;
        }
      }
    } catch {
      // Offline for a moment: try again at the next tick.
    }
    window.setTimeout(tick, every);
  };
  window.setTimeout(tick, every);
})();

// Forms that destroy something ask first.
for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.getAttribute("data-confirm") || "Are you sure?")) {
      event.preventDefault();
    }
  });
}
