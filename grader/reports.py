"""Results in CI formats: JUnit XML (xunit2), GitHub Classroom's reporter payload, Markdown.

Every function here is pure: it turns a `Results` (or, when grading itself failed, a reason)
into text. `write` is the one side effect, the same atomic write as grader/gradescope.py.

- junit: one `testcase` per grading case, as pytest's xunit2 family writes them (`classname`,
  `name`, `time`; `failure`, `skipped`, `system-out`). xunit2 allows no per-test properties,
  so a case's points go in its name ("... [0.5 pt]") and the totals in the suite's
  `properties`. Written problems appear as skipped cases, graded by hand.
- classroom: the base64 of the compact JSON that `autograding-grading-reporter` decodes from
  `<RUNNER>_RESULTS` (version, status, max_score, tests[] with name, status, score, message).
  The reporter adds up `tests[].score`, so there is one test per code problem, with whole
  points that add up to the rounded total; `tests` is a list even when grading failed.
- markdown: a summary for `$GITHUB_STEP_SUMMARY`, always under GitHub's 1 MiB limit, without
  control characters (student messages may hold NUL, BEL, ESC, ...).
"""

from __future__ import annotations

import base64
import json
import math
import os
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from grader.problems import ProblemSet
from grader.scoring import ProblemScore, Results

FORMATS = ("gradescope", "junit", "classroom", "markdown")
MARKDOWN_LIMIT = 1024 * 1024  # bytes GitHub accepts for one step summary
_MARKDOWN_BUDGET = MARKDOWN_LIMIT - 16 * 1024  # room for the closing lines
_CLASSROOM_MESSAGE = 1000  # characters of one Classroom test message
SUITE = "tutorial9"


# --------------------------------------------------------------------------- JUnit (xunit2)


def junit(results: Results, timestamp: str | None = None) -> str:
    """The xunit2 XML report: one testcase per grading case, written problems skipped.

    Args:
        results: the grade of one submission.
        timestamp: ISO 8601 time for the suite's `timestamp` attribute (omitted when None).
    """
    suite = _suite(timestamp, results.execution_time)
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
            classname=f"{SUITE}.{outcome.problem}",
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
            classname=f"{SUITE}.{problem.id}",
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
                classname=f"{SUITE}.{problem.problem.id}",
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


def junit_fault(reason: str, timestamp: str | None = None) -> str:
    """The xunit2 report for a submission the grader could not grade."""
    suite = _suite(timestamp, 0.0)
    case = ET.SubElement(suite, "testcase", classname=SUITE, name="grading", time="0.000")
    failure = ET.SubElement(case, "failure", type="grader-error", message=_clean(reason))
    failure.text = _clean(f"The grader could not grade this submission: {reason}")
    return _document(suite, 1, 1, 0)


def _suite(timestamp: str | None, seconds: float) -> ET.Element:
    suite = ET.Element("testsuite", name=SUITE)
    suite.set("time", f"{seconds:.3f}")
    if timestamp is not None:
        suite.set("timestamp", timestamp)
    return suite


def _document(suite: ET.Element, tests: int, failures: int, skipped: int) -> str:
    counts = {"tests": str(tests), "failures": str(failures), "errors": "0"}
    for key, value in {**counts, "skipped": str(skipped)}.items():
        suite.set(key, value)
    root = ET.Element("testsuites", name=SUITE, time=suite.get("time", "0.000"), **counts)
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


def classroom_payload(results: Results) -> dict:
    """The decoded reporter payload: one test per code problem, whole points.

    The reporter adds up `tests[].score`; points are whole numbers, so each problem's score and
    maximum are rounded such that they add up to the rounded total and maximum (largest
    remainder), a fully passed problem keeps all its points, and no score exceeds its maximum.
    """
    problems = list(results.problems)
    maxima = _apportion([p.max_score for p in problems], _half_up(results.max_score))
    full = [bool(p.tests) and all(t.outcome.passed for t in p.tests) for p in problems]
    target = min(_half_up(results.score), sum(maxima))
    fixed = sum(m for m, f in zip(maxima, full, strict=True) if f)
    rest = _apportion(
        [p.score for p, f in zip(problems, full, strict=True) if not f],
        max(target - fixed, 0),
        caps=[m for m, f in zip(maxima, full, strict=True) if not f],
    )
    scores, others = [], iter(rest)
    for maximum, is_full in zip(maxima, full, strict=True):
        scores.append(maximum if is_full else next(others))
    tests = []
    for problem, score, maximum, is_full in zip(problems, scores, maxima, full, strict=True):
        status = "pass" if is_full else ("error" if _grader_fault(problem) else "fail")
        tests.append(
            {
                "name": f"{problem.problem.id}: {problem.problem.title}",
                "status": status,
                "score": score,
                "message": _classroom_message(problem, maximum),
                "test_code": f"python -m grader grade  # problem {problem.problem.id}",
                "filename": "",
                "line_no": 0,
                "duration": round(sum(t.outcome.duration for t in problem.tests) * 1000),
            }
        )
    statuses = {t["status"] for t in tests}
    status = "error" if "error" in statuses else ("fail" if "fail" in statuses else "pass")
    return {"version": 1, "status": status, "max_score": sum(maxima), "tests": tests}


def classroom_fault_payload(reason: str, problems: ProblemSet | None = None) -> dict:
    """The decoded payload when grading failed: every code problem errored, 0 points."""
    graded = [p for p in problems.problems if p.graded] if problems is not None else []
    maxima = _apportion([p.points for p in graded], _half_up(sum(p.points for p in graded)))
    tests = [
        {
            "name": f"{problem.id}: {problem.title}",
            "status": "error",
            "score": 0,
            "message": f"not graded: {reason}"[:_CLASSROOM_MESSAGE],
            "test_code": "",
            "filename": "",
            "line_no": 0,
            "duration": 0,
        }
        for problem in graded
    ]
    return {
        "version": 1,
        "status": "error",
        "max_score": sum(maxima),
        "message": reason[:_CLASSROOM_MESSAGE],
        "tests": tests,
    }


def classroom(results: Results) -> str:
    """The base64 text for the reporter's `<RUNNER>_RESULTS` variable."""
    return _base64_json(classroom_payload(results))


def classroom_fault(reason: str, problems: ProblemSet | None = None) -> str:
    """The base64 text for a submission the grader could not grade."""
    return _base64_json(classroom_fault_payload(reason, problems))


def _base64_json(payload: dict) -> str:
    compact = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return base64.b64encode(compact.encode("utf-8")).decode("ascii")


def _classroom_message(problem: ProblemScore, maximum: int) -> str:
    passed = sum(t.outcome.passed for t in problem.tests)
    head = f"{passed}/{len(problem.tests)} cases passed ({problem.score:g} of "
    head += f"{problem.max_score:g} points, counted as whole points out of {maximum})"
    failed = [t for t in problem.tests if not t.outcome.passed]
    if not problem.tests:
        head = "no grading cases ran; please tell the course staff"
    elif failed:
        first = failed[0].outcome
        detail = (first.message or "failed").strip()
        hidden = "" if first.visible else "(hidden case) "
        head += f"\nfirst failure, {failed[0].number} {first.name}: {hidden}{detail}"
    return head[:_CLASSROOM_MESSAGE]


def _grader_fault(problem: ProblemScore) -> bool:
    return not problem.tests or any(t.outcome.grader_error for t in problem.tests)


def _half_up(value: float) -> int:
    # 1e-9 absorbs the 4-decimal rounding of scores (2/3 + 1/3 stored as 0.6667 + 0.3333)
    return math.floor(value + 0.5 + 1e-9)


def _apportion(values: Sequence[float], total: int, caps: Sequence[int] | None = None) -> list[int]:
    """Whole numbers, each the floor or ceiling of its value, adding up to `total`.

    Largest remainder first; a value never goes above its cap (when caps are given) and the
    total is reduced to what the caps allow.
    """
    caps = list(caps) if caps is not None else [math.ceil(v - 1e-9) for v in values]
    shares = [min(math.floor(v + 1e-9), cap) for v, cap in zip(values, caps, strict=True)]
    left = min(total, sum(caps)) - sum(shares)
    order = sorted(range(len(values)), key=lambda i: (-(values[i] - shares[i]), i))
    while left > 0:
        moved = False
        for i in order:
            if left > 0 and shares[i] < caps[i]:
                shares[i] += 1
                left -= 1
                moved = True
        if not moved:
            break
    while left < 0:  # only when floors already exceed the total (a lowered total)
        i = max(range(len(shares)), key=lambda j: (shares[j] - values[j], shares[j]))
        shares[i] -= 1
        left += 1
    return shares


# -------------------------------------------------------------------------------- Markdown


def markdown(results: Results) -> str:
    """A GitHub-flavoured Markdown summary, under 1 MiB whatever the messages hold."""
    lines = [
        f"## Tutorial 9: auto-graded score {results.score:g} / {results.max_score:g}",
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


def markdown_fault(reason: str) -> str:
    """The Markdown summary for a submission the grader could not grade."""
    return _cap(
        "## Tutorial 9: not graded\n\n"
        f"The grader could not grade this submission: {_inline(reason)}\n"
    )


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


def render(fmt: str, results: Results) -> str:
    """The text of `results` in one of the CI formats (not gradescope: see grader.gradescope)."""
    if fmt == "junit":
        return junit(results)
    if fmt == "classroom":
        return classroom(results) + "\n"
    if fmt == "markdown":
        return markdown(results)
    raise ValueError(f"unknown format {fmt!r}")


def render_fault(fmt: str, reason: str, problems: ProblemSet | None) -> str:
    """The text of a grading failure in one of the CI formats."""
    if fmt == "junit":
        return junit_fault(reason)
    if fmt == "classroom":
        return classroom_fault(reason, problems) + "\n"
    if fmt == "markdown":
        return markdown_fault(reason)
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
