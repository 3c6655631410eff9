"""grader/instructor/handscores.py: the blank file, reading it back, and errors naming file, row,
column."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.instructor import handscores
from grader.problems import DEFAULT_PATH, load

PROBLEMS = load(DEFAULT_PATH)
WRITTEN = [p for p in PROBLEMS.problems if not p.graded]
HEADER = "submission,students,1c-why (max 1),3-why (max 1),4b (max 1),4c (max 1),notes"


def write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "hand-scores.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_blank_file_has_one_empty_row_per_submission() -> None:
    """Does the template list every submission, students and empty score cells?"""
    text = handscores.render([("alice", ""), ("submission_2", "Dana; Eve")], WRITTEN)
    assert text == f"{HEADER}\nalice,,,,,,\nsubmission_2,Dana; Eve,,,,,\n"


def test_read_back_what_a_ta_filled(tmp_path: Path) -> None:
    """Are filled cells read as points, empty ones as not graded, and totals added?"""
    path = write(tmp_path, "alice,,1,0.5,,,good", "bob,Bob B,,,0,1,")
    scores = handscores.read(path, WRITTEN, {"alice", "bob", "carol"})
    assert scores.scores == {"alice": {"1c-why": 1.0, "3-why": 0.5}, "bob": {"4b": 0.0, "4c": 1.0}}
    assert scores.total("alice") == 1.5 and scores.total("carol") == 0
    assert scores.score("alice", "4b") is None
    assert scores.notes == {"alice": "good"} and scores.max_score == 4


def test_plain_ids_as_headers_and_a_byte_order_mark(tmp_path: Path) -> None:
    """Are "4b" headers (no "(max 1)") and a spreadsheet's BOM accepted?"""
    path = tmp_path / "h.csv"
    path.write_bytes("\ufeffsubmission,4b\nalice,1\n".encode())
    assert handscores.read(path, WRITTEN).scores == {"alice": {"4b": 1.0}}


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        (["mallory,,1,,,,"], HEADER, "row 2, column 'submission': 'mallory' is not a submission"),
        (["alice,,1,,,,", "alice,,,,,,"], HEADER, "row 3, column 'submission': 'alice' appears"),
        (["alice,,,2,,,"], HEADER, "row 2, column '3-why (max 1)': 2 is outside 0..1"),
        (["alice,,,-0.5,,,"], HEADER, "row 2, column '3-why (max 1)': -0.5 is outside 0..1"),
        (["alice,,,,one,,"], HEADER, "row 2, column '4b (max 1)': 'one' is not a number"),
        (["alice,,,,nan,,"], HEADER, "row 2, column '4b (max 1)': 'nan' is not a number"),
        (["alice,1"], "submission,4z", "row 1, column 2 ('4z'): not a written problem"),
        (["alice,1"], "students,4b", "row 1: no 'submission' column"),
        ([",,1,,,,"], HEADER, "row 2, column 'submission': empty"),
        (["alice,,,,,,,,"], HEADER, "row 2: 9 cells for 7 columns"),
    ],
)  # fmt: skip
def test_errors_name_file_row_and_column(
    tmp_path: Path, rows: list[str], header: str, message: str
) -> None:
    """Is each mistake an error naming the file, the row and the column?"""
    path = write(tmp_path, *rows, header=header)
    with pytest.raises(handscores.HandScoresError) as error:
        handscores.read(path, WRITTEN, {"alice", "bob"})
    assert str(error.value).startswith(str(path))
    assert message in str(error.value)


def test_render_keeps_what_was_entered(tmp_path: Path) -> None:
    """Run again, does the file keep filled cells and notes, add new submissions, drop none?"""
    path = write(tmp_path, "alice,,1,,,,see page", "gone,,0.5,,,,")
    kept = handscores.read(path, WRITTEN)
    text = handscores.render([("alice", ""), ("bob", "")], WRITTEN, kept)
    assert text.splitlines() == [HEADER, "alice,,1,,,,see page", "bob,,,,,,", "gone,,0.5,,,,"]
