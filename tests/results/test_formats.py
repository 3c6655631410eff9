"""grader/results/formats.py: each CI format checked against its documented shape.

- junit: the xunit2 schema pytest validates its own reports with (junit-10.xsd): the elements
  and attributes each element may have, the required ones, and the time pattern;
- classroom: what autograding-grading-reporter decodes and adds up (tests/reporter.py, read
  from its source): one runner per problem, whole max_score, the same total as our score;
- markdown: under GitHub's 1 MiB step-summary limit whatever the messages hold.
"""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from grader.problems import DEFAULT_PATH, load
from grader.results import formats
from grader.results.outcomes import TestOutcome
from grader.results.scoring import Results, score
from tests import reporter

PROBLEMS = load(DEFAULT_PATH)
CODE = [p for p in PROBLEMS.problems if p.graded]

# xunit2 (junit-10.xsd): attributes allowed per element, and the required ones.
XUNIT2_ATTRIBUTES = {
    "testsuites": {"name", "time", "tests", "failures", "errors"},
    "testsuite": {
        "name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp",
        "hostname", "id", "package", "file", "log", "url", "version",
    },
    "properties": set(),
    "property": {"name", "value"},
    "testcase": {"name", "time", "classname", "group"},
    "failure": {"type", "message"},
    "skipped": {"type", "message"},
    "system-out": set(),
    "system-err": set(),
}  # fmt: skip
XUNIT2_REQUIRED = {
    "testsuite": {"name", "tests", "failures", "errors"},
    "property": {"name", "value"},
    "testcase": {"name"},
}
XUNIT2_CHILDREN = {
    "testsuites": {"testsuite"},
    "testsuite": {"testsuite", "properties", "testcase", "system-out", "system-err"},
    "properties": {"property"},
    "testcase": {"skipped", "failure", "system-out", "system-err"},
}
SUREFIRE_TIME = re.compile(r"^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]{0,3})?$")


def outcome(problem: str, passed: bool, **fields: object) -> TestOutcome:
    values = {
        "problem": problem,
        "name": f"a case of {problem}",
        "visible": True,
        "passed": passed,
        "message": "" if passed else "conv2d(image, kernel): 2 of 4 entries differ",
        "targets": ("conv.conv2d",),
        "duration": 0.0123,
    }
    values.update(fields)
    return TestOutcome(**values)  # type: ignore[arg-type]


def make_results(outcomes: list[TestOutcome], **fields: object) -> Results:
    values = {
        "problems": score(PROBLEMS, outcomes),
        "written": tuple(p for p in PROBLEMS.problems if not p.graded),
        "messages": ("using conv.py for conv",),
        "execution_time": 1.25,
        "extra": {
            "problem_set": "tutorial9",
            "grader_version": "0.1.0",
            "sandbox": {"level": "full"},
        },
    }
    values.update(fields)
    return Results(**values)  # type: ignore[arg-type]


def all_passed() -> Results:
    return make_results([outcome(p.id, True) for p in CODE for _ in range(3)])


def mixed() -> Results:
    """Failures of every kind, with text that could break each format."""
    nasty = "expected `x` <b>&amp;</b> ]]> \x01\x1b[31m ```` | pipes | \ud7ff end"
    outcomes = []
    for i, problem in enumerate(CODE):
        outcomes += [
            outcome(problem.id, True),
            outcome(problem.id, i % 2 == 0, message=f"{nasty}\nHint: it looks like a slip."),
            outcome(problem.id, i % 3 == 0, visible=False, message="headline only"),
        ]
    outcomes.append(outcome("1a", False, grader_error=True, message="grader broke"))
    return make_results(outcomes)


def none_ran() -> Results:
    return make_results([])


CASES = {"all_passed": all_passed, "mixed": mixed, "none_ran": none_ran}


# ------------------------------------------------------------------------------------ JUnit


def check_xunit2(text: str) -> ET.Element:
    """Parse `text` and check it against the xunit2 schema's structure; returns the suite."""
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    for element in root.iter():
        assert element.tag in XUNIT2_ATTRIBUTES, element.tag
        assert set(element.attrib) <= XUNIT2_ATTRIBUTES[element.tag], element.tag
        assert XUNIT2_REQUIRED.get(element.tag, set()) <= set(element.attrib), element.tag
        assert {child.tag for child in element} <= XUNIT2_CHILDREN.get(element.tag, set())
        if "time" in element.attrib:
            assert SUREFIRE_TIME.match(element.get("time")), element.get("time")
    (suite,) = root
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases)
    assert int(suite.get("failures")) == sum(c.find("failure") is not None for c in cases)
    assert int(suite.get("skipped")) == sum(c.find("skipped") is not None for c in cases)
    assert suite.get("errors") == "0"
    return suite


@pytest.mark.parametrize("case", CASES)
def test_junit_is_xunit2(case: str) -> None:
    """Does every report parse and keep to the xunit2 schema?"""
    check_xunit2(formats.junit(CASES[case]()))


def test_junit_has_one_testcase_per_case_with_points_in_the_name() -> None:
    """Is every case a testcase, named with its points, failures carrying the message?"""
    results = mixed()
    suite = check_xunit2(formats.junit(results, timestamp="2025-01-01T00:00:00"))
    cases = suite.findall("testcase")
    graded = [c for c in cases if c.find("skipped") is None]
    assert len(graded) == len(results.tests)
    for case, test in zip(graded, results.tests, strict=True):
        assert case.get("name").startswith(f"{test.number} {test.outcome.name} [")
        points = re.search(r"\[([0-9.]+) pt\]$", case.get("name"))
        assert points and float(points.group(1)) == pytest.approx(test.max_score)
        failure = case.find("failure")
        assert (failure is None) == test.outcome.passed
        if failure is not None and test.outcome.grader_error:
            assert failure.get("type") == "grader-error"
        if failure is not None and not test.outcome.visible:
            assert failure.text.startswith("(hidden case) ")
    written = [c for c in cases if c.find("skipped") is not None]
    assert len(written) == len(results.written)
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["score"] == f"{results.score:g}"
    assert properties["max_score"] == "19"
    assert properties["problem 1a"] == f"{results.problems[0].score:g}/2"
    assert suite.get("timestamp") == "2025-01-01T00:00:00"


def test_junit_reports_problems_whose_cases_did_not_run() -> None:
    """Does a problem without cases show up as a failure rather than vanish?"""
    suite = check_xunit2(formats.junit(none_ran()))
    failing = [c for c in suite.findall("testcase") if c.find("failure") is not None]
    assert len(failing) == len(CODE)


def test_junit_fault_is_xunit2() -> None:
    """Is the report for a grader fault one failing testcase saying why?"""
    suite = check_xunit2(formats.junit_fault("problems file: broken\x00"))
    (case,) = suite.findall("testcase")
    assert "problems file: broken" in case.find("failure").get("message")


def test_junit_suites_are_named_after_the_problem_set() -> None:
    """Does the suite (and each testcase's class) carry the set's name from problems.yaml, so
    that two exercise sets' reports stay apart in CI?"""
    results = mixed()
    results.extra["problem_set"] = "attention"
    suite = check_xunit2(formats.junit(results))
    assert suite.get("name") == "attention"
    assert {c.get("classname").split(".")[0] for c in suite.findall("testcase")} == {"attention"}
    fault = check_xunit2(formats.junit_fault("broken", problems=PROBLEMS))
    assert fault.get("name") == PROBLEMS.name == "tutorial9"


# ---------------------------------------------------------------------------- Classroom


RUNNERS = ",".join(name for name, _ in formats.classroom_runners(PROBLEMS))


def classroom_report(text: str) -> reporter.Report:
    """The reporter's view of our `$GITHUB_ENV` lines, every runner named in problems order."""
    assert re.fullmatch(r"([A-Z0-9]+_RESULTS=[A-Za-z0-9+/]*=*\n)*", text), text[:200]
    return reporter.report(reporter.parse_env(text), RUNNERS)


def test_classroom_runners_are_named_as_the_reporter_accepts() -> None:
    """Is there one runner per code problem, letters and digits only, distinct?"""
    runners = formats.classroom_runners(PROBLEMS)
    assert [problem for _, problem in runners] == [p.id for p in CODE]
    assert reporter.RUNNERS.match(RUNNERS)
    assert dict(runners)["p1a"] == "1a" and dict(runners)["prnnforward"] == "rnn-forward"


@pytest.mark.parametrize("case", CASES)
def test_classroom_output_has_the_reporters_structure(case: str) -> None:
    """Does every runner decode to the reporter's shape, one test per grading case?"""
    results = CASES[case]()
    env = reporter.parse_env(formats.classroom(results))
    assert sorted(env) == sorted(f"{name.upper()}_RESULTS" for name in RUNNERS.split(","))
    for (name, _), problem in zip(
        formats.classroom_runners(PROBLEMS), results.problems, strict=True
    ):
        data = reporter.payload(env, name)
        assert data["max_score"] == problem.max_score
        assert len(data["tests"]) == max(len(problem.tests), 1)
        statuses = {t["status"] for t in data["tests"]}
        expected = "error" if "error" in statuses else ("fail" if "fail" in statuses else "pass")
        assert data["status"] == expected


@pytest.mark.parametrize("seed", range(12))
def test_classroom_reporter_arithmetic_gives_our_scores(seed: int) -> None:
    """Do the reporter's logged points and its Classroom points both equal our score?"""
    rng = random.Random(seed)
    outcomes = [outcome(p.id, rng.random() < 0.6) for p in CODE for _ in range(rng.randint(1, 13))]
    results = make_results(outcomes)
    seen = classroom_report(formats.classroom(results))
    for (name, _), problem in zip(
        formats.classroom_runners(PROBLEMS), results.problems, strict=True
    ):
        # The reporter logs passed / total x points; our shares are apportioned at 4 decimals.
        assert seen.logged[name] == pytest.approx(problem.score, abs=1e-4 * len(problem.tests))
        assert seen.maxima[name] == problem.max_score
    assert sum(seen.logged.values()) == pytest.approx(results.score, abs=1e-3)
    assert seen.points == pytest.approx(results.score, abs=1e-3)
    assert seen.max_points == results.max_score == 19
    assert seen.failed == (results.score < results.max_score)


def test_classroom_partial_credit_is_not_rounded() -> None:
    """Is 1a with 3 of 10 cases worth 0.6 to the reporter, not 0 or 1 (the old rounding)?"""
    outcomes = [outcome("1a", k < 3) for k in range(10)]
    outcomes += [outcome(p.id, True) for p in CODE if p.id != "1a"]
    seen = classroom_report(formats.classroom(make_results(outcomes)))
    assert seen.logged["p1a"] == pytest.approx(0.6)
    assert seen.points == pytest.approx(17.6)


def test_classroom_hidden_case_messages_say_so() -> None:
    """Does a failed hidden case's message start with "(hidden case)", and a pass say nothing?"""
    results = mixed()
    data = reporter.payload(reporter.parse_env(formats.classroom(results)), "p1b")
    assert any(t["message"].startswith("(hidden case) ") for t in data["tests"])
    assert all(t["message"] == "" for t in data["tests"] if t["status"] == "pass")


def test_classroom_fault_keeps_every_runner() -> None:
    """Does a grader fault still give every runner, errored and worth 0, so the reporter runs?"""
    seen = classroom_report(formats.classroom_fault("timed out", PROBLEMS))
    assert seen.points == 0 and seen.max_points == 19 and seen.failed
    assert formats.classroom_fault("no problems file", None) == ""


@pytest.mark.parametrize(
    ("points", "factor"), [([2, 1, 2], 1), ([0.5, 1], 10), ([0.25, 2], 100), ([1 / 3], None)]
)
def test_classroom_scale(points: list[float], factor: int | None) -> None:
    """Are points scaled by the smallest power of ten that makes them whole (max 4 decimals)?"""
    if factor is None:
        with pytest.raises(ValueError, match="4 decimals"):
            formats.classroom_scale(points)
    else:
        assert formats.classroom_scale(points) == factor


# ----------------------------------------------------------------------------- Markdown


@pytest.mark.parametrize("case", CASES)
def test_markdown_summary(case: str) -> None:
    """Does the summary give the total and one table row per code problem?"""
    results = CASES[case]()
    text = formats.markdown(results, PROBLEMS)
    assert text.startswith(f"## {PROBLEMS.title} — auto-graded score {results.score:g} / 19\n")
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == len(CODE) + 1  # the header row
    assert len(text.encode("utf-8")) < formats.MARKDOWN_LIMIT


def test_markdown_stays_under_one_mebibyte() -> None:
    """Do thousands of long failure messages still give a summary under 1 MiB?"""
    huge = "é" * 1500
    results = make_results([outcome("1a", False, message=huge) for _ in range(3000)])
    text = formats.markdown(results)
    assert len(text.encode("utf-8")) < formats.MARKDOWN_LIMIT
    assert "more failed cases not shown" in text
    assert text.rstrip().endswith("s.")  # the closing line survived


def test_markdown_fences_survive_backticks() -> None:
    """Can a message full of backticks not close its code block early?"""
    results = make_results([outcome("1a", False, message="a ```` b")])
    text = formats.markdown(results)
    assert "`````text\na ```` b\n`````" in text


CONTROL = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x85, 0x9B]))


def test_markdown_strips_control_characters() -> None:
    """Are NUL, BEL, ESC, DEL and C1 controls dropped from messages, names and intake notes?"""
    noisy = f"bad\x00 value\x07 here\x1b[31m red{CONTROL}"
    results = make_results(
        [outcome("1a", False, message=f"{noisy}\r\nnext line", name=f"case{noisy}")],
        messages=(f"note{noisy}",),
    )
    text = formats.markdown(results)
    assert not set(CONTROL + "\r") & set(text)
    assert "bad value here[31m red\nnext line" in text
    assert not set(CONTROL) & set(formats.markdown_fault(f"boom{CONTROL}"))


def test_markdown_control_characters_cannot_join_backtick_runs() -> None:
    """Is a message cleaned before fencing, so `\x00` between backticks cannot close it?"""
    results = make_results([outcome("1a", False, message="a ``\x00`` b")])
    text = formats.markdown(results)
    assert "`````text\na ```` b\n`````" in text


def test_markdown_fault() -> None:
    """Does a grader fault give a short summary saying so?"""
    assert "could not grade" in formats.markdown_fault("boom")
    assert formats.markdown_fault("boom", PROBLEMS).startswith(f"## {PROBLEMS.title} — not graded")


def test_markdown_heading_without_a_problem_set() -> None:
    """Without its problem set, is the summary headed by the score alone?"""
    assert formats.markdown(all_passed()).startswith("## Auto-graded score 19 / 19\n")
    assert formats.markdown_fault("boom").startswith("## Not graded\n")


def test_markdown_heading_is_one_line_of_the_set_title() -> None:
    """Can a title with a newline not break the heading?"""
    other = replace(PROBLEMS, title="Set\n# two")
    assert (
        formats.markdown(all_passed(), other).splitlines()[0]
        == "## Set # two — auto-graded score 19 / 19"
    )


@pytest.mark.parametrize("fmt", ["junit", "classroom", "markdown"])
def test_write_is_atomic_and_exact(fmt: str, tmp_path) -> None:  # noqa: ANN001
    """Does `write` leave exactly the rendered text and no temporary file?"""
    path = tmp_path / "out"
    text = formats.render(fmt, mixed())
    formats.write(text, path)
    assert path.read_text(encoding="utf-8") == text
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_unknown_format() -> None:
    """Is an unknown format a ValueError, not a silent default?"""
    with pytest.raises(ValueError, match="unknown format"):
        formats.render("html", all_passed())
