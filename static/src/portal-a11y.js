// Focus and announcements for keyboard and screen-reader users (issue 12, items 2 and 3).
// Loaded with <script src defer> where it is needed: the pages are under a CSP without inline
// script. Everything here is an enhancement; the pages work without it.
(() => {
  if (window.portalA11y) return; // the tag may be on a page more than once
  window.portalA11y = true;
  const RETURN_KEY = "portal:return-to";

  // Focus the element a summary link points to (a fragment link only scrolls), and bring its
  // label into view with it, as the GOV.UK error summary does.
  const focusTarget = (event) => {
    const id = decodeURIComponent(event.currentTarget.hash.slice(1));
    const target = document.getElementById(id);
    if (!target) return;
    event.preventDefault();
    const label = document.querySelector(`label[for="${CSS.escape(id)}"]`) || target;
    label.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
  };

  const start = () => {
    const summary = document.querySelector("[data-error-summary]");
    if (summary) {
      // autofocus did it in most browsers; this covers the rest.
      if (!summary.contains(document.activeElement)) summary.focus();
      for (const link of summary.querySelectorAll('a[href^="#"]')) {
        link.addEventListener("click", focusTarget);
      }
    }

    // A form marked data-return-to sends the user back to that element after its POST
    // redirects to the same page, and has the page's message read out there.
    for (const form of document.querySelectorAll("form[data-return-to]")) {
      form.addEventListener("submit", () => {
        try {
          sessionStorage.setItem(RETURN_KEY, `${location.pathname}#${form.dataset.returnTo}`);
        } catch {
          // storage refused (private mode): the page simply loads at its top
        }
      });
    }
    let back = null;
    try {
      back = sessionStorage.getItem(RETURN_KEY);
      sessionStorage.removeItem(RETURN_KEY);
    } catch {
      return;
    }
    if (!back || summary) return; // with errors, the summary has the focus
    const [path, id] = back.split("#");
    const target = path === location.pathname && document.getElementById(id);
    if (!target) return;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
    const message = document.querySelector("main [role=status]:not([data-announcer]) p");
    const announcer = target.querySelector("[data-announcer]") || document.querySelector("[data-announcer]");
    if (message && announcer) {
      // A live region announces a change, not what a page loads with: fill it a moment later.
      setTimeout(() => {
        announcer.textContent = message.textContent.trim();
      }, 250);
    }
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
