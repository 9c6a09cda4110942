"""Answer boxes on the web page: one under every exercise that has a self-check.

At ``doctree-resolved`` this extension finds sphinx-exercise's exercise nodes, and for each whose label
has a self-check (:func:`psyalliance.teaching.selfcheck.labels`) appends to the exercise's content a
``<div class="answer-box">`` holding the check as JSON (:func:`psyalliance.teaching.webcheck.box_payload`: the
expected answer computed now from the book's simulated dataset, the tolerance of each part and the hints,
all from the self-check's registry). ``book/_static/answerbox.js`` turns it into fields (a labelled
drop-down list for a yes/no or choice, the exercise's questions of their own after its parts) and a Check
button that says Correct or Not yet, offline. Without JavaScript the box says that the notebook's check does the
same. A self-checked exercise whose answer a box cannot hold stops the build (webcheck.UnsupportedAnswer).
"""

from __future__ import annotations

from html import escape

from docutils import nodes

NOSCRIPT = ("<noscript><p>This answer box needs JavaScript. The exercise's self-check in the notebook, "
            "<code>check(\"{label}\", ...)</code>, does the same.</p></noscript>")


def _exercise_nodes(doctree: nodes.document) -> list[nodes.Element]:
    from sphinx_exercise.nodes import exercise_enumerable_node, exercise_node

    return [n for n in doctree.findall(lambda n: isinstance(n, (exercise_node, exercise_enumerable_node)))]


def box_html(label: str, payload_json: str) -> str:
    """The box's HTML: the JSON for the script, and a line for readers without JavaScript."""
    return (f'<div class="answer-box" data-label="{escape(label)}">'
            f'<script type="application/json" class="answer-box-data">{payload_json}</script>'
            f"{NOSCRIPT.format(label=escape(label))}</div>")


def add_answer_boxes(app, doctree: nodes.document, docname: str) -> None:
    """doctree-resolved: a raw HTML answer box at the end of each self-checked exercise's content."""
    if app.builder.format != "html":
        return
    from psyalliance.simulation.simulate import load_dataset
    from psyalliance.teaching.selfcheck import labels
    from psyalliance.teaching.webcheck import box_payload, payload_json

    checked = set(labels())
    found = [n for n in _exercise_nodes(doctree) if n.get("label") in checked]
    if not found:
        return
    data = load_dataset()  # the book's committed simulated dataset
    for node in found:
        label = node["label"]
        raw = nodes.raw("", box_html(label, payload_json(box_payload(label, data))), format="html")
        content = [c for c in node.children if isinstance(c, nodes.section)]
        (content[-1] if content else node).append(raw)


def setup(app):
    app.connect("doctree-resolved", add_answer_boxes)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
