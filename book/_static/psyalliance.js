// The book's own page script (listed in _config.yml: sphinx.config.html_js_files). No network, no library.
// 1. Every table of the text scrolls sideways in a box of its own, with a cue while it is wider than the
//    column: a line "Wide table: scroll sideways ..." above it and shadowed edges where columns are hidden.
// 2. Every figure image opens at its full pixel size on click (a <dialog>; Escape, the Close button or a
//    click closes it). Without JavaScript the image is a plain link to the image file.
// 3. (Figures are not resized here: each is drawn so that its smallest text is at least 9 CSS px in a 390 px
//    phone's column, at the width the page gives it, never enlarged and never scrolled sideways; the browser
//    test measures it, psyalliance.figures.figtext.)
// 4. A code block or output that scrolls sideways can be reached by keyboard, also inside a folded solution.
// 5. Accessible names that match what the theme's buttons show (WCAG 2.5.3, label in name), and list roles
//    the reference list needs (tests/test_browser_pages.py runs axe-core on every page).
// Checked in a real browser by tests/test_browser_pages.py.
(function () {
  "use strict";

  const HINT = "\u2194 Wide table: scroll sideways to see every column.";

  function wrapTable(table) {
    const frame = document.createElement("div");
    frame.className = "table-scroll";
    frame.setAttribute("data-scroll-hint", "");
    const hint = document.createElement("p");
    hint.className = "table-scroll-hint";
    hint.setAttribute("aria-hidden", "true");
    hint.textContent = HINT;
    const view = document.createElement("div");
    view.className = "table-scroll__view";
    const box = document.createElement("div");
    box.className = "table-scroll__box";
    table.parentNode.insertBefore(frame, table);
    frame.append(hint, view);
    view.append(box);
    box.append(table);
    const caption = table.querySelector("caption");
    const update = function () {
      const wide = box.scrollWidth > box.clientWidth + 1;
      frame.classList.toggle("is-overflowing", wide);
      frame.classList.toggle("at-start", box.scrollLeft <= 1);
      frame.classList.toggle("at-end", box.scrollLeft + box.clientWidth >= box.scrollWidth - 1);
      if (wide) {  // reachable and named for keyboard and screen-reader users
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (caption ? caption.textContent.trim() + " " : "") + "(table, scrolls sideways)");
      } else {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    };
    box.addEventListener("scroll", update, { passive: true });
    if (window.ResizeObserver) new ResizeObserver(update).observe(box);
    update();
  }

  function tables() {
    const article = document.querySelector("main article") || document.querySelector("article");
    if (!article) return;
    article.querySelectorAll("table").forEach(function (table) {
      if (table.parentElement.closest("table") || table.closest(".table-scroll")) return;
      wrapTable(table);
    });
  }

  let dialog = null;

  function lightbox() {
    if (dialog) return dialog;
    dialog = document.createElement("dialog");
    dialog.className = "figure-lightbox";
    dialog.setAttribute("aria-label", "Figure at full size");
    const bar = document.createElement("div");
    bar.className = "figure-lightbox__bar";
    const note = document.createElement("span");
    note.textContent = "Full size (scroll if it is larger than the window). Esc or click to close.";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "figure-lightbox__close";
    close.textContent = "Close";
    close.addEventListener("click", function () { dialog.close(); });
    bar.append(note, close);
    const img = document.createElement("img");
    img.addEventListener("click", function () { dialog.close(); });
    dialog.append(bar, img);
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close();  // the backdrop
    });
    dialog.addEventListener("close", function () { img.removeAttribute("src"); });
    document.body.append(dialog);
    return dialog;
  }

  function open(thumb) {
    const box = lightbox();
    const img = box.querySelector("img");
    img.alt = thumb.alt;
    img.src = thumb.currentSrc || thumb.src;
    box.showModal();
    box.scrollTop = 0;
    box.scrollLeft = 0;
  }

  function figures() {
    document.querySelectorAll("main article figure img, main article .cell_output img").forEach(function (img) {
      let link = img.closest("a");
      if (link && !/\.(png|jpe?g|gif|svg|webp)([?#].*)?$/i.test(link.getAttribute("href") || "")) return;  // a real link
      if (!link) {
        link = document.createElement("a");
        link.href = img.getAttribute("src");
        img.parentNode.insertBefore(link, img);
        link.append(img);
      }
      link.classList.add("figure-zoom");
      link.title = "Open the figure at full size";
      link.addEventListener("click", function (event) {
        if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;  // new tab etc.
        event.preventDefault();
        open(img);
      });
    });
  }

  function scrollingOutputs() {
    // A code block or output that scrolls sideways (a long line on a phone) must be reachable by keyboard
    // (WCAG 2.1.1; axe's scrollable-region-focusable). The theme marks them at page load only, so a block
    // inside a folded solution, which has no width until it is unfolded, was missed: watch every block's size.
    const article = document.querySelector("main article") || document.querySelector("article");
    if (!article || !window.ResizeObserver) return;
    const watch = new ResizeObserver(function (entries) {
      entries.forEach(function (entry) {
        const pre = entry.target;
        if (pre.scrollWidth > pre.clientWidth + 1) {
          pre.tabIndex = 0;
          if (!pre.hasAttribute("aria-label")) {
            pre.setAttribute("role", "region");
            pre.setAttribute("aria-label", "Code or output, scrolls sideways");
            pre.dataset.psyallianceScroll = "";
          }
        } else if ("psyallianceScroll" in pre.dataset) {
          pre.removeAttribute("role");
          pre.removeAttribute("aria-label");
          delete pre.dataset.psyallianceScroll;
        }
      });
    });
    article.querySelectorAll("pre").forEach(function (pre) { watch.observe(pre); });
  }

  function names() {
    // The colour-mode button's icons carry titles ("Light", "Dark", "System Settings") that count as its
    // visible text but are not in its name "Color mode": they are decorative, the button's name says it all.
    document.querySelectorAll(".theme-switch-button").forEach(function (button) {
      const strip = function () {  // Font Awesome turns each <i title> into an <svg> with a <title>, at its own time
        button.querySelectorAll("[title]").forEach(function (icon) {
          icon.removeAttribute("title");
          icon.setAttribute("aria-hidden", "true");
        });
        button.querySelectorAll("svg").forEach(function (svg) {  // decorative: hidden, with no name to point at
          svg.querySelectorAll("title").forEach(function (title) { title.remove(); });
          svg.removeAttribute("aria-labelledby");
          svg.setAttribute("aria-hidden", "true");
        });
      };
      strip();
      if (!button.dataset.titlesStripped && window.MutationObserver) {
        button.dataset.titlesStripped = "1";
        new MutationObserver(strip).observe(button, { childList: true, subtree: true, attributes: true,
                                                      attributeFilter: ["title", "aria-labelledby"] });
      }
    });
    // The theme's search button shows "Search Ctrl+K" but is named "Search": name it by what it shows.
    document.querySelectorAll("button[aria-label], a[aria-label], summary[aria-label]").forEach(function (el) {
      const shown = (el.innerText || "").replace(/\s+/g, " ").trim();
      const label = el.getAttribute("aria-label").replace(/\s+/g, " ").trim();
      if (shown && !label.toLowerCase().includes(shown.toLowerCase())) el.removeAttribute("aria-label");  // named by its text
    });
  }

  function init() {
    tables();
    figures();
    scrollingOutputs();
    names();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  window.addEventListener("load", names);  // again once the theme's and extensions' scripts have run
})();
