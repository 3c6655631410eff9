"""grader/grading/pipeline.py end to end: the real grader, sandbox included, on known
submissions."""

from __future__ import annotations

import ast
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from grader.authoring import notebook
from grader.grading.pipeline import grade, hidden_directories
from grader.problems import load
from grader.results import gradescope
from grader.results.scoring import Results

MODULES = load().modules  # the tutorial's student modules, from problems.yaml

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PROBLEMS = load()
POINTS = {p.id: p.points for p in PROBLEMS.problems if p.graded}


def _copy(source: Path, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for module in MODULES:
        shutil.copyfile(source / f"{module}.py", target / f"{module}.py")
    return target


def _by_problem(results: Results) -> dict[str, float]:
    return {p.problem.id: p.score for p in results.problems}


def _strict(results: Results) -> dict:
    """The results.json document, checked as strict JSON with every score in range."""
    document = json.loads(json.dumps(gradescope.render(results), allow_nan=False))
    for test in document["tests"]:
        assert 0 <= test["score"] <= test["max_score"]
    assert document["score"] == results.score
    return document


@pytest.fixture(scope="module")
def reference() -> Results:
    return grade(ROOT / "solutions")


@pytest.fixture(scope="module")
def untouched_stubs() -> Results:
    return grade(ROOT / "exercises")


def test_solutions_score_full_marks_without_grader_errors(reference: Results) -> None:
    """Do the reference solutions earn every point, with no grader error?"""
    assert _by_problem(reference) == POINTS
    assert reference.grader_errors == ()
    assert reference.extra["collection_errors"] == []
    _strict(reference)


def test_stubs_score_zero_and_every_case_fails(untouched_stubs: Results) -> None:
    """Does every case fail on the untouched stubs, for the student's reason, not the grader's?"""
    assert untouched_stubs.score == 0
    assert untouched_stubs.grader_errors == ()
    assert all(not t.outcome.passed for t in untouched_stubs.tests)
    assert len(untouched_stubs.tests) == len(_strict(untouched_stubs)["tests"]) > 0


def test_every_case_touches_a_target_of_its_problem(reference: Results) -> None:
    """Does each case call the exercises its problem grades (its tags)?"""
    for test in reference.tests:
        problem = PROBLEMS.problem(test.outcome.problem)
        assert test.outcome.targets, test.number
        assert set(test.outcome.targets) <= set(PROBLEMS.targets)
        assert set(test.outcome.targets) & set(problem.targets), test.number


def test_every_code_problem_has_public_and_hidden_cases(reference: Results) -> None:
    """Is each problem's grade made of visible and hidden cases?"""
    for problem in reference.problems:
        kinds = {t.outcome.visible for t in problem.tests}
        assert kinds == {True, False}, problem.problem.id


def test_hidden_cases_never_show_their_expected_values(untouched_stubs: Results) -> None:
    """Does a hidden case's message stay free of arrays and numbers from the case?"""
    for test in untouched_stubs.tests:
        if not test.outcome.visible:
            assert "expected" not in test.outcome.message.lower(), test.number


def test_the_notebook_of_the_solutions_scores_full_marks(tmp_path: Path) -> None:
    """Is a filled-in notebook a valid submission, graded like the files?"""
    solved = {
        f"{module}.py": (ROOT / "solutions" / f"{module}.py").read_text(encoding="utf-8")
        for module in MODULES
    }
    path = tmp_path / "tutorial9.ipynb"
    path.write_text(notebook.render(PROBLEMS, solved), encoding="utf-8")
    assert _by_problem(grade(path)) == POINTS


def test_the_stub_notebook_scores_zero(tmp_path: Path) -> None:
    """Does the committed (unfilled) notebook score zero, without grader errors?"""
    results = grade(load().exercises_dir / load().notebook_name)
    assert results.score == 0 and results.grader_errors == ()


def test_a_zip_of_a_nested_folder_is_graded(tmp_path: Path) -> None:
    """Is a zipped folder (as students make them) graded like the folder?"""
    archive = tmp_path / "submission.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for module in MODULES:
            bundle.write(ROOT / "solutions" / f"{module}.py", f"my work/{module}.py")
    assert _by_problem(grade(archive)) == POINTS


def test_a_syntax_error_costs_only_its_module(tmp_path: Path) -> None:
    """Does a broken conv.py cost the conv problems only, with file and line in the message?"""
    submission = _copy(ROOT / "solutions", tmp_path / "sub")
    (submission / "conv.py").write_text("def conv2d(:\n", encoding="utf-8")
    results = grade(submission)
    conv_problems = {
        p.id for p in PROBLEMS.problems if any(t.startswith("conv.") for t in p.targets)
    }
    assert _by_problem(results) == {p: 0.0 if p in conv_problems else v for p, v in POINTS.items()}
    messages = [t.outcome.message for t in results.tests if t.outcome.problem == "1a"]
    assert all("conv.py" in m and "line 1" in m for m in messages)


def test_the_sample_submission_loses_exactly_its_mistakes() -> None:
    """Does the Quickstart sample lose points only where its bugs and its missing rnn.py are?"""
    results = grade(ROOT / "examples" / "sample-submission")
    scores = _by_problem(results)
    for pid in ("1c", "2", "3", "4a", "pool", "softmax"):
        assert scores[pid] == POINTS[pid], pid
    assert scores["1a"] < POINTS["1a"] and scores["1b"] < POINTS["1b"]
    assert scores["4d"] == scores["rnn-forward"] == scores["grad-clip"] == 0
    hints = " ".join(t.outcome.message for t in results.tests)
    assert "flipped" in hints and "ceil" in hints


@pytest.mark.parametrize(
    ("module", "old", "new", "problem"),
    [
        pytest.param(
            "activations",
            '_as_float_array(x, "x") > 0, 1.0, 0.0',
            '_as_float_array(x, "x") >= 0, 1.0, 0.0',
            "3",
            id="relu-grad-at-zero",
        ),
        pytest.param(
            "rnn_types",
            '"sentiment_analysis": MANY_TO_ONE',
            '"sentiment_analysis": MANY_TO_MANY',
            "4a",
            id="sentiment-type",
        ),
    ],
)
def test_mutated_submissions_lose_points(
    tmp_path: Path, module: str, old: str, new: str, problem: str
) -> None:
    """Does one realistic bug cost points in its problem, through the real grader?"""
    submission = _copy(ROOT / "solutions", tmp_path / "sub")
    path = submission / f"{module}.py"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, "the mutation must apply exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")
    scores = _by_problem(grade(submission))
    assert scores[problem] < POINTS[problem]


def test_hidden_directories_cover_cases_and_references() -> None:
    """Are the directories holding the cases and the references hidden from the sandbox?"""
    hidden = hidden_directories()
    assert str(ROOT) in hidden  # a checkout: .git, tests and examples hold references too


def test_cases_that_do_not_load_are_a_grader_fault(tmp_path: Path) -> None:
    """Is a broken case file reported as the grader's fault, never as the student's zero?"""
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "test_broken.py").write_text("import no_such_module\n", encoding="utf-8")
    results = grade(ROOT / "solutions", cases=cases)
    assert any(e.startswith("cases that did not load") for e in results.grader_errors)
    assert "course staff will check" in gradescope.summary(results)


# --- statement by statement: realistic submissions with code that cannot run here -------------

NOT_AVAILABLE = (
    "is not available where grading happens (only numpy and Python's standard library are)"
)


def _solution(module: str) -> str:
    return (ROOT / "solutions" / f"{module}.py").read_text(encoding="utf-8")


def _once(results: Results, *fragments: str) -> None:
    """Each fragment is in exactly one of the top-level messages."""
    for fragment in fragments:
        found = [m for m in results.messages if fragment in m]
        assert len(found) == 1, (fragment, results.messages)


def test_a_colab_notebook_with_matplotlib_first_scores_full_marks(tmp_path: Path) -> None:
    """The notebook of issue 7: `%matplotlib inline` and `import matplotlib.pyplot as plt`
    first, then the stub's imports and constants, drive.mount, demo and plotting cells and a
    %%time cell holding a definition: every point, each failed statement reported once."""
    solved = {f"{module}.py": _solution(module) for module in MODULES}
    document = json.loads(notebook.render(PROBLEMS, solved))
    code = [cell for cell in document["cells"] if cell["cell_type"] == "code"]
    setup = "".join(code[0]["source"])
    code[0]["source"] = "%matplotlib inline\nimport matplotlib.pyplot as plt\n" + setup
    softmax_cell = next(c for c in code if "def softmax(" in "".join(c["source"]))
    softmax_cell["source"] = "%%time\n" + "".join(softmax_cell["source"]) + "\nsoftmax([1.0])\n"
    extra = [
        "from google.colab import drive\ndrive.mount('/content/drive')\n",
        "x = np.random.rand(6, 6)\nout = conv2d(x, np.ones((3, 3)))\nplt.imshow(out)\nplt.show()\n",
        "for alpha in (0.01, 0.1):\n    plt.plot(leaky_relu(np.linspace(-1, 1), alpha))\n",
        "print(relu(np.array([-1.0, 2.0])))\n",
    ]
    document["cells"] += [
        {"cell_type": "code", "metadata": {}, "source": text, "outputs": [], "execution_count": 1}
        for text in extra
    ]
    path = tmp_path / "tutorial9.ipynb"
    path.write_text(json.dumps(document), encoding="utf-8")
    results = grade(path)
    assert _by_problem(results) == POINTS
    _once(
        results,
        "cell 2, line 1: `%matplotlib inline` is IPython syntax",
        f"cell 2, line 2: `import matplotlib.pyplot as plt` failed: matplotlib {NOT_AVAILABLE}; "
        "the rest of the notebook was graded",
        f"`from google.colab import drive` failed: google {NOT_AVAILABLE}",
    )
    assert not any("conv.py" in m for m in results.messages)


def test_an_nbconvert_export_with_get_ipython_calls_scores_full_marks(tmp_path: Path) -> None:
    """A notebook exported as one .py (get_ipython() lines, a plot at top level): full marks,
    each skipped or failed statement reported once although the file backs every module."""
    cells = [
        "get_ipython().run_line_magic('matplotlib', 'inline')\nimport matplotlib.pyplot as plt\n",
        *(
            _solution(module).replace("from __future__ import annotations\n", "")
            for module in MODULES
        ),
        "plt.plot([1, 2])\n",
    ]
    text = "#!/usr/bin/env python\n# coding: utf-8\n" + "".join(
        f"\n# In[{number}]:\n\n\n{cell}\n" for number, cell in enumerate(cells, 1)
    )
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "tutorial9.py").write_text(text, encoding="utf-8")
    results = grade(tmp_path / "sub")
    assert _by_problem(results) == POINTS
    _once(
        results,
        "`get_ipython().run_line_magic('matplotlib', 'inline')` calls get_ipython()",
        f"`import matplotlib.pyplot as plt` failed: matplotlib {NOT_AVAILABLE}; the rest of "
        "tutorial9.py was graded",
        "`plt.plot([1, 2])` failed: NameError: name 'plt' is not defined",
    )


def test_py_files_with_demo_imports_syntax_errors_and_shared_helpers_score_full_marks(
    tmp_path: Path,
) -> None:
    """activations.py imports matplotlib for a __main__ demo, conv.py has a broken plotting
    helper, rnn.py imports its helpers from activations.py and rnn_types.py: full marks."""
    submission = _copy(ROOT / "solutions", tmp_path / "sub")
    activations = submission / "activations.py"
    activations.write_text(
        "import matplotlib.pyplot as plt\n" + _solution("activations")
        + "\n\nif __name__ == '__main__':\n    plt.plot(relu(np.linspace(-1, 1)))\n",
        encoding="utf-8",
    )  # fmt: skip
    conv = _solution("conv") + "\n\ndef show(image):\n    plt.imshow(image\n\n\nDEMO = 1\n"
    (submission / "conv.py").write_text(conv, encoding="utf-8")
    rnn = _without(_solution("rnn"), "_as_float_array", "_is_int")
    helpers = "from activations import _as_float_array\nfrom rnn_types import _is_int\n"
    rnn = rnn.replace("import numpy as np\n", f"import numpy as np\n{helpers}", 1)
    (submission / "rnn.py").write_text(rnn, encoding="utf-8")
    results = grade(submission)
    assert _by_problem(results) == POINTS
    line = conv.splitlines().index("def show(image):") + 1
    _once(
        results,
        f"activations.py, line 1: `import matplotlib.pyplot as plt` failed: matplotlib "
        f"{NOT_AVAILABLE}; the rest of activations.py was graded",
        f"conv.py, line {line + 1}: '(' was never closed; the statement starting at line {line} "
        "was skipped",
    )
    assert len([m for m in results.messages if "failed" in m or "skipped" in m]) == 2


def test_a_function_needing_a_failed_import_says_so(tmp_path: Path) -> None:
    """Does relu, which uses the plt that failed to import, fail naming the statement and the
    missing package, in hidden cases too?"""
    submission = _copy(ROOT / "solutions", tmp_path / "sub")
    text = "import matplotlib.pyplot as plt\n" + _solution("activations").replace(
        "def relu(x: ArrayLike) -> np.ndarray:\n",
        "def relu(x: ArrayLike) -> np.ndarray:\n    plt.figure()\n",
    )
    (submission / "activations.py").write_text(text, encoding="utf-8")
    results = grade(submission)
    relu_cases = [t.outcome for t in results.tests if t.outcome.targets == ("activations.relu",)]
    assert relu_cases and all(not o.passed for o in relu_cases)
    for outcome in relu_cases:
        assert outcome.message.startswith(
            "relu raised NameError: plt is not defined, since activations.py, line 1: `import "
            f"matplotlib.pyplot as plt` failed: matplotlib {NOT_AVAILABLE}"
        ), outcome.message
    assert {o.visible for o in relu_cases} == {True, False}


def _without(text: str, *names: str) -> str:
    """`text` without the top-level definitions of `names`."""
    lines = text.splitlines(keepends=True)
    for node in reversed(ast.parse(text).body):
        if getattr(node, "name", None) in names:
            del lines[node.lineno - 1 : node.end_lineno]
    return "".join(lines)
