"""grader/intake/writefile.py: `%%writefile conv.py` cells read as the modules they write."""

from __future__ import annotations

import pytest

from grader.intake import writefile
from grader.intake.submission import Submission
from tests.intake.test_submission import intake, notebook, run, write

CONV = "import numpy as np\n\ndef conv2d(x):\n    return 2 * x"
SHAPES = "def out_size(n):\n    return n - 2\n"


@pytest.mark.parametrize(
    ("text", "name", "append", "body"),
    [
        ("%%writefile conv.py\nx = 1", "conv.py", False, "x = 1\n"),
        ("\n%%writefile -a conv.py\nx = 1\n", "conv.py", True, "x = 1\n"),
        ("%%writefile --append /content/conv.py\n", "conv.py", True, ""),
        ('%%file "my dir/conv.py"\ny = 2\n', "conv.py", False, "y = 2\n"),
        ("%%writefile\nx = 1\n", "", False, "x = 1\n"),
    ],
)
def test_written(text, name, append, body):
    cell = writefile.written(text, 4)
    assert cell is not None
    assert (cell.cell, cell.name, cell.append, cell.body) == (4, name, append, body)


@pytest.mark.parametrize("text", ["x = 1\n", "%%time\nx = 1\n", "# %%writefile conv.py\n", ""])
def test_other_cells_write_nothing(text):
    assert writefile.written(text, 1) is None


def colab(tmp_path, *cells: str) -> Submission:
    write(tmp_path, {"tutorial9.ipynb": notebook(*cells)})
    return intake(tmp_path, ("conv", "shapes"))


def test_writefile_cells_are_the_modules_they_write(tmp_path):
    submission = colab(
        tmp_path,
        "!pip install numpy\n",
        f"%%writefile conv.py\n{CONV}",
        f"%%writefile shapes.py\n{SHAPES}",
        "from conv import conv2d\nimport shapes\nprint(conv2d(3), shapes.out_size(5))\n",
    )
    conv, shapes = submission.sources["conv"], submission.sources["shapes"]
    assert conv.origin == "conv.py (written by tutorial9.ipynb)"
    assert conv.code == CONV.encode() + b"\n"  # what IPython writes
    assert run(conv)["conv2d"](3) == 6  # type: ignore[operator]
    assert run(shapes, "shapes")["out_size"](5) == 3  # type: ignore[operator]
    assert submission.messages == (
        "tutorial9.ipynb, cell 2: read `%%writefile conv.py` as conv.py",
        "tutorial9.ipynb, cell 3: read `%%writefile shapes.py` as shapes.py",
        "using conv.py (written by tutorial9.ipynb) for conv",
        "using shapes.py (written by tutorial9.ipynb) for shapes",
    )


def test_appended_cells_follow_the_last_cell_that_writes_the_file(tmp_path):
    submission = colab(
        tmp_path,
        "%%writefile conv.py\nold = 1\n",
        "%%writefile conv.py\nimport numpy as np",
        "%%writefile -a conv.py\ndef conv2d(x):\n    return np.asarray(x) * 2",
        "def out_size(n):\n    return n - 2\n",
    )
    conv = submission.sources["conv"]
    assert conv.code == b"import numpy as np\ndef conv2d(x):\n    return np.asarray(x) * 2\n"
    assert "old" not in run(conv)
    assert submission.sources["shapes"].origin == "tutorial9.ipynb"  # the rest of the notebook
    assert run(submission.sources["shapes"], "shapes")["out_size"](4) == 2  # type: ignore[operator]
    assert submission.messages == (
        "tutorial9.ipynb, cell 2: read `%%writefile conv.py` as conv.py",
        "tutorial9.ipynb, cell 3: read `%%writefile -a conv.py` as conv.py",
        "using conv.py (written by tutorial9.ipynb) for conv",
        "using tutorial9.ipynb for shapes",
    )


def test_a_submitted_file_wins_and_other_files_are_noted(tmp_path):
    write(tmp_path, {"conv.py": "def conv2d(x):\n    return x\n"})
    submission = colab(
        tmp_path,
        f"%%writefile conv.py\n{CONV}",
        "%%writefile helpers.py\nh = 1\n",
        SHAPES,
    )
    assert submission.sources["conv"].origin == "conv.py"
    assert submission.sources["shapes"].origin == "tutorial9.ipynb"
    assert submission.messages == (
        "tutorial9.ipynb, cell 1: `%%writefile conv.py` was not used: the submitted conv.py was",
        "tutorial9.ipynb, cell 2: `%%writefile helpers.py` writes a file the grader does not "
        "use; only conv.py, shapes.py are graded",
        "using conv.py for conv",
        "using tutorial9.ipynb for shapes",
    )


def test_a_writefile_module_is_checked_like_a_file(tmp_path):
    submission = colab(tmp_path, "%%writefile conv.py\nx = (\n", f"%%writefile shapes.py\n{SHAPES}")
    assert submission.errors == {
        "conv": "conv.py (written by tutorial9.ipynb), line 1: '(' was never closed"
    }


def test_notebook_ignored_when_every_module_has_a_py_file_is_not_read(tmp_path):
    write(tmp_path, {"conv.py": "x = 1\n", "shapes.py": "y = 1\n"})
    submission = colab(tmp_path, "%%writefile conv.py\nx = 2\n")
    assert submission.messages == (
        "ignored tutorial9.ipynb: every module has its .py file",
        "using conv.py for conv",
        "using shapes.py for shapes",
    )
