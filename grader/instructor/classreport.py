"""The class report of a batch: grades.csv, report.md and the chart, from the batch's records.

A record is what grader/instructor/batch.py writes to manifest.jsonl for one graded submission:
submission, students, score, max_score, problems (id -> score), error, seconds and results
(the path of its results.json, relative to the output folder). Everything here is computed
from those records and the results files; nothing grades.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from grader.instructor.handscores import HandScores
from grader.problems import ProblemSet
from grader.results import formats

GRADES = "grades.csv"
REPORT = "report.md"
CHART = "scores.png"
_PASS_MARK = 0.5  # a submission below this fraction of the maximum is listed as failing


def write(
    records: list[dict[str, Any]],
    problems: ProblemSet,
    out: Path,
    notes: Iterable[str] = (),
    hand: HandScores | None = None,
) -> None:
    """Write grades.csv (in submission order), the chart and report.md into `out`."""
    code_ids = [p.id for p in problems.problems if p.graded]
    write_grades(out / GRADES, code_ids, records, hand)
    chart = write_chart(records, problems, out / CHART)
    report = class_report(
        records, problems, out, chart=CHART if chart else None, notes=notes, hand=hand
    )
    formats.write(report, out / REPORT)


def max_score(problems: ProblemSet) -> float:
    """The most a submission can score on the code problems."""
    return round(sum(p.points for p in problems.problems if p.graded), 4)


def row(record: dict[str, Any], code_ids: list[str], hand: HandScores | None = None) -> list[str]:
    scores = record.get("problems", {})
    cells = [f"{scores[i]:g}" if i in scores else "" for i in code_ids]
    name, students = record["submission"], record.get("students", "")
    if hand is None:
        return [name, f"{record['score']:g}", *cells, students]
    given = [hand.score(name, p.id) for p in hand.problems]
    written = ["" if value is None else f"{value:g}" for value in given]
    auto, by_hand = record["score"], hand.total(name)
    total = f"{round(auto + by_hand, 4):g}"
    return [name, f"{auto:g}", f"{by_hand:g}", total, *cells, *written, students]


def write_grades(
    path: Path,
    code_ids: list[str],
    records: list[dict[str, Any]],
    hand: HandScores | None = None,
) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    if hand is None:
        writer.writerow(["submission", "total", *code_ids, "students"])
    else:
        written_ids = [p.id for p in hand.problems]
        writer.writerow(
            ["submission", "auto_total", "hand_total", "total", *code_ids, *written_ids, "students"]
        )
    for record in records:
        writer.writerow(row(record, code_ids, hand))
    formats.write(buffer.getvalue(), path)


def class_report(
    records: list[dict[str, Any]],
    problems: ProblemSet,
    out: Path,
    chart: str | None = None,
    notes: Iterable[str] = (),
    hand: HandScores | None = None,
) -> str:
    """The class report in Markdown: scores per problem, misconceptions, slow and failing ones.

    With `hand`, the written problems' points too, kept apart from the auto-graded ones.
    """
    code = [p for p in problems.problems if p.graded]
    maximum = max_score(problems)
    lines = [f"# {problems.title}: class report", ""]
    if not records:
        return "\n".join([*lines, "No submissions were graded.", ""])
    totals = [r["score"] for r in records]
    faults = [r for r in records if r.get("error")]
    mean, median = statistics.mean(totals), statistics.median(totals)
    lines += [
        f"{len(records)} submissions; total out of {maximum:g}: mean {mean:.2f}, "
        f"median {median:g}, full marks {sum(t >= maximum for t in totals)}.",
        "",
    ]
    levels = Counter(r.get("sandbox") for r in records if not r.get("error"))
    if set(levels) - {"full"}:
        shown = ", ".join(f"{level}: {n}" for level, n in levels.items())
        lines += [f"**Warning:** not every submission ran in the full sandbox ({shown}).", ""]

    lines += ["## Problems", "", "| problem | title | max | mean | full marks |",
              "| --- | --- | ---: | ---: | ---: |"]  # fmt: skip
    graded = [r for r in records if not r.get("error")]
    for problem in code:
        scores = [r["problems"].get(problem.id, 0.0) for r in graded]
        mean = statistics.mean(scores) if scores else 0.0
        rate = sum(s >= problem.points for s in scores) / len(scores) if scores else 0.0
        lines.append(
            f"| {problem.id} | {_cell(problem.title)} | {problem.points:g} | {mean:.2f} | "
            f"{rate:.0%} |"
        )
    lines.append("")
    if hand is not None:
        lines += _hand_section(records, hand, maximum)
    if chart:
        lines += [f"![Mean score and full marks per problem]({chart})", ""]
    else:
        lines += ["(Install the `report` extra, matplotlib, for a chart of these.)", ""]

    hints, failures = _diagnoses(records, out)
    lines += ["## Most common diagnosed misconceptions", ""]
    if hints:
        lines += ["| problem | misconception | submissions |", "| --- | --- | ---: |"]
        lines += [f"| {p} | {_cell(h)} | {n} |" for (p, h), n in hints.most_common(10)]
    else:
        lines.append("None diagnosed.")
    lines += ["", "## Most common failure messages", ""]
    if failures:
        lines += ["| problem | first line of the message | submissions |", "| --- | --- | ---: |"]
        lines += [f"| {p} | {_cell(m)} | {n} |" for (p, m), n in failures.most_common(10)]
    else:
        lines.append("No failures.")

    lines += ["", "## Slowest submissions", "", "| submission | seconds | score |",
              "| --- | ---: | ---: |"]  # fmt: skip
    for record in sorted(records, key=lambda r: -r.get("seconds", 0.0))[:5]:
        lines.append(
            f"| {_cell(record['submission'])} | {record.get('seconds', 0.0):.2f} | "
            f"{record['score']:g} |"
        )
    failing = [r for r in records if not r.get("error") and r["score"] < _PASS_MARK * maximum]
    lines += ["", "## Failing submissions", ""]
    if faults:
        lines.append("Not graded (grader fault; the next run retries them):")
        lines += [f"- {_cell(r['submission'])}: {_cell(r['error'])}" for r in faults]
        lines.append("")
    if failing:
        lines.append(f"Below {_PASS_MARK:.0%} of the maximum ({len(failing)}):")
        for record in sorted(failing, key=lambda r: (r["score"], r["submission"]))[:30]:
            who = f" ({record['students']})" if record.get("students") else ""
            lines.append(f"- {_cell(record['submission'])}{_cell(who)}: {record['score']:g}")
    elif not faults:
        lines.append("None.")
    notes = list(notes)
    if notes:
        lines += ["", "## Skipped entries", ""] + [f"- {_cell(n)}" for n in notes]
    return "\n".join(lines) + "\n"


def _hand_section(records: list[dict[str, Any]], hand: HandScores, auto_max: float) -> list[str]:
    """The written problems, graded by hand: per problem, then auto, hand and total means."""
    names = [r["submission"] for r in records]
    lines = [
        "## Written problems (graded by hand)",
        "",
        "| problem | title | max | graded | mean of graded |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for problem in hand.problems:
        given = [v for v in (hand.score(n, problem.id) for n in names) if v is not None]
        mean = f"{statistics.mean(given):.2f}" if given else "-"
        lines.append(
            f"| {problem.id} | {_cell(problem.title)} | {problem.points:g} | "
            f"{len(given)}/{len(names)} | {mean} |"
        )
    autos = [r["score"] for r in records]
    hands = [hand.total(n) for n in names]
    totals = [a + h for a, h in zip(autos, hands, strict=True)]
    missing = sum(hand.score(n, p.id) is None for n in names for p in hand.problems)
    lines += [
        "",
        f"Means: auto-graded {statistics.mean(autos):.2f} / {auto_max:g}, by hand "
        f"{statistics.mean(hands):.2f} / {hand.max_score:g}, total {statistics.mean(totals):.2f}"
        f" / {auto_max + hand.max_score:g}.",
        "",
    ]
    if missing:
        lines += [f"{missing} written answers have no hand score yet (counted as 0).", ""]
    return lines


def _diagnoses(records: list[dict[str, Any]], out: Path) -> tuple[Counter, Counter]:
    """(problem, hint) and (problem, first failure line), counted once per submission."""
    hints: Counter = Counter()
    failures: Counter = Counter()
    for record in records:
        try:
            document = json.loads((out / record["results"]).read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError):
            continue
        seen_hints, seen_failures = set(), set()
        for test in document.get("tests", []):
            if test.get("status") != "failed":
                continue
            problem = str(test.get("number", "?")).rsplit(".", 1)[0]
            text = str(test.get("output", ""))
            text = text.removeprefix("(hidden case) ")
            lines = text.splitlines()
            if lines:
                seen_failures.add((problem, lines[0][:150]))
            for line in lines:
                if line.startswith("Hint: "):
                    seen_hints.add((problem, line.removeprefix("Hint: ")[:200]))
        hints.update(seen_hints)
        failures.update(seen_failures)
    return hints, failures


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def write_chart(records: list[dict[str, Any]], problems: ProblemSet, path: Path) -> bool:
    """A bar chart of each problem's mean score and full-marks rate; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        Path(path).unlink(missing_ok=True)  # never leave a stale chart next to a new report
        return False
    graded = [r for r in records if not r.get("error")]
    code = [p for p in problems.problems if p.graded]
    means, rates = [], []
    for problem in code:
        scores = [r["problems"].get(problem.id, 0.0) / problem.points for r in graded]
        means.append(statistics.mean(scores) if scores else 0.0)
        rates.append(sum(s >= 1.0 for s in scores) / len(scores) if scores else 0.0)
    figure, axes = plt.subplots(figsize=(max(6.0, 0.7 * len(code)), 3.5))
    positions = range(len(code))
    axes.bar([x - 0.2 for x in positions], means, width=0.4, label="mean score (fraction of max)")
    axes.bar([x + 0.2 for x in positions], rates, width=0.4, label="full marks (fraction)")
    axes.set_xticks(list(positions), [p.id for p in code], rotation=45, ha="right")
    axes.set_ylim(0, 1)
    axes.set_title(f"{len(graded)} submissions")
    axes.legend(loc="lower right", fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True
