"""Every built page, read in a real browser (headless Chromium) at a desktop and at a phone width.

Per page: no console error; table cells padded at least 4 px a side; alt text on every image; no table
cut off (a table wider than the text column scrolls inside a box of its own that shows a scroll cue); the
page never scrolls sideways; exactly one visible search box; every figure opens larger on click; no
serious or critical WCAG 2.1 A/AA violation found by axe-core (pinned in tests/axe/package-lock.json,
installed by `make axe`), theme chrome included, at both widths; and on a 390 px phone the smallest text
of every figure is at least 9 CSS px (its font size and dpi, which the build writes into the PNG, see
psyalliance.figures.figtext, times the figure's rendered width over its natural width), with no figure enlarged,
wider than the text column or scrolling sideways: the figures are drawn for the phone's column.
Folded parts (solutions, hidden cells) are unfolded before the tables, figures and axe rules are checked.
The pages come from the session's one strict build (the built_book fixture in conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest

import browser
from browser import DESKTOP, FAILING_IMPACTS, PHONE, axe_source, browser_console, run_axe, set_viewport, severe
from conftest import book_pages
from psyalliance.figures.figtext import DPI_KEY, MIN_TEXT_PX, PHONE_COLUMN_PX, PT_KEY

MIN_PADDING_PX = 4.0
MIN_FIGURE_TEXT_PX = MIN_TEXT_PX  # CSS px (9), the smallest text of a figure on a PHONE-wide page
MAX_LISTED = 8  # problems listed per page and kind in a failure message
FIGURES = "article figure img, article .cell_output img"  # the images that must open larger on click

# One pass over the rendered page, returning what the tests assert on (CSS px throughout).
PROBE = r"""
const px = v => parseFloat(v) || 0;
const art = document.querySelector('main article') || document.querySelector('article') || document.body;
const name = el => {
  const t = el.closest('table');
  const id = t ? (t.id ? '#' + t.id : (t.className ? 'table.' + t.className.split(' ')[0] : 'table')) : '';
  const txt = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 24);
  return `${id} ${el.tagName.toLowerCase()} "${txt}"`;
};
const out = {thin: [], noalt: [], cut: [], searches: [], pageWidth: document.documentElement.scrollWidth,
             viewWidth: window.innerWidth, tables: 0, scrolling: 0,
             figures: document.querySelectorAll(FIGURES).length};
for (const c of document.querySelectorAll('td, th')) {
  const s = getComputedStyle(c);
  const pad = [s.paddingTop, s.paddingRight, s.paddingBottom, s.paddingLeft].map(px);
  if (Math.min(...pad) < MIN_PAD) out.thin.push(`${name(c)} padding ${pad.map(p => p.toFixed(1)).join('/')} px`);
}
for (const img of document.images) {
  if (!(img.getAttribute('alt') || '').trim()) out.noalt.push(img.getAttribute('src'));
}
const ar = art.getBoundingClientRect();
for (const t of art.querySelectorAll('table')) {
  if (!t.checkVisibility({visibilityProperty: true}) || t.parentElement.closest('table')) continue;  // hidden, nested
  out.tables += 1;
  const r = t.getBoundingClientRect();
  if (r.left >= ar.left - 1 && r.right <= ar.right + 1) continue;  // fits in the text column
  let box = null;
  for (let a = t.parentElement; a && a !== art; a = a.parentElement) {
    if (getComputedStyle(a).overflowX !== 'visible') { box = a; break; }
  }
  const w = `${Math.round(r.width)} px wide in a ${Math.round(ar.width)} px column`;
  if (!box) { out.cut.push(`${name(t)}: ${w}, not in a scrolling box`); continue; }
  const ox = getComputedStyle(box).overflowX, br = box.getBoundingClientRect();
  if (ox !== 'auto' && ox !== 'scroll') { out.cut.push(`${name(t)}: ${w}, clipped (overflow-x: ${ox})`); continue; }
  if (br.left < ar.left - 1 || br.right > ar.right + 1) {
    out.cut.push(`${name(t)}: its scroll box is ${Math.round(br.width)} px, wider than the column`); continue;
  }
  out.scrolling += 1;
  // the cue: a scrollbar that takes room, or a visible hint element tied to this box
  const bar = box.offsetHeight - box.clientHeight - px(getComputedStyle(box).borderTopWidth)
              - px(getComputedStyle(box).borderBottomWidth);
  const frame = box.closest('[data-scroll-hint]');
  const hint = frame && frame.querySelector('.table-scroll-hint');
  const hintShown = hint && hint.checkVisibility({opacityProperty: true, visibilityProperty: true});
  if (!(bar > 0 || hintShown)) out.cut.push(`${name(t)}: scrolls, but shows no scrollbar or scroll hint`);
}
const kinds = 'input[type=search], input[name=q], .search-button-field, .search-button, [role=search]';
const shown = el => el.checkVisibility({opacityProperty: true, visibilityProperty: true}) && (() => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && r.right > 0 && r.left < innerWidth;
})();
const all = [...document.querySelectorAll(kinds)].filter(shown);
out.searches = all.filter(el => !all.some(o => o !== el && o.contains(el)))
                  .map(el => el.tagName.toLowerCase() + '.' + [...el.classList].join('.'));
return out;
""".replace("MIN_PAD", str(MIN_PADDING_PX)).replace("FIGURES", repr(FIGURES))

# Unfold what the reader can unfold (solutions, hidden cells), so that their tables are checked too.
UNFOLD = r"""
const done = arguments[0];
document.querySelectorAll('details').forEach(d => { d.open = true; });
document.querySelectorAll('.toggle-hidden').forEach(el => el.classList.remove('toggle-hidden'));
requestAnimationFrame(() => setTimeout(done, 100));  // let layout and resize observers settle
"""


# Each figure's smallest text in CSS px: pt and dpi from the PNG's text chunks (psyalliance.figures.figtext), the
# rendered and natural widths from the page; and whether the page enlarged it or lets it scroll sideways.
# Resolves to one entry per visible figure image.
FIGURE_TEXT = r"""
const done = arguments[arguments.length - 1];
const chunks = buf => {
  const v = new DataView(buf), out = {};
  for (let i = 8; i + 8 <= v.byteLength;) {
    const len = v.getUint32(i), type = String.fromCharCode(...new Uint8Array(buf, i + 4, 4));
    if (type === 'tEXt') {
      const bytes = new Uint8Array(buf, i + 8, len), zero = bytes.indexOf(0);
      out[String.fromCharCode(...bytes.slice(0, zero))] = String.fromCharCode(...bytes.slice(zero + 1));
    }
    if (type === 'IEND') break;
    i += 12 + len;
  }
  return out;
};
const art = document.querySelector('main article') || document.querySelector('article') || document.body;
const ar = art.getBoundingClientRect();
const imgs = [...document.querySelectorAll(FIGURES)].filter(i => i.getBoundingClientRect().width > 0);
const loaded = img => img.complete ? Promise.resolve() : new Promise(r => { img.onload = img.onerror = r; });
Promise.all(imgs.map(async img => {
  await loaded(img);
  const r = img.getBoundingClientRect(), shown = r.width, natural = img.naturalWidth;
  let pans = '';  // a box between the image and the article that scrolls sideways
  for (let a = img.parentElement; a && a !== art; a = a.parentElement) {
    const ox = getComputedStyle(a).overflowX;
    if ((ox === 'auto' || ox === 'scroll') && a.scrollWidth > a.clientWidth + 1) { pans = a.className || a.tagName; break; }
  }
  const column = img.parentElement.getBoundingClientRect().width;
  const base = {alt: (img.getAttribute('alt') || '').slice(0, 50), src: img.currentSrc.split('/').pop(), shown, natural,
                column, pans, outside: r.left < ar.left - 1 || r.right > ar.right + 1};
  if (!/\.png($|\?)/i.test(img.currentSrc)) return {...base, kind: 'not a PNG'};
  const meta = chunks(await (await fetch(img.currentSrc)).arrayBuffer());
  const pt = parseFloat(meta['PT_KEY']), dpi = parseFloat(meta['DPI_KEY']);
  if (!(pt > 0 && dpi > 0)) return {...base, kind: 'no text sizes recorded'};
  return {...base, kind: 'measured', pt, dpi, px: pt * dpi / 72 * shown / natural};
})).then(done, e => done([{kind: 'error ' + e}]));
""".replace("FIGURES", repr(FIGURES)).replace("PT_KEY", PT_KEY).replace("DPI_KEY", DPI_KEY)


def _visit(driver: Any, url: str) -> list[dict]:
    """Open url as a first-time visitor (empty storage) and return the console entries it logged."""
    driver.execute_script("try { localStorage.clear(); sessionStorage.clear(); } catch (e) {}")
    browser_console(driver)  # drop what earlier pages logged
    driver.get(url)
    driver.execute_async_script("const done = arguments[0]; setTimeout(done, 150);")  # late async scripts
    return browser_console(driver)


def _listed(problems: dict[str, list[str]]) -> str:
    lines = []
    for page, items in problems.items():
        more = f" (and {len(items) - MAX_LISTED} more)" if len(items) > MAX_LISTED else ""
        lines.append(f"{page}: " + "; ".join(items[:MAX_LISTED]) + more)
    return "\n".join(lines)


@pytest.fixture(scope="module")
def page_reports(chromium: Any, book_url: str, built_book: Any) -> dict[tuple[int, str], dict]:
    """For each viewport width and built page: the PROBE result plus the page's SEVERE console messages."""
    reports = {}
    pages = [p.as_posix() for p in book_pages(built_book)]
    try:
        axe = axe_source()
    except (pytest.skip.Exception, pytest.fail.Exception):
        axe = None  # test_no_serious_accessibility_violation skips or fails with the reason
    for width, height in (DESKTOP, PHONE):
        set_viewport(chromium, width, height)
        for page in pages:
            errors = severe(_visit(chromium, book_url + page))
            chromium.execute_async_script(UNFOLD)
            report = chromium.execute_script(PROBE)
            report["figure_text"] = chromium.execute_async_script(FIGURE_TEXT)
            report["axe"] = run_axe(chromium, axe) if axe else None
            report["errors"] = errors + severe(browser_console(chromium))  # also while unfolding
            reports[(width, page)] = report
    set_viewport(chromium, *DESKTOP)
    return reports


def _collect(reports: dict, key: str, width: int | None = None) -> dict[str, list[str]]:
    return {
        f"{page} @ {w} px": r[key]
        for (w, page), r in reports.items()
        if r[key] and (width is None or w == width)
    }


@pytest.mark.slow
def test_every_page_was_checked(page_reports, built_book):
    pages = book_pages(built_book)
    assert len(pages) >= 10, f"only {len(pages)} pages were built"
    tables = sum(r["tables"] for (w, _), r in page_reports.items() if w == DESKTOP[0])
    assert tables >= 20, f"only {tables} visible tables on all pages: the probe looks in the wrong place"


@pytest.mark.slow
def test_no_console_error(page_reports):
    problems = _collect(page_reports, "errors")
    assert not problems, "console errors (SEVERE):\n" + _listed(problems)


@pytest.mark.slow
def test_table_cells_are_padded(page_reports):
    problems = _collect(page_reports, "thin", DESKTOP[0])
    assert not problems, f"table cells with less than {MIN_PADDING_PX} px padding:\n" + _listed(problems)


@pytest.mark.slow
def test_every_image_has_alt_text(page_reports):
    problems = _collect(page_reports, "noalt", DESKTOP[0])
    assert not problems, "images without alt text:\n" + _listed(problems)


@pytest.mark.slow
def test_no_table_is_cut_off(page_reports):
    problems = _collect(page_reports, "cut")
    assert not problems, "tables cut off instead of scrolling inside the text column:\n" + _listed(problems)
    phone = sum(r["scrolling"] for (w, _), r in page_reports.items() if w == PHONE[0])
    assert phone > 0, "no table scrolls at phone width: the wide-table check never ran"


@pytest.mark.slow
def test_page_never_scrolls_sideways(page_reports):
    wide = {
        f"{page} @ {w} px": [f"page is {r['pageWidth']} px wide in a {r['viewWidth']} px window"]
        for (w, page), r in page_reports.items()
        if r["pageWidth"] > r["viewWidth"] + 1
    }
    assert not wide, "pages wider than the window:\n" + _listed(wide)


@pytest.mark.slow
def test_exactly_one_search_box(page_reports):
    wrong = {
        f"{page} @ {w} px": [f"{len(r['searches'])} visible: {r['searches']}"]
        for (w, page), r in page_reports.items()
        if len(r["searches"]) != 1
    }
    assert not wrong, "pages without exactly one visible search box:\n" + _listed(wrong)


def _axe_problems(violations: list[dict]) -> list[str]:
    """One line per serious or critical axe violation: rule, impact, node count, first node and how to fix it."""
    out = []
    for v in violations:
        if v["impact"] in FAILING_IMPACTS:
            first = v["nodes"][0] if v["nodes"] else {"target": "", "html": "", "summary": ""}
            out.append(f"[{v['id']}, {v['impact']}, {len(v['nodes'])} node(s)] {v['help']} ({v['url']}); first: "
                       f"{first['target']} {first['html']!r}: {first['summary']}")
    return out


@pytest.mark.slow
def test_no_serious_accessibility_violation(page_reports):
    axe_source()  # skips (or, with CI set, fails) when axe-core is not installed, naming `make axe`
    assert all(r["axe"] is not None for r in page_reports.values())
    problems = {f"{page} @ {w} px": _axe_problems(r["axe"]) for (w, page), r in page_reports.items()}
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, "serious or critical axe-core violations (WCAG 2.1 A/AA):\n" + _listed(problems)


@pytest.mark.slow
def test_figure_text_is_readable_on_a_phone(page_reports):
    """Every figure of every page at 390 px: smallest text >= 9 CSS px as the page shows it, the figure neither
    enlarged beyond its own pixels nor wider than the text column nor in a box that scrolls sideways."""
    problems: dict[str, list[str]] = {}
    measured = 0
    for (w, page), r in sorted(page_reports.items()):
        if w != PHONE[0]:
            continue
        for f in r["figure_text"]:
            where = f"{page} @ {w} px"
            if f["kind"] != "measured":
                problems.setdefault(where, []).append(f"{f.get('src')} ({f.get('alt')!r}): {f['kind']}")
                continue
            measured += 1
            print(f"{page}: {f['src'][:16]} {f['alt'][:40]!r}: {f['px']:.1f} px ({f['pt']:g} pt, shown {f['shown']:.0f} "
                  f"of {f['natural']} px)")
            name = f"{f['src']} ({f['alt']!r})"
            if f["px"] < MIN_FIGURE_TEXT_PX:
                problems.setdefault(where, []).append(
                    f"{name}: smallest text {f['px']:.1f} px ({f['pt']:g} pt at {f['dpi']:g} dpi, "
                    f"shown {f['shown']:.0f} of {f['natural']} px wide)")
            if f["shown"] > f["natural"] + 1:
                problems.setdefault(where, []).append(f"{name}: enlarged to {f['shown']:.0f} px from {f['natural']} px")
            if f["outside"] or f["pans"]:
                problems.setdefault(where, []).append(
                    f"{name}: " + (f"scrolls sideways in {f['pans']}" if f["pans"] else "wider than the text column"))
            if f["shown"] < f["natural"] - 1 and f["shown"] < PHONE_COLUMN_PX - 1:
                problems.setdefault(where, []).append(
                    f"{name}: shown {f['shown']:.0f} px wide, narrower than the {PHONE_COLUMN_PX} px column the "
                    "figures are drawn for (psyalliance.figures.figtext.PHONE_COLUMN_PX, tests/test_phone_figures.py)")
    assert measured >= 10, f"only {measured} figures measured: the selector {FIGURES!r} misses them"
    assert not problems, (f"figures not readable on a {PHONE[0]} px phone (smallest text under "
                          f"{MIN_FIGURE_TEXT_PX:g} CSS px, enlarged, or scrolled sideways):\n" + _listed(problems))


@pytest.mark.slow
@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_figures_open_larger_on_click(chromium, book_url, page_reports, size):
    set_viewport(chromium, *size)
    problems: dict[str, list[str]] = {}
    clicked = 0
    try:
        for page in sorted(p for (w, p), r in page_reports.items() if w == size[0] and r["figures"]):
            _visit(chromium, book_url + page)
            for i in range(len(chromium.find_elements("css selector", FIGURES))):
                problem = _open_figure(chromium, i)
                clicked += 1
                if problem:
                    problems.setdefault(f"{page} @ {size[0]} px", []).append(problem)
            for error in severe(browser_console(chromium)):
                problems.setdefault(f"{page} @ {size[0]} px", []).append(f"console error: {error}")
    finally:
        set_viewport(chromium, *DESKTOP)
    assert clicked >= 10, f"only {clicked} figures found: the selector {FIGURES!r} misses them"
    assert not problems, "figures that do not open larger on click:\n" + _listed(problems)


OPENED = r"""
const src = arguments[0];
const big = [...document.images].filter(i => i.dataset.figureIndex === undefined && i.currentSrc === src
  && i.checkVisibility({opacityProperty: true, visibilityProperty: true}));
return big.map(i => [i.getBoundingClientRect().width, i.naturalWidth]);
"""


def _open_figure(driver: Any, index: int) -> str | None:
    """Click figure number index of the page; None when it opened larger (and closed again), else why not."""
    from selenium.webdriver.common.keys import Keys

    img = driver.find_elements("css selector", FIGURES)[index]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].dataset.figureIndex = 1", img)
    src, alt = img.get_attribute("currentSrc"), (img.get_attribute("alt") or "")[:40]
    shown_w = driver.execute_script("return arguments[0].getBoundingClientRect().width", img)
    natural_w = driver.execute_script("return arguments[0].naturalWidth", img)
    page = driver.current_url
    img.click()
    if driver.current_url != page:  # a plain link to the image file: the browser shows it at full size
        ok = driver.current_url == src
        driver.back()
        return None if ok else f"{alt!r}: the click went to {driver.current_url}, not to the image"
    opened = driver.execute_script(OPENED, src)
    try:
        if not opened:
            return f"{alt!r}: nothing opened"
        width = max(w for w, _ in opened)
        if not (width > shown_w + 1 or width >= natural_w - 1):
            return f"{alt!r}: opened at {width:.0f} px, shown at {shown_w:.0f} px, full size {natural_w} px"
        driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        if driver.execute_script(OPENED, src):
            return f"{alt!r}: Escape does not close the enlarged figure"
    finally:
        driver.execute_script("arguments[0].removeAttribute('data-figure-index')", img)
    return None


def test_missing_browser_skips_outside_ci(monkeypatch):
    monkeypatch.setattr(browser, "find_browser", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium"):
        browser.require_browser()


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_missing_browser_fails_in_ci(monkeypatch, value):
    monkeypatch.setattr(browser, "find_browser", lambda: None)
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="may not be skipped"):
        browser.require_browser()
