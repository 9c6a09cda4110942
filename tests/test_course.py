"""The 12-week course plan and the discussion answers of the instructor guide (psyalliance.teaching.syllabus)."""

from __future__ import annotations

import re
import zipfile

import nbformat
import pytest

from psyalliance.teaching import course as teaching_course
from psyalliance.teaching.selfcheck import labels as checked_labels
from psyalliance.teaching.syllabus import (
    ROOT,
    CourseSettings,
    _pack,
    _teaching_weeks,
    course_plan,
    discussion_answers_markdown,
    discussion_questions,
    exercise_labels,
    toc_chapters,
)


def test_packing_by_hand():
    # loads 30, 30, 30, 100 into 3 weeks, steps of 10: at 80, [0,1] [2] [3] [3] is 4 weeks; at 90,
    # [0,1,2] [3] [3] is 3 (100 > 90 takes two weeks of its own)
    packed, budget = _teaching_weeks([30, 30, 30, 100], 3, 10)
    assert budget == 90 and packed == [[0, 1, 2], [3], [3]]
    assert _pack([30, 30, 30, 100], 80) == [[0, 1], [2], [3], [3]]


@pytest.fixture(scope="module")
def course():
    return course_plan()


def test_the_plan_has_the_weeks_and_every_chapter_in_order(course):
    weeks = CourseSettings().weeks
    assert list(course["week"]) == list(range(1, weeks + 1))
    chapters = [p.name for p in toc_chapters() if not p.name.startswith("A")]
    listed = [f for fs in course["files"] if fs for f in fs.split("; ")]
    assert list(dict.fromkeys(listed)) == chapters  # each once in toc order (a long chapter may span weeks)
    assessments = course[course["files"] == ""]
    assert len(assessments) == 2 and assessments["week"].iloc[-1] == weeks
    last_09 = max(course.loc[course["files"].str.contains(CourseSettings().appraisal_after, regex=False), "week"])
    assert assessments["week"].iloc[0] == last_09 + 1
    assert all("Assessment 1" in a for a in assessments["assessment"].iloc[:1])


def test_every_exercise_once_with_its_self_check_marked(course):
    want = [lab for p in toc_chapters() if not p.name.startswith("A")
            for lab in exercise_labels(nbformat.read(p, as_version=4))]
    shown = [e for es in course["exercises"] if es for e in es.split(", ")]
    assert [e.rstrip("*") for e in shown] == want
    checked = set(checked_labels())
    assert all(e.endswith("*") == (e.rstrip("*") in checked) for e in shown)


def test_the_weekly_load_is_the_smallest_that_fits(course):
    teaching = course[course["files"] != ""]
    assert len(teaching) == CourseSettings().weeks - 2
    chapters = [p for p in toc_chapters() if not p.name.startswith("A")]
    from psyalliance.teaching.reading import reading_minutes

    loads = [reading_minutes(nbformat.read(p, as_version=4)).total for p in chapters]
    _, budget = _teaching_weeks(loads, len(teaching), CourseSettings().step)
    assert len(_pack(loads, budget - CourseSettings().step)) > len(teaching)
    assert all(m <= budget for m in teaching["minutes"])


def test_every_discussion_question_has_a_week_and_an_answer(course):
    qs = discussion_questions()
    assert len(qs) >= 6
    asked = [int(n) for a in course["activity"] for n in re.findall(r"(?<=question )(\d+)|(?<=, )(\d+)", a)
             for n in n if n]
    assert sorted(asked) == list(qs["number"])
    text = discussion_answers_markdown()
    assert all(q.answer in text and q.question in text for q in qs.itertuples())


def test_bad_settings_and_questions_are_refused(tmp_path):
    with pytest.raises(ValueError, match="weeks must be an integer 4-52, got 3"):
        CourseSettings(weeks=3)
    with pytest.raises(ValueError, match="is not a chapter of"):
        course_plan(settings=CourseSettings(appraisal_after="99_none.ipynb"))
    bad = tmp_path / "d.yaml"
    bad.write_text('questions:\n  - {chapter: 99_none.ipynb, question: "Why", answer: "Because."}\n')
    with pytest.raises(ValueError, match="chapter '99_none.ipynb' is not in"):
        discussion_questions(bad)
    bad.write_text('questions:\n  - {chapter: 01_the_study.ipynb, question: "Why"}\n')
    with pytest.raises(ValueError, match=r"question 1 lacks \['answer'\]"):
        discussion_questions(bad)


def test_answers_go_to_the_instructor_version_only(tmp_path):
    reader = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("> header", id="reader-header"),
                                             nbformat.v4.new_markdown_cell("# T\n\nText.", id="a")])
    (tmp_path / "reader").mkdir()
    nbformat.write(reader, tmp_path / "reader" / "01_x.ipynb")
    written = teaching_course.write_assignments(tmp_path / "reader", tmp_path / "out")
    answer = discussion_questions()["answer"].iloc[0]
    assert answer in (written["instructor"] / teaching_course.ANSWERS).read_text()
    assert not (written["student"] / teaching_course.ANSWERS).exists()
    assert f"instructor/{teaching_course.ANSWERS}" in zipfile.ZipFile(written["instructor.zip"]).namelist()
    assert not any(answer in zipfile.ZipFile(written["student.zip"]).read(n).decode()
                   for n in zipfile.ZipFile(written["student.zip"]).namelist())


def test_the_guide_page_shows_the_questions_not_the_answers():
    guide = nbformat.read(ROOT / "book" / "instructor_guide.ipynb", as_version=4)
    text = "\n".join(c.source for c in guide.cells)
    assert "course_plan()" in text and "discussion_questions()" in text
    assert "q.answer" not in text and "answer" not in "".join(c.source for c in guide.cells if c.id == "discussion-list")
