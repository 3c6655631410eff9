"""grader/intake/statements.py (programs from source text) and the worker's statement runner."""

from __future__ import annotations

import json
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

from grader.intake import statements
from grader.intake.statements import Statement
from grader.runtime.runner import run_program

RUNTIME = Path(__file__).resolve().parents[2] / "grader" / "runtime"


def program(text: str, filename: str = "conv.py") -> list[Statement]:
    found, dropped = statements.program(text, filename)
    assert dropped == []
    return found


def run(found: list[Statement], name: str = "conv") -> tuple[dict, list[dict]]:
    """Run a program as the worker does (trusted test data); its namespace and failures."""
    namespace: dict = {"__name__": name}
    encoded = json.loads(statements.encode(tuple(found)))["statements"]
    return namespace, run_program(encoded, namespace)


def test_every_top_level_statement_is_one_statement() -> None:
    """Are compound statements, decorators and `a; b` lines split as Python sees them?"""
    text = (
        "import numpy as np\n"
        "a = 1; b = 2\n"
        "@staticmethod\n"
        "def f(x):\n"
        "    return x\n"
        "if a:\n"
        "    c = 3\n"
        "else:\n"
        "    c = 4\n"
    )
    found = program(text)
    assert [(s.where, s.text, s.names) for s in found] == [
        ("conv.py, line 1", "import numpy as np", ("np",)),
        ("conv.py, line 2", "a = 1", ("a",)),
        ("conv.py, line 2", "b = 2", ("b",)),
        ("conv.py, line 3", "@staticmethod\ndef f(x):\n    return x", ("f",)),
        ("conv.py, line 6", "if a:\n    c = 3\nelse:\n    c = 4", ("c",)),
    ]
    assert all(s.runs and s.filename == "conv.py" for s in found)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("import matplotlib.pyplot as plt", ("plt",)),
        ("import os.path", ("os",)),
        ("from numpy.typing import ArrayLike as A, NDArray", ("A", "NDArray")),
        ("from math import *", ()),
        ("x, (y, *z) = 1, (2, 3)", ("x", "y", "z")),
        ("def f():\n    local = 1", ("f",)),
        ("class K:\n    inner = 1", ("K",)),
        (
            "try:\n    import torch\nexcept ImportError as error:\n    torch = None",
            ("torch", "error"),
        ),
        ("squares = [i * i for i in range(3)]", ("squares",)),
        ("n: int = 3", ("n",)),
        ("for i in range(3):\n    total = i", ("i", "total")),
    ],
)
def test_names_bound(text: str, names: tuple[str, ...]) -> None:
    """Does each statement know the module-level names it binds, and only those?"""
    assert program(text)[0].names == names


def test_a_syntax_error_costs_only_its_statement() -> None:
    """Is a .py file with a broken function kept but for that function, with file and line?"""
    text = (
        "import numpy as np\n"
        "\n"
        "def broken(x):\n"
        "    return x +\n"
        "\n"
        "def good(x):\n"
        "    return 2 * x\n"
        "try:\n"
        "    y = 1\n"
        "except ValueError:\n"
        "    y = 2\n"
        "x = (1,\n"
        "def after_unclosed():\n"
        "    return 3\n"
    )
    found = program(text)
    failed = [s for s in found if not s.runs]
    assert [s.failure for s in failed] == [
        "conv.py, line 4: invalid syntax; the statement starting at line 3 was skipped",
        "conv.py, line 12: '(' was never closed; the statement starting there was skipped",
    ]
    assert [s.names for s in failed] == [("broken",), ("x",)]
    namespace, failures = run(found)
    assert (namespace["good"](2), namespace["y"], namespace["after_unclosed"]()) == (4, 1, 3)
    assert "broken" not in namespace and failures == []


def test_get_ipython_calls_are_skipped_but_definitions_using_it_are_kept() -> None:
    """Is a statement that calls get_ipython() skipped, and a def whose body does kept?"""
    text = (
        "get_ipython().run_line_magic('matplotlib', 'inline')\n"
        "def shell():\n"
        "    return get_ipython()\n"
        "if True:\n"
        "    get_ipython().system('ls')\n"
    )
    found = program(text)
    assert [s.runs for s in found] == [False, True, False]
    assert found[0].failure == (
        "conv.py, line 1: `get_ipython().run_line_magic('matplotlib', 'inline')` calls "
        "get_ipython(), which exists only inside Jupyter; it was skipped"
    )


def test_the_worker_runs_each_statement_and_goes_on() -> None:
    """Does one failing statement (any exception, even SystemExit) spare the later ones?"""
    text = (
        "import matplotlib_is_not_here.pyplot as plt\n"
        "raise SystemExit(3)\n"
        "x = undefined_name\n"
        "def f():\n"
        "    return 1\n"
        "if __name__ == '__main__':\n"
        "    ran_as_main = True\n"
    )
    namespace, failures = run(program(text))
    assert namespace["f"]() == 1 and "ran_as_main" not in namespace
    assert failures == [
        {
            "index": 0,
            "type": "ModuleNotFoundError",
            "message": "No module named 'matplotlib_is_not_here'",
            "missing": "matplotlib_is_not_here",
        },
        {"index": 1, "type": "SystemExit", "message": "3", "missing": ""},
        {
            "index": 2,
            "type": "NameError",
            "message": "name 'undefined_name' is not defined",
            "missing": "",
        },
    ]


def test_future_imports_carry_over_and_tracebacks_show_the_students_lines() -> None:
    """Do later statements compile under `from __future__ import annotations`, and do
    tracebacks name the student's file and line, with the line's text?"""
    text = (
        "from __future__ import annotations\n"
        "\n"
        "def f(x: NotDefinedAnywhere) -> int:\n"
        "    raise ValueError(x)\n"
    )
    namespace, failures = run(program(text, "hw/conv.py"))
    assert failures == []
    with pytest.raises(ValueError) as caught:
        namespace["f"](1)
    frame = traceback.extract_tb(caught.value.__traceback__)[-1]
    assert (frame.filename, frame.lineno, frame.line) == ("hw/conv.py", 4, "raise ValueError(x)")


def test_modules_import_each_others_helpers_through_the_finder(tmp_path: Path) -> None:
    """Does `from conv import helper` in rnn run conv's program, statement by statement, in a
    worker-like process, with __file__ and failures per module?"""
    sources = {
        "conv": "import matplotlib_is_not_here\ndef helper():\n    return 7\n",
        "rnn": "from conv import helper\nimport conv\ndef uses():\n    return helper() + 1\n",
    }
    for module, text in sources.items():
        found = tuple(program(text, f"{module}.py"))
        (tmp_path / f"{module}.py").write_bytes(statements.listing(found, f"{module}.py"))
        (tmp_path / f"{module}.program.json").write_bytes(statements.encode(found))
    script = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(RUNTIME)!r})\n"
        "import worker\n"
        f"finder = worker.runner.Programs(lambda name: worker._program({str(tmp_path)!r}, name))\n"
        "sys.meta_path.insert(0, finder)\n"
        "import rnn\n"
        "print(json.dumps([rnn.uses(), rnn.conv.__file__, finder.take_failures()]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", script], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    value, file, failures = json.loads(done.stdout)
    assert (value, file) == (8, str(tmp_path / "conv.py"))
    assert failures == {
        "conv": [
            {
                "index": 0,
                "type": "ModuleNotFoundError",
                "message": "No module named 'matplotlib_is_not_here'",
                "missing": "matplotlib_is_not_here",
            }
        ],
        "rnn": [],
    }


def test_statement_text_is_shortened_for_messages() -> None:
    """Is a long first line quoted shortened, and a decorator skipped for the def line?"""
    long = program("x = " + "1 + " * 30 + "1\n")[0]
    assert long.shown.endswith("...") and len(long.shown) == 60
    assert program("@dec\ndef f():\n    pass\n")[0].shown == "def f():"
