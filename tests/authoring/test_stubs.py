"""grader/authoring/stubs.py: exercises/ is generated from solutions/, mirrors it, and is
current."""

from __future__ import annotations

import ast
import importlib.util
import inspect
from pathlib import Path
from types import ModuleType

import pytest

from grader.authoring import stubs
from grader.problems import load

MODULES = load().modules  # the tutorial's student modules, from problems.yaml

PROBLEMS = load()


def _import(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _public(module: ModuleType) -> dict[str, object]:
    return {
        name: value
        for name, value in vars(module).items()
        if not name.startswith("_")
        and getattr(value, "__module__", module.__name__) == module.__name__
        and not isinstance(value, ModuleType)
    }


@pytest.mark.parametrize("module", MODULES)
def test_committed_stubs_are_current(module: str) -> None:
    """Is exercises/<module>.py exactly what the generator makes from solutions/?"""
    generated = stubs.render_all(PROBLEMS)[f"{module}.py"]
    committed = (load().exercises_dir / f"{module}.py").read_text(encoding="utf-8")
    assert committed == generated, "run `python -m grader stubs` and commit the result"


@pytest.mark.parametrize("module", MODULES)
def test_exercises_mirror_solutions(module: str) -> None:
    """Same functions, signatures, type hints and docstrings in stub and reference?"""
    reference = _import(load().solutions_dir / f"{module}.py", f"ref_{module}")
    stub = _import(load().exercises_dir / f"{module}.py", f"stub_{module}")
    ref_names = {n for n, v in _public(reference).items() if callable(v)}
    stub_names = {n for n, v in _public(stub).items() if callable(v)}
    assert ref_names == stub_names
    for name in ref_names:
        ref_function, stub_function = getattr(reference, name), getattr(stub, name)
        assert inspect.signature(ref_function) == inspect.signature(stub_function), name
        assert inspect.getdoc(ref_function) == inspect.getdoc(stub_function), name
    assert reference.__doc__ == stub.__doc__


@pytest.mark.parametrize("target", PROBLEMS.targets)
def test_every_stub_raises_not_implemented_naming_its_problem(target: str) -> None:
    """Does each stub function raise NotImplementedError that names its problem?"""
    module, name = target.split(".")
    stub = _import(load().exercises_dir / f"{module}.py", f"stub_{module}")
    value = getattr(stub, name)
    if not callable(value):
        assert isinstance(value, dict) and set(value.values()) == {None}
        return
    problem = PROBLEMS.first_problem_of(target).id
    parameters = inspect.signature(value).parameters.values()
    args = [[[1.0]] for p in parameters if p.default is inspect.Parameter.empty]
    with pytest.raises(NotImplementedError, match=f"Problem {problem}: implement {name}"):
        value(*args)


def test_task_types_stub_has_every_key_set_to_none() -> None:
    """Does the TASK_TYPES stub list exactly the reference's keys, all None?"""
    reference = _import(load().solutions_dir / "rnn_types.py", "ref_rnn_types")
    stub = _import(load().exercises_dir / "rnn_types.py", "stub_rnn_types")
    assert list(stub.TASK_TYPES) == list(reference.TASK_TYPES)
    assert set(stub.TASK_TYPES.values()) == {None}
    assert stub.ONE_TO_MANY == reference.ONE_TO_MANY == "one-to-many"


def test_stubs_contain_no_reference_code() -> None:
    """Does any statement of a reference body survive in the stubs?"""
    for module in MODULES:
        reference = (load().solutions_dir / f"{module}.py").read_text(encoding="utf-8")
        stub = (load().exercises_dir / f"{module}.py").read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in stub and "END SOLUTION" not in stub
        body_lines = stubs.solution_lines(reference)
        leaked = [line for line in body_lines if len(line) > 20 and line in stub]
        assert not leaked, f"{module}: {leaked[:3]}"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param("def f():\n    # BEGIN SOLUTION\n    return 1\n", "without END", id="open"),
        pytest.param("def f():\n    # END SOLUTION\n    return 1\n", "without BEGIN", id="close"),
        pytest.param("def f(:\n", "not valid Python", id="syntax"),
        pytest.param("# BEGIN SOLUTION\n# BEGIN SOLUTION\n", "nested", id="nested"),
        pytest.param(
            "X = [\n    # BEGIN SOLUTION\n    1,\n    # END SOLUTION\n]\n",
            "needs STUB lines",
            id="indented-without-stub",
        ),
    ],
)
def test_bad_markers_are_errors(source: str, message: str) -> None:
    """Are unbalanced or misplaced markers reported with file and line?"""
    with pytest.raises(stubs.MarkerError, match=message):
        stubs.stub_source(source, "conv", PROBLEMS)


def test_regions_become_raise_stub_lines_or_nothing() -> None:
    """Does each kind of region turn into the documented stub?"""
    source = (
        "# BEGIN SOLUTION\ndef _helper():\n    return 2\n# END SOLUTION\n"
        "def conv2d(image, kernel):\n    '''Doc.'''\n    # BEGIN SOLUTION\n    return _helper()\n"
        "    # END SOLUTION\n"
        "T = {\n    # BEGIN SOLUTION\n    # STUB: 'a': None,\n    'a': 1,\n    # END SOLUTION\n}\n"
    )
    out = stubs.stub_source(source, "conv", PROBLEMS)
    assert "_helper" not in out
    assert '    raise NotImplementedError("Problem 1a: implement conv2d in conv.py")\n' in out
    assert "T = {\n    'a': None,\n}\n" in out
    ast.parse(out)
