"""grader/selfcheck/command.py: the notebook's check cells, executed with a real kernel (nbclient
and ipykernel, the `test` extra) next to the unzipped student bundle, as students run them."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.authoring import release
from grader.problems import load
from grader.selfcheck import command
from tests.solved import solved_notebook, stub_notebook

nbclient = pytest.importorskip("nbclient", reason="nbclient is in the `test` extra")
pytest.importorskip("ipykernel", reason="ipykernel is in the `test` extra")

PROBLEMS = load()
CODE = [p for p in PROBLEMS.problems if p.graded]


@pytest.fixture(scope="module")
def student_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return release.build_student(tmp_path_factory.mktemp("bundle") / "tutorial9-student.zip").path


def execute(text: str, folder: Path) -> dict[str, str]:
    """Run the notebook `text` in `folder` with a fresh kernel: {cell id: its printed text}."""
    book = nbformat.reads(text, as_version=4)
    client = nbclient.NotebookClient(
        book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    client.execute()
    printed = {}
    for cell in book.cells:
        if cell.cell_type == "code":
            outputs = cell.get("outputs", [])
            errors = [o for o in outputs if o.get("output_type") == "error"]
            assert not errors, f"{cell.id}: {errors[0].get('evalue')}"
            printed[cell.id] = "".join(o.get("text", "") for o in outputs)
    return printed


def bundle(student_zip: Path, tmp_path: Path) -> Path:
    with zipfile.ZipFile(student_zip) as archive:
        archive.extractall(tmp_path)
    return tmp_path / PROBLEMS.name


@pytest.mark.slow
def test_stub_notebook_checks_say_not_implemented(student_zip: Path, tmp_path: Path) -> None:
    """Run top to bottom beside the bundle, does every check cell list failing checks, saying
    which function is not implemented yet, and the last cell say what to submit?"""
    folder = bundle(student_zip, tmp_path) / "exercises"
    printed = execute((folder / "tutorial9.ipynb").read_text(encoding="utf-8"), folder)
    for problem in CODE:
        shown = printed[f"{problem.id}-check"]
        assert shown.startswith(f"{problem.title}: 0 of "), shown
        assert "  ok " not in shown and "FAIL" in shown
        messages = [line.strip() for line in shown.splitlines() if line.startswith(" " * 7)]
        assert len(messages) == shown.count("FAIL"), shown  # one line each
        for message in messages:  # the stub's TASK_TYPES is a dict of None
            assert "is not implemented yet" in message or "TASK_TYPES" in message, message
    summary = printed["check-all"]
    assert f"{len(CODE)} code problems fail a public check" in summary
    assert "To submit:" in summary and "Written problems" in summary


@pytest.mark.slow
def test_solved_notebook_passes_every_check_in_the_kernel(
    student_zip: Path, tmp_path: Path
) -> None:
    """Does a notebook solved in its cells pass every public check from its check cells?"""
    folder = bundle(student_zip, tmp_path) / "exercises"
    printed = execute(solved_notebook(), folder)
    for problem in CODE:
        shown = printed[f"{problem.id}-check"]
        first = shown.splitlines()[0]
        count = first.rsplit(": ", 1)[1].split()
        assert count[0] == count[2] and "FAIL" not in shown, shown
    assert printed["check-all"].startswith("Every public check passes.")


@pytest.mark.slow
def test_colab_setup_unzips_the_uploaded_bundle(student_zip: Path, tmp_path: Path) -> None:
    """The notebook alone with tutorial9-student.zip beside it (Colab's /content): does the
    first cell unzip the bundle so that the checks run?"""
    shutil.copy(student_zip, tmp_path / "tutorial9-student.zip")
    printed = execute(stub_notebook(), tmp_path)
    assert (tmp_path / PROBLEMS.name / "grader" / "selfcheck" / "command.py").is_file()
    assert "is not implemented yet" in printed["1a-check"]


@pytest.mark.slow
def test_a_notebook_without_the_bundle_says_what_to_do(tmp_path: Path) -> None:
    """Without the bundle's files, does each check cell say how to get them (no traceback)?"""
    book = nbformat.reads(stub_notebook(), as_version=4)
    hide = (  # this project may be installed where the kernel runs; a student's is not
        "import sys\n"
        "class NoGrader:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'grader':\n"
        "            raise ImportError(f'No module named {name!r}')\n"
        "sys.meta_path.insert(0, NoGrader())"
    )
    book.cells.insert(0, nbformat.v4.new_code_cell(hide, id="hide"))
    printed = execute(nbformat.writes(book), tmp_path)
    assert "check() needs the files of tutorial9-student.zip" in printed["1a-check"]
    assert "upload tutorial9-student.zip" in printed["check-all"]


def test_check_of_an_unknown_problem_names_the_known_ones(capsys: pytest.CaptureFixture) -> None:
    command.check("9z")
    assert "There is no code problem '9z': choose one of 1a, 1b" in capsys.readouterr().out


def test_report_lists_each_case_with_its_message() -> None:
    results = [
        command.Result("1a", "first case", True, ""),
        command.Result("1a", "second case", False, "conv2d(image, kernel) is not implemented yet"),
    ]
    assert command.report("Problem 1(a)", results).splitlines() == [
        "Problem 1(a): 1 of 2 public checks pass",
        "  ok   first case",
        "  FAIL second case",
        "       conv2d(image, kernel) is not implemented yet",
    ]
