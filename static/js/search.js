// Search page, made quicker: facet links, paging and the refine form load the next results in
// place (the URL and the back button still work), and the place field suggests cities as you
// type. Without this file every control works as a plain link or form.
(function () {
  "use strict";
  const main = document.getElementById("main");
  if (!main || !window.fetch || !window.history.pushState) return;
  // The address of the results on show, without its #fragment (see the popstate listener).
  let shown = withoutFragment(window.location.href);

  function withoutFragment(url) {
    const address = new URL(url, window.location.href);
    address.hash = "";
    return address.href;
  }

  async function load(url, push) {
    main.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(url, { headers: { Accept: "text/html" } });
      if (!response.ok || !response.headers.get("Content-Type").startsWith("text/html")) {
        window.location.assign(url);
        return;
      }
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const next = page.getElementById("main");
      if (!next) { window.location.assign(url); return; }
      main.innerHTML = next.innerHTML;
      document.title = page.title;
      if (push) window.history.pushState({}, "", url);
      shown = withoutFragment(url);
      // wire() first: it makes the new status focusable, so focus lands on the new count instead of
      // being lost with the link that was replaced (a keyboard user would start over at the top).
      wire();
      const status = document.getElementById("search-status");
      if (status) status.focus({ preventScroll: true });
    } catch (error) {
      window.location.assign(url);
    } finally {
      main.removeAttribute("aria-busy");
    }
  }

  function wire() {
    main.querySelectorAll(".facet__value, .facet__more a, .facet__shortcut a, .chip, .pagination a, .suggestion a").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        load(link.href, true);
      });
    });
    const form = main.querySelector("form.refine");
    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        const params = new URLSearchParams(new FormData(form));
        for (const [key, value] of Array.from(params.entries())) {
          if (value === "") params.delete(key);
        }
        load(form.action + "?" + params.toString(), true);
      });
      suggestPlaces(form.querySelector("input[data-suggest]"));
    }
    const status = document.getElementById("search-status");
    if (status) status.setAttribute("tabindex", "-1");
  }

  function suggestPlaces(input) {
    if (!input) return;
    const list = document.getElementById(input.getAttribute("list"));
    let timer = null;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      const text = input.value.trim();
      if (text.length < 2) return;
      timer = window.setTimeout(async function () {
        const response = await fetch(input.dataset.suggest + "?q=" + encodeURIComponent(text));
        if (!response.ok) return;
        const data = await response.json();
        list.replaceChildren(...data.places.map(function (place) {
          const option = document.createElement("option");
          option.value = place.label;
          return option;
        }));
      }, 150);
    });
  }

  window.addEventListener("popstate", function () {
    // Following a #fragment link (the skip link) fires popstate too; only another search reloads the
    // results, or the reload would take the focus the skip link just gave to the main content.
    if (withoutFragment(window.location.href) === shown) return;
    load(window.location.href, false);
  });
  wire();
})();
