// Answer boxes under the self-checked exercises (listed in _config.yml: sphinx.config.html_js_files).
// Offline: no network, no library. Each box <div class="answer-box"> holds its check as JSON
// (psyalliance.teaching.webcheck.box_payload, written by book/_ext/answer_boxes.py when the book is built): the
// expected answer computed from the book's simulated dataset, each part's tolerance and the hints in
// steps, all taken from the notebook's self-check. This script draws a field per part and a Check button,
// and compares as psyalliance.teaching.selfcheck.compare does: the first part that is off is named, integers must
// be exact, a set must hold exactly the right names, a choice (a drop-down list with its label) must be the
// right option. A wrong answer shows the next step of the hint: the exercise's, or for a question of its own
// (a part with its own hints, a yes/no after the computation) that question's.
// Checked in a real browser by tests/test_answer_boxes.py.
(function () {
  "use strict";

  function parseNumber(text) {  // as psyalliance.teaching.webcheck.parse_number
    let t = text.trim().replace(/\u2212/g, "-");
    if ((t.match(/,/g) || []).length === 1 && t.indexOf(".") < 0) t = t.replace(",", ".");
    if (t === "" || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
    return parseFloat(t);
  }

  function compareNumber(part, text) {
    const got = parseNumber(text);
    if (got === null) return `${part.where} should be a number`;
    if (part.value === null) return null;  // an expected NaN: nothing to compare
    if (part.integer) return got === part.value ? null : `${part.where} is not the right count`;
    if (Math.abs(got - part.value) <= part.tol * (1 + 1e-9) + 1e-12) return null;
    return got * part.value < 0 ? `${part.where} has the wrong sign` : `${part.where} is off`;
  }

  function setItems(part, text) {
    const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
    if (!part.nested) return lines;
    return lines.map((l) => l.split(",").map((x) => x.trim()).filter((x) => x !== "").sort().join(", "));
  }

  function compareSet(part, text) {
    const got = new Set(setItems(part, text));
    const want = new Set(part.items);
    if (got.size === want.size && [...got].every((x) => want.has(x))) return null;
    const n = got.size;
    return `${part.where} has ${n} items, ` +
      (n === want.size ? "the right number but not the right ones" : "not the right number");
  }

  function compareChoice(part, value) {  // as psyalliance.teaching.selfcheck.compare for a Choice
    const named = part.options.map((o) => `"${o}"`).join(" or ");
    const word = value.trim().split(/\s+/).join(" ").toLowerCase();
    const option = Object.prototype.hasOwnProperty.call(part.words, word) ? part.words[word] : null;
    if (option === null) return `${part.where} should be one of ${named}, not '${value}'`;
    return option === part.value ? null : `${part.where} is not the right one of ${named}`;
  }

  function compare(part, value) {
    if (part.kind === "number") return compareNumber(part, value);
    if (part.kind === "choice") return compareChoice(part, value);
    if (part.kind === "set") return compareSet(part, value);
    if (part.kind === "bool") {
      if (value !== "True" && value !== "False") return `${part.where} should be True or False`;
      return (value === "True") === part.value ? null : `${part.where} should be True or False`;
    }
    return `${part.where} is not right`;
  }

  function field(box, part, k) {
    const id = `${box.id}-part-${k}`;
    const row = document.createElement("div");
    row.className = "answer-box__row";
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = part.key === null ? "Your answer" : part.key;
    let input;
    if (part.kind === "set") {
      input = document.createElement("textarea");
      input.rows = Math.max(3, part.items.length + 1);
      label.textContent = part.nested ? "Your answer (one set a line, its names separated by commas)"
        : "Your answer (one name a line)";
    } else if (part.kind === "choice") {
      input = document.createElement("select");  // a native select: labelled, keyboard operable
      label.textContent = part.label || part.key || "Your answer";
      for (const v of ["", ...part.options]) {
        const o = document.createElement("option");
        o.value = v;
        o.textContent = v === "" ? "choose" : v;
        input.append(o);
      }
    } else if (part.kind === "bool") {
      input = document.createElement("select");
      for (const v of ["", "True", "False"]) {
        const o = document.createElement("option");
        o.value = v;
        o.textContent = v === "" ? "choose" : v;
        input.append(o);
      }
    } else {
      input = document.createElement("input");
      input.type = "text";
      input.inputMode = "decimal";
      input.autocomplete = "off";
      input.spellcheck = false;
    }
    input.id = id;
    input.className = "answer-box__input";
    input.dataset.part = String(k);
    row.append(label, input);
    return row;
  }

  function setUp(box, n) {
    const script = box.querySelector("script.answer-box-data");
    if (!script) return;
    const spec = JSON.parse(script.textContent);
    box.id = box.id || `answer-box-${n}`;
    const form = document.createElement("form");
    form.className = "answer-box__form";
    form.setAttribute("aria-label", `Answer box of Exercise ${spec.number}`);
    const title = document.createElement("p");
    title.className = "answer-box__title";
    title.textContent = `Check your answer to Exercise ${spec.number} here (offline, in your browser):`;
    form.append(title);
    spec.parts.forEach((part, k) => form.append(field(box, part, k)));
    const button = document.createElement("button");
    button.type = "submit";
    button.className = "answer-box__check";
    button.textContent = "Check";
    const out = document.createElement("p");
    out.className = "answer-box__verdict";
    out.setAttribute("role", "status");
    out.setAttribute("aria-live", "polite");
    form.append(button, out);
    const attempts = {};  // wrong answers so far, per set of hints: which step to show
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const inputs = form.querySelectorAll(".answer-box__input");
      const values = [...inputs].map((i) => i.value);
      if (values.every((v) => v.trim() === "")) {
        out.textContent = `Exercise ${spec.number} is still open: type your answer above, then press Check.`;
        out.dataset.verdict = "open";
        return;
      }
      let problem = null;
      let k = 0;
      for (; k < spec.parts.length; k += 1) {
        problem = compare(spec.parts[k], values[k]);
        if (problem !== null) break;
      }
      if (problem === null) {
        for (const key of Object.keys(attempts)) delete attempts[key];
        out.textContent = `Correct: Exercise ${spec.number} (${spec.label}) matches the answer computed from ` +
          `the book's simulated dataset, ${spec.tolerance}.`;
        out.dataset.verdict = "correct";
        return;
      }
      const own = spec.parts[k].hints;
      const hints = own || spec.hints;
      const which = own ? `part-${k}` : "exercise";
      const n = hints.length;
      const step = Math.min(attempts[which] || 0, n - 1);
      attempts[which] = (attempts[which] || 0) + 1;
      const more = step + 1 < n ? " (check again for the next hint)" : "";
      out.textContent = `Not yet (Exercise ${spec.number}): ${problem}. Hint ${step + 1} of ${n}: ` +
        `${hints[step]}${more}`;
      out.dataset.verdict = "not-yet";
    });
    box.replaceChildren(form);
    box.dataset.ready = "true";
  }

  function start() {
    document.querySelectorAll("div.answer-box").forEach((box, n) => setUp(box, n));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
