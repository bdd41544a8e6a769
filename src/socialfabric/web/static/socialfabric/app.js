/* Small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  function announce(text) {
    var live = document.getElementById("live-status");
    if (!live || !text) return;
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  // A visible confirmation too (for everyone, not only screen readers), gone after a while.
  var flashTimer = null;
  function flash(text) {
    if (!text) return;
    var note = document.getElementById("flash");
    if (!note) {
      note = document.createElement("p");
      note.id = "flash";
      note.className = "notice notice-success flash";
      note.setAttribute("aria-hidden", "true"); // the live region says it once
      document.body.appendChild(note);
    }
    note.textContent = text;
    note.hidden = false;
    window.clearTimeout(flashTimer);
    flashTimer = window.setTimeout(function () { note.hidden = true; }, 5000);
  }

  function errorSlot(form) {
    return form && form.id ? document.getElementById(form.id + "-error") : null;
  }

  // Forms that ask for confirmation first (remove a post, revoke a token).
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (form.matches && form.matches("form[data-confirm]") && !window.confirm(form.getAttribute("data-confirm"))) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);

  // A new request clears the form's old error message.
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var slot = errorSlot(evt.detail.elt);
    if (slot) slot.textContent = "";
    var page = document.getElementById("page-error");
    if (page) page.textContent = "";
  });

  // After a successful inline post or reply: empty the form, fold the reply box, say so.
  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt;
    if (!evt.detail.successful || !form.hasAttribute || !form.hasAttribute("data-reset-on-success")) return;
    form.reset();
    var details = form.closest("details");
    if (details) {
      details.open = false;
      var summary = details.querySelector("summary");
      if (summary) summary.focus();
    }
    announce(form.getAttribute("data-success-message"));
    flash(form.getAttribute("data-success-message"));
  });

  // Server errors (5xx) and lost connections get a message instead of silence.
  function failed(evt) {
    var xhr = evt.detail.xhr;
    if (xhr && xhr.status >= 400 && xhr.status < 500) return; // shown in the form by the server
    var page = document.getElementById("page-error");
    if (page) {
      page.innerHTML = "";
      var p = document.createElement("p");
      p.className = "notice notice-error";
      p.textContent = "Something went wrong and nothing was saved. Please try again.";
      page.appendChild(p);
    }
  }
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);

  // The home composer: "Announcement" only for a community the member moderates (its
  // <option> carries data-announce); the service refuses it elsewhere anyway.
  function narrowKinds() {
    var select = document.getElementById("composer-community");
    var radio = document.querySelector('#composer input[name="kind"][value="announcement"]');
    if (!select || !radio) return;
    var option = select.options[select.selectedIndex];
    var allowed = !!(option && option.hasAttribute("data-announce"));
    radio.disabled = !allowed;
    radio.closest("label").hidden = !allowed;
    if (!allowed && radio.checked) {
      var first = document.querySelector('#composer input[name="kind"]:not([disabled])');
      if (first) first.checked = true;
    }
  }
  document.addEventListener("change", function (evt) {
    if (evt.target && evt.target.id === "composer-community") narrowKinds();
  });
  document.addEventListener("DOMContentLoaded", narrowKinds);

  // A link to a reply inside a folded branch ("12 more replies") opens the branch first.
  function revealTarget() {
    var id = window.location.hash.slice(1);
    var target = id && document.getElementById(id);
    if (!target) return;
    var opened = false;
    for (var el = target.parentElement; el; el = el.parentElement) {
      if (el.tagName === "DETAILS" && !el.open) { el.open = true; opened = true; }
    }
    if (opened) target.scrollIntoView();
  }
  document.addEventListener("DOMContentLoaded", revealTarget);
  window.addEventListener("hashchange", revealTarget);
})();
