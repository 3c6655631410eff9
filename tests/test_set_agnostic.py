"""grader/ names nothing of the tutorial's exercise set: no module, function or title of it.

Everything set-specific comes from a problems.yaml (grader/problems.py). This test reads the
tutorial's names at run time (its problems.yaml targets and the public definitions of its
reference package) and walks every module of grader/ with `ast`, looking at identifiers and
string constants (docstrings and f-string text included; comments are not code). Out of scope:
grader/cases/ (the tutorial's own cases, bundled) and grader/authoring/templates/ (files
written into archives, not grader code).

Matching is by words, not substrings. A function name of the set matches an identifier run
(letters, digits, `_`) that equals it or holds it between `_` or run ends: "relu" matches
`leaky_relu` and `relu_grad`, "rnn" never matches `runner`. A module name is often an English
word ("shapes", "activations"), so it counts only where it names a module: an identifier equal
to it as an attribute (`student.conv`) or import, and in text as `conv.py`, `conv.<name>`,
`import conv`, `from conv`, `` `conv` ``, or a whole string equal to it ("conv").
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.problems import DEFAULT_PATH, load

ROOT = Path(__file__).resolve().parent.parent
GRADER = ROOT / "grader"
EXCLUDED = (GRADER / "cases", GRADER / "authoring" / "templates")
TITLE = re.compile(r"\btutorial[ \t]+9\b", re.IGNORECASE)  # "tutorial9" is the product's name

# Files allowed to name the tutorial for now, with why. TEMPORARY: each entry goes when the
# change it waits for is merged.
ALLOWED: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SetNames:
    modules: frozenset[str]  # the set's student modules: conv, shapes, ...
    functions: frozenset[str]  # its targets' names and its references' public definitions


@dataclass(frozen=True)
class Hit:
    path: str  # relative to the repository
    line: int
    name: str
    where: str  # the identifier or text it was found in

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.name!r} in {self.where[:80]!r}"


def set_names(problems_path: Path = DEFAULT_PATH) -> SetNames:
    """The names of the set at `problems_path`: its modules, and its targets' names plus the
    public top-level definitions of its reference package."""
    problems = load(problems_path)
    functions = {target.split(".", 1)[1] for target in problems.targets}
    for source in sorted(problems.solutions_dir.glob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                functions.add(node.name)
    functions = {name for name in functions if not name.startswith("_")}
    return SetNames(frozenset(problems.modules), frozenset(functions))


_RUN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _holds(run: str, name: str) -> bool:
    """Whether the identifier run `run` is `name` or holds it between `_` or its ends."""
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", run) is not None


def _module_in_text(text: str, module: str) -> bool:
    """Whether `text` names `module` as a module (see the module docstring)."""
    if text.strip() == module:
        return True
    name = re.escape(module)
    return (
        re.search(
            rf"(?<![\w.]){name}\.(py\b|[A-Za-z_])"  # conv.py, conv.conv2d
            rf"|\b(import|from)[ \t]+{name}\b"  # import conv, from conv import x
            rf"|`{name}`",  # `conv`
            text,
        )
        is not None
    )


def text_hits(text: str, names: SetNames) -> list[str]:
    """The set's names that `text` (a string constant) names."""
    found = [n for n in names.functions if any(_holds(run, n) for run in _RUN.findall(text))]
    found += [m for m in names.modules if _module_in_text(text, m)]
    if TITLE.search(text):
        found.append("Tutorial 9")
    return sorted(set(found))


def _identifiers(tree: ast.AST) -> Iterator[tuple[ast.AST, str, bool]]:
    """(node, identifier, whether it stands where a module name would: an attribute or an
    import) for every identifier the code defines or uses."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            yield node, node.id, False
        elif isinstance(node, ast.Attribute):
            yield node, node.attr, True
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node, node.name, False
        elif isinstance(node, (ast.arg, ast.keyword)) and node.arg is not None:
            yield node, node.arg, False
        elif isinstance(node, ast.alias):
            for part in (*node.name.split("."), *([node.asname] if node.asname else [])):
                yield node, part, True
        elif isinstance(node, ast.ImportFrom) and node.module:
            for part in node.module.split("."):
                yield node, part, True
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                yield node, name, False


def source_hits(source: str, path: str, names: SetNames) -> list[Hit]:
    """Every identifier and string constant of `source` that names the set."""
    tree = ast.parse(source)
    hits = []
    for node, identifier, module_place in _identifiers(tree):
        found = [n for n in names.functions if _holds(identifier, n)]
        if module_place and identifier in names.modules:
            found.append(identifier)
        line = getattr(node, "lineno", 0)
        hits += [Hit(path, line, name, identifier) for name in found]
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            line = getattr(node, "lineno", 0)
            hits += [Hit(path, line, n, node.value) for n in text_hits(node.value, names)]
    return hits


def grader_files() -> list[Path]:
    return sorted(
        path
        for path in GRADER.rglob("*.py")
        if not any(folder in path.parents for folder in EXCLUDED)
        and "__pycache__" not in path.parts
    )


@pytest.fixture(scope="module")
def names() -> SetNames:
    return set_names()


def test_the_tutorials_names_are_read_from_its_files(names: SetNames) -> None:
    """Are the names looked for the tutorial's, read from problems.yaml and solutions/?"""
    assert {"conv", "shapes", "rnn"} <= names.modules
    assert {"conv2d", "leaky_relu", "rnn_forward", "TASK_TYPES"} <= names.functions
    assert not any(name.startswith("_") for name in names.functions)


def test_grader_names_nothing_of_the_tutorial(names: SetNames) -> None:
    """Does no module of grader/ name a module, function or the title of the tutorial?"""
    allowed = {path for path, _ in ALLOWED}
    hits = []
    for path in grader_files():
        relative = path.relative_to(ROOT).as_posix()
        if relative not in allowed:
            hits += source_hits(path.read_text(encoding="utf-8"), relative, names)
    assert not hits, "grader/ names the tutorial's set:\n" + "\n".join(map(str, hits))


def test_allowed_files_exist_and_still_need_it(names: SetNames) -> None:
    """Is every allowlist entry a file that still names the set (else delete the entry)?"""
    for path, reason in ALLOWED:
        assert reason
        source = (ROOT / path).read_text(encoding="utf-8")
        assert source_hits(source, path, names), f"{path} no longer needs its ALLOWED entry"


SAMPLE = SetNames(frozenset({"rnn", "shapes", "conv"}), frozenset({"relu", "conv2d"}))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("runner = 1", [], id="rnn-inside-runner"),
        pytest.param("def leaky_relu_grad(): pass", ["relu"], id="relu-inside-leaky_relu"),
        pytest.param("preludes = 1", [], id="relu-inside-a-word"),
        pytest.param("x = 'call conv2d(image)'", ["conv2d"], id="function-in-text"),
        pytest.param("x = 'conv2dx'", [], id="function-as-a-prefix"),
        pytest.param("x = 'arrays of different shapes'", [], id="module-as-a-word"),
        pytest.param("shapes = [a.shape for a in arrays]", [], id="module-as-a-variable"),
        pytest.param("x = 'no shapes.py found'", ["shapes"], id="module-file"),
        pytest.param("x = 'see shapes.conv_output_size'", ["shapes"], id="module-target"),
        pytest.param("x = 'in `rnn`'", ["rnn"], id="module-in-backticks"),
        pytest.param("SLOW = {'conv': 'a loop'}", ["conv"], id="module-as-a-key"),
        pytest.param("student.conv.conv2d(x)", ["conv", "conv2d"], id="attribute"),
        pytest.param("import conv", ["conv"], id="import"),
        pytest.param("x = 'run tutorial9-sandbox'", [], id="product-name"),
        pytest.param("x = f'## Tutorial 9: {y}'", ["Tutorial 9"], id="title-in-f-string"),
        pytest.param('"""Docs: tutorial  9."""', ["Tutorial 9"], id="title-in-docstring"),
        pytest.param("# conv.py in a comment\nx = 1", [], id="comment"),
    ],
)
def test_the_detector_matches_words_not_substrings(source: str, expected: list[str]) -> None:
    """Does the detector find the set's names where they name it, and only there?"""
    assert sorted({hit.name for hit in source_hits(source, "x.py", SAMPLE)}) == expected
