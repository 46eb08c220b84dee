// Print buttons without inline handlers (the CSP forbids inline script).
document.querySelectorAll(".js-print").forEach((b) => b.addEventListener("click", () => window.print()));
