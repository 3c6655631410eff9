"""hand-scores.csv: the TA's points for the written problems, written blank and read back.

The file has one row per submission and the columns

    submission, students, <id> (max <points>) for each written problem, notes

`python -m grader answers` writes it with empty score cells (keeping the cells and notes of
an existing file, so it can be run again as submissions arrive); the TA fills in what each
answer earns; `python -m grader batch ... --hand-scores hand-scores.csv` reads it back. An
empty cell means "not graded yet" and counts as 0 in the hand total. Reading checks every
cell and names the file, row and column of the first problem: a submission that is not in
the batch, a duplicate row, a score that is not a number or is outside 0..max, an unknown
column.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader.problems import Problem

HAND_SCORES = "hand-scores.csv"
_FIXED = ("submission", "students", "notes")
_COLUMN = re.compile(r"^(?P<id>.+?)(?:\s*\(max\s+[0-9.]+\))?$")
_MAX_BYTES = 10 * 1024 * 1024


class HandScoresError(ValueError):
    """A hand-scores file that cannot be used; the message names file, row and column."""


@dataclass(frozen=True)
class HandScores:
    """The points given by hand: submission -> problem id -> points (graded cells only)."""

    problems: tuple[Problem, ...]  # the written problems, in problems.yaml order
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    students: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def total(self, submission: str) -> float:
        return round(sum(self.scores.get(submission, {}).values()), 4)

    def score(self, submission: str, problem: str) -> float | None:
        return self.scores.get(submission, {}).get(problem)

    @property
    def max_score(self) -> float:
        return round(sum(p.points for p in self.problems), 4)


def column(problem: Problem) -> str:
    """The header of a problem's column: "4b (max 1)"."""
    return f"{problem.id} (max {problem.points:g})"


def render(
    rows: Iterable[tuple[str, str]], written: Sequence[Problem], kept: HandScores | None = None
) -> str:
    """The CSV text for (submission, students) rows, keeping the cells of `kept`.

    Rows of `kept` for submissions not in `rows` stay, at the end: a TA's work is never lost.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", "students", *(column(p) for p in written), "notes"])
    seen = set()
    names = [(name, students) for name, students in rows]
    if kept is not None:
        names += [(n, kept.students.get(n, "")) for n in kept.scores if n not in dict(names)]
        names += [(n, kept.students.get(n, "")) for n in kept.notes if n not in dict(names)]
    for name, students in names:
        if name in seen:
            continue
        seen.add(name)
        cells = []
        for problem in written:
            value = kept.score(name, problem.id) if kept is not None else None
            cells.append("" if value is None else f"{value:g}")
        note = kept.notes.get(name, "") if kept is not None else ""
        writer.writerow([name, students, *cells, note])
    return buffer.getvalue()


def read(
    path: Path, written: Sequence[Problem], submissions: Collection[str] | None = None
) -> HandScores:
    """Read and check a hand-scores file; `submissions` (when given) are the known names."""
    path = Path(path)
    try:
        with open(path, "rb") as stream:
            data = stream.read(_MAX_BYTES + 1)
    except OSError as exc:
        raise HandScoresError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > _MAX_BYTES:
        raise HandScoresError(f"{path}: larger than {_MAX_BYTES} bytes; is it the right file?")
    try:
        text = data.decode("utf-8-sig")  # a spreadsheet may add a byte-order mark
    except UnicodeDecodeError:
        raise HandScoresError(f"{path}: not UTF-8 text; save it as CSV (UTF-8)") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise HandScoresError(f"{path}: empty; expected a header row") from None
    except csv.Error as exc:
        raise HandScoresError(f"{path}, row 1: not valid CSV ({exc})") from None
    problems = {p.id: p for p in written}
    columns: list[Problem | str | None] = []
    for number, name in enumerate(header, 1):
        name = name.strip()
        match = _COLUMN.match(name)
        if name in _FIXED:
            columns.append(name)
        elif match and match.group("id") in problems:
            columns.append(problems[match.group("id")])
        elif not name:
            columns.append(None)  # a blank column a spreadsheet added
        else:
            raise HandScoresError(
                f"{path}, row 1, column {number} ({name!r}): not a written problem; expected "
                f"submission, students, notes or one of {', '.join(problems)}"
            )
    if "submission" not in columns:
        raise HandScoresError(f"{path}, row 1: no 'submission' column")
    result = HandScores(problems=tuple(written))
    try:
        for row in reader:
            _read_row(path, reader.line_num, row, header, columns, result, submissions)
    except csv.Error as exc:
        raise HandScoresError(f"{path}, row {reader.line_num}: not valid CSV ({exc})") from None
    return result


def _read_row(
    path: Path,
    line: int,
    row: list[str],
    header: list[str],
    columns: list[Problem | str | None],
    result: HandScores,
    submissions: Collection[str] | None,
) -> None:
    if not any(cell.strip() for cell in row):
        return
    if len(row) > len(columns):
        raise HandScoresError(f"{path}, row {line}: {len(row)} cells for {len(columns)} columns")
    cells = dict(enumerate(row))
    name = cells[columns.index("submission")].strip() if "submission" in columns else ""
    where = f"{path}, row {line}"
    if not name:
        raise HandScoresError(f"{where}, column 'submission': empty")
    if submissions is not None and name not in submissions:
        raise HandScoresError(
            f"{where}, column 'submission': {name!r} is not a submission of this batch"
        )
    if name in result.scores:
        raise HandScoresError(f"{where}, column 'submission': {name!r} appears twice")
    scores: dict[str, float] = {}
    for index, kind in enumerate(columns):
        text = cells.get(index, "").strip()
        if kind == "students":
            result.students[name] = text
        elif kind == "notes" and text:
            result.notes[name] = text
        elif isinstance(kind, Problem) and text:
            scores[kind.id] = _points(text, kind, f"{where}, column {header[index].strip()!r}")
    result.scores[name] = scores


def _points(text: str, problem: Problem, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise HandScoresError(f"{where}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise HandScoresError(f"{where}: {text!r} is not a number")
    if not 0 <= value <= problem.points + 1e-9:
        raise HandScoresError(f"{where}: {text} is outside 0..{problem.points:g}")
    return value
