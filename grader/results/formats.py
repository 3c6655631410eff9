"""Results in CI formats: JUnit XML (xunit2), GitHub Classroom's reporter payload, Markdown.

Every function here is pure: it turns a `Results` (or, when grading itself failed, a reason)
into text. `write` is the one side effect, the same atomic write as grader/results/gradescope.py.

- junit: one `testcase` per grading case, as pytest's xunit2 family writes them (`classname`,
  `name`, `time`; `failure`, `skipped`, `system-out`). xunit2 allows no per-test properties,
  so a case's points go in its name ("... [0.5 pt]") and the totals in the suite's
  `properties`. Written problems appear as skipped cases, graded by hand.
- classroom: `<RUNNER>_RESULTS=<base64>` lines for `$GITHUB_ENV`, one runner per code problem
  ("1a" -> runner p1a), each the base64 of the compact JSON that
  `autograding-grading-reporter` decodes (version, status, max_score, tests[] with name,
  status, score, message). A runner is worth its problem's points (whole: the reporter's
  max_score) and has one test per grading case, so the reporter's two sums, (passed / tests)
  x max_score for its log and the sum of `tests[].score` for Classroom, both equal our score.
- markdown: a summary for `$GITHUB_STEP_SUMMARY`, always under GitHub's 1 MiB limit, without
  control characters (student messages may hold NUL, BEL, ESC, ...).
"""

from __future__ import annotations

import base64
import json
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from grader.problems import Problem, ProblemSet
from grader.results.scoring import ProblemScore, Results, TestScore

FORMATS = ("gradescope", "junit", "classroom", "markdown")
MARKDOWN_LIMIT = 1024 * 1024  # bytes GitHub accepts for one step summary
_MARKDOWN_BUDGET = MARKDOWN_LIMIT - 16 * 1024  # room for the closing lines
_CLASSROOM_MESSAGE = 1000  # characters of one Classroom test message
SUITE = "grader"  # the JUnit suite's name where the problem set's is not known


# --------------------------------------------------------------------------- JUnit (xunit2)


def junit(results: Results, timestamp: str | None = None) -> str:
    """The xunit2 XML report: one testcase per grading case, written problems skipped.

    Args:
        results: the grade of one submission.
        timestamp: ISO 8601 time for the suite's `timestamp` attribute (omitted when None).
    """
    name = str(results.extra.get("problem_set") or SUITE)
    suite = _suite(name, timestamp, results.execution_time)
    properties = ET.SubElement(suite, "properties")
    _property(properties, "score", f"{results.score:g}")
    _property(properties, "max_score", f"{results.max_score:g}")
    for problem in results.problems:
        _property(properties, f"problem {problem.problem.id}", _points(problem))
    for key in ("grader_version",):
        if key in results.extra:
            _property(properties, key, str(results.extra[key]))
    level = results.extra.get("sandbox", {}).get("level")
    if level is not None:
        _property(properties, "sandbox", str(level))

    failures = skipped = 0
    for test in results.tests:
        outcome = test.outcome
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{name}.{outcome.problem}",
            name=f"{test.number} {outcome.name} [{test.max_score:g} pt]",
            time=f"{outcome.duration:.3f}",
        )
        if not outcome.passed:
            failures += 1
            message = outcome.message or "failed"
            if not outcome.visible:
                message = f"(hidden case) {message}"
            failure = ET.SubElement(
                case,
                "failure",
                message=_clean(message.splitlines()[0]),
                type="grader-error" if outcome.grader_error else "wrong-answer",
            )
            failure.text = _clean(message)
    for problem in results.written:
        skipped += 1
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{name}.{problem.id}",
            name=f"{problem.id} {problem.title} [{problem.points:g} pt, graded by hand]",
            time="0.000",
        )
        ET.SubElement(case, "skipped", type="written", message="graded by hand")
    for problem in results.problems:
        if not problem.tests:  # the cases did not load: say so rather than hide the problem
            failures += 1
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{name}.{problem.problem.id}",
                name=f"{problem.problem.id} {problem.problem.title} [{problem.max_score:g} pt]",
                time="0.000",
            )
            ET.SubElement(
                case, "failure", type="grader-error", message="no grading cases ran"
            ).text = "no grading cases ran; please tell the course staff"
    out = ET.SubElement(suite, "system-out")
    out.text = _clean(_summary_text(results))
    count = len(results.tests) + len(results.written) + sum(not p.tests for p in results.problems)
    return _document(suite, count, failures, skipped)


def junit_fault(
    reason: str, timestamp: str | None = None, problems: ProblemSet | None = None
) -> str:
    """The xunit2 report for a submission the grader could not grade."""
    name = problems.name if problems is not None else SUITE
    suite = _suite(name, timestamp, 0.0)
    case = ET.SubElement(suite, "testcase", classname=name, name="grading", time="0.000")
    failure = ET.SubElement(case, "failure", type="grader-error", message=_clean(reason))
    failure.text = _clean(f"The grader could not grade this submission: {reason}")
    return _document(suite, 1, 1, 0)


def _suite(name: str, timestamp: str | None, seconds: float) -> ET.Element:
    suite = ET.Element("testsuite", name=name)
    suite.set("time", f"{seconds:.3f}")
    if timestamp is not None:
        suite.set("timestamp", timestamp)
    return suite


def _document(suite: ET.Element, tests: int, failures: int, skipped: int) -> str:
    counts = {"tests": str(tests), "failures": str(failures), "errors": "0"}
    for key, value in {**counts, "skipped": str(skipped)}.items():
        suite.set(key, value)
    root = ET.Element(
        "testsuites", name=suite.get("name", SUITE), time=suite.get("time", "0.000"), **counts
    )
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _property(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, "property", name=name, value=_clean(value))


def _clean(text: str) -> str:
    """Drop the characters XML 1.0 cannot carry (student output may hold any of them)."""
    return "".join(
        ch
        for ch in text
        if ch in "\t\n\r"
        or 0x20 <= ord(ch) <= 0xD7FF
        or 0xE000 <= ord(ch) <= 0xFFFD
        or 0x10000 <= ord(ch) <= 0x10FFFF
    )


# ----------------------------------------------------------------- GitHub Classroom reporter


def classroom_runners(problems: ProblemSet) -> list[tuple[str, str]]:
    """(runner name, problem id) for every code problem, in problems.yaml order.

    The reporter accepts runner names of letters and digits only and reads each runner's
    payload from the environment variable `<RUNNER>_RESULTS` (upper case): "1a" -> "p1a",
    "layer-norm" -> "playernorm".
    """
    return _runners([p for p in problems.problems if p.graded])


def classroom_scale(points: Sequence[float]) -> int:
    """The power of ten that makes every problem's points whole (the reporter's max_score)."""
    for digits in range(5):
        factor = 10**digits
        if all(abs(p * factor - round(p * factor)) < 1e-9 for p in points):
            return factor
    raise ValueError(f"points need more than 4 decimals for GitHub Classroom: {list(points)}")


def classroom_payloads(results: Results) -> dict[str, dict]:
    """Runner name -> the decoded reporter payload of one code problem.

    One runner per problem, worth its points (scaled by `classroom_scale` when they are not
    whole), with one test per grading case. The reporter prints a runner's points as
    (tests passed / tests) x max_score and notifies Classroom of the sum of `tests[].score`;
    cases share their problem's points equally, so both give the problem's score.
    """
    problems = [p.problem for p in results.problems]
    factor = classroom_scale([p.points for p in problems])
    names = {problem_id: name for name, problem_id in _runners(problems)}
    payloads = {}
    for problem in results.problems:
        maximum = round(problem.max_score * factor)
        tests = [_classroom_test(test, maximum / len(problem.tests)) for test in problem.tests]
        if not tests:  # the cases did not load: an errored test, not a silent full mark
            tests = [_classroom_error(problem.problem, "no grading cases ran")]
        payloads[names[problem.problem.id]] = {
            "version": 1,
            "status": _overall([t["status"] for t in tests]),
            "max_score": maximum,
            "tests": tests,
        }
    return payloads


def classroom_fault_payloads(reason: str, problems: ProblemSet | None = None) -> dict[str, dict]:
    """Runner name -> payload when grading failed: every problem errored, 0 points."""
    if problems is None:
        return {}
    graded = [p for p in problems.problems if p.graded]
    factor = classroom_scale([p.points for p in graded])
    return {
        name: {
            "version": 1,
            "status": "error",
            "max_score": round(problem.points * factor),
            "tests": [_classroom_error(problem, f"not graded: {reason}")],
        }
        for (name, _), problem in zip(_runners(graded), graded, strict=True)
    }


def classroom(results: Results) -> str:
    """`<RUNNER>_RESULTS=<base64 JSON>` lines, one per problem: the format of `$GITHUB_ENV`."""
    return _env_lines(classroom_payloads(results))


def classroom_fault(reason: str, problems: ProblemSet | None = None) -> str:
    """The `$GITHUB_ENV` lines for a submission the grader could not grade."""
    return _env_lines(classroom_fault_payloads(reason, problems))


def _runners(problems: Sequence[Problem]) -> list[tuple[str, str]]:
    runners = [("p" + re.sub(r"[^a-z0-9]", "", p.id.lower()), p.id) for p in problems]
    names = [name for name, _ in runners]
    if len(set(names)) != len(names):
        raise ValueError(f"problem ids give clashing Classroom runner names: {names}")
    return runners


def _classroom_test(test: TestScore, share: float) -> dict:
    outcome = test.outcome
    status = "error" if outcome.grader_error else ("pass" if outcome.passed else "fail")
    message = ""
    if not outcome.passed:
        message = (outcome.message or "failed").strip()
        if not outcome.visible:
            message = f"(hidden case) {message}"
    return {
        "name": f"{test.number} {outcome.name}",
        "status": status,
        "score": share if outcome.passed else 0,
        "message": message[:_CLASSROOM_MESSAGE],
        "test_code": "",
        "filename": "",
        "line_no": 0,
        "duration": round(outcome.duration * 1000),
    }


def _classroom_error(problem: Problem, message: str) -> dict:
    return {
        "name": f"{problem.id}: {problem.title}",
        "status": "error",
        "score": 0,
        "message": f"{message}; please tell the course staff"[:_CLASSROOM_MESSAGE],
        "test_code": "",
        "filename": "",
        "line_no": 0,
        "duration": 0,
    }


def _overall(statuses: Sequence[str]) -> str:
    return "error" if "error" in statuses else ("fail" if "fail" in statuses else "pass")


def _env_lines(payloads: dict[str, dict]) -> str:
    return "".join(f"{name.upper()}_RESULTS={_base64_json(p)}\n" for name, p in payloads.items())


def _base64_json(payload: dict) -> str:
    compact = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return base64.b64encode(compact.encode("utf-8")).decode("ascii")


# -------------------------------------------------------------------------------- Markdown


def markdown(results: Results, problems: ProblemSet | None = None) -> str:
    """A GitHub-flavoured Markdown summary, under 1 MiB whatever the messages hold.

    Its heading names the problem set by its title when `problems` is given.
    """
    lines = [
        _heading(problems, f"auto-graded score {results.score:g} / {results.max_score:g}"),
        "",
        "| problem | title | score | max | cases passed |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    for problem in results.problems:
        passed = sum(t.outcome.passed for t in problem.tests)
        mark = "✅" if problem.tests and passed == len(problem.tests) else "❌"
        lines.append(
            f"| {_cell(problem.problem.id)} | {_cell(problem.problem.title)} | "
            f"{problem.score:g} | {problem.max_score:g} | {mark} {passed}/{len(problem.tests)} |"
        )
    lines.append("")
    if results.written:
        ids = ", ".join(p.id for p in results.written)
        lines += [f"Written problems, graded by hand: {ids}.", ""]
    for message in results.messages:
        lines.append(f"- {_inline(message)}")
    if results.messages:
        lines.append("")
    level = results.extra.get("sandbox", {}).get("level")
    if level not in (None, "full"):
        lines += [f"> [!WARNING]\n> The sandbox ran at level `{level}`, not `full`.", ""]
    if results.grader_errors:
        errors = "; ".join(results.grader_errors)
        lines += [f"> [!CAUTION]\n> The grader could not run: {_inline(errors)}", ""]
    failed = [t for t in results.tests if not t.outcome.passed]
    if failed:
        lines += [f"<details><summary>{len(failed)} failed cases</summary>", ""]
        text = "\n".join(lines)
        size = len(text.encode("utf-8"))
        for shown, test in enumerate(failed):
            message = _printable(test.outcome.message or "failed")
            if not test.outcome.visible:
                message = f"(hidden case) {message}"
            block = (
                f"**{_inline(test.number)} {_inline(test.outcome.name)}** "
                f"({test.score:g} / {test.max_score:g})\n\n{_fence(message)}\n"
            )
            if size + len(block.encode("utf-8")) > _MARKDOWN_BUDGET:
                lines.append(f"... {len(failed) - shown} more failed cases not shown.\n")
                break
            lines.append(block)
            size += len(block.encode("utf-8")) + 1
        lines += ["</details>", ""]
    lines.append(f"Graded in {results.execution_time:.1f} s.")
    return _cap("\n".join(lines) + "\n")


def markdown_fault(reason: str, problems: ProblemSet | None = None) -> str:
    """The Markdown summary for a submission the grader could not grade."""
    return _cap(
        f"{_heading(problems, 'not graded')}\n\n"
        f"The grader could not grade this submission: {_inline(reason)}\n"
    )


def _heading(problems: ProblemSet | None, status: str) -> str:
    """ "## <set title> — <status>", or "## <Status>" when the set is not known."""
    if problems is None:
        return f"## {status[0].upper()}{status[1:]}"
    return f"## {_inline(problems.title)} — {status}"


def _cell(text: str) -> str:
    return _inline(text).replace("|", "\\|")


def _inline(text: str) -> str:
    return " ".join(_printable(str(text)).split())[:2000]


def _printable(text: str) -> str:
    """Drop control characters (NUL, BEL, ESC, DEL, C1, ...) but tabs and newlines.

    Student output may hold any of them; terminals and Markdown viewers act on them. Done
    before fencing, so that a dropped character cannot join two backtick runs.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch
        for ch in text
        if ch in "\t\n"
        or (0x20 <= ord(ch) < 0x7F)
        or (0xA0 <= ord(ch) <= 0x10FFFF and not 0xD800 <= ord(ch) <= 0xDFFF)
    )


def _fence(text: str) -> str:
    # A fence longer than any backtick run inside, so student text cannot close it.
    longest, run = 0, 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def _cap(text: str) -> str:
    text = _printable(text)
    data = text.encode("utf-8")
    if len(data) <= _MARKDOWN_BUDGET:
        return text
    cut = data[:_MARKDOWN_BUDGET].decode("utf-8", errors="ignore")
    return cut + "\n\n(summary cut at GitHub's size limit)\n"


# ----------------------------------------------------------------------------------- Shared


def _points(problem: ProblemScore) -> str:
    return f"{problem.score:g}/{problem.max_score:g}"


def _summary_text(results: Results) -> str:
    lines = [f"score {results.score:g} / {results.max_score:g}"]
    lines += [f"{p.problem.id}: {_points(p)} ({p.reason})" for p in results.problems]
    if results.written:
        lines.append("graded by hand: " + ", ".join(p.id for p in results.written))
    lines += list(results.messages)
    return "\n".join(lines)


def render(fmt: str, results: Results, problems: ProblemSet | None = None) -> str:
    """The text of `results` in one of the CI formats (not gradescope: see
    grader.results.gradescope); `problems`, the set graded, titles the Markdown summary."""
    if fmt == "junit":
        return junit(results)
    if fmt == "classroom":
        return classroom(results)
    if fmt == "markdown":
        return markdown(results, problems)
    raise ValueError(f"unknown format {fmt!r}")


def render_fault(fmt: str, reason: str, problems: ProblemSet | None) -> str:
    """The text of a grading failure in one of the CI formats."""
    if fmt == "junit":
        return junit_fault(reason, problems=problems)
    if fmt == "classroom":
        return classroom_fault(reason, problems)
    if fmt == "markdown":
        return markdown_fault(reason, problems)
    raise ValueError(f"unknown format {fmt!r}")


def write(text: str, path: Path) -> None:
    """Write `text` to `path` atomically (a temporary file, then a rename)."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=".report-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
