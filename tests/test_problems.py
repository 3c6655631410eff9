"""grader/problems.py: the shipped file loads, and bad files fail with precise messages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from grader import problems as P
from grader.authoring import notebook, release, stubs

TUTORIAL = Path(__file__).resolve().parent.parent.parent / "shared" / "tutorial9-source.txt"


@pytest.fixture(scope="module")
def shipped() -> P.ProblemSet:
    return P.load()


def test_shipped_file_has_every_tutorial_problem_in_order(shipped: P.ProblemSet) -> None:
    """Does problems.yaml list the tutorial's problems in order, then the recap exercises?"""
    ids = [p.id for p in shipped.problems]
    assert ids == [
        "1a", "1b", "1c", "1c-why", "2", "3", "3-why", "4a", "4b", "4c", "4d",
        "pool", "softmax", "rnn-forward", "grad-clip",
    ]  # fmt: skip
    assert {p.id for p in shipped.problems if p.kind == "written"} == {
        "1c-why",
        "3-why",
        "4b",
        "4c",
    }


def test_shipped_defaults(shipped: P.ProblemSet) -> None:
    """Are the documented default limits the ones in force?"""
    assert shipped.limits == P.Limits(timeout=1, memory=1024, budget=300, rtol=1e-4, atol=1e-5)
    assert shipped.problem("1c").limits.timeout == 10


def test_shipped_worst_case_fits_the_budget_and_gradescope(shipped: P.ProblemSet) -> None:
    """Does the slowest grading the limits allow fit the budget, itself well inside
    Gradescope's default 10 minutes?"""
    assert shipped.worst_case() <= shipped.limits.budget <= 300


def test_imports_get_the_largest_timeout_of_their_modules_problems(
    shipped: P.ProblemSet,
) -> None:
    """May a module's top-level code use as much CPU time as its slowest function?"""
    assert shipped.module_timeout("conv") == 10
    assert shipped.module_timeout("shapes") == 1


def test_worst_case_counts_every_import_and_function_failing_slowly(tmp_path: Path) -> None:
    """Is the worst case each import's backstop, plus per function one crash just inside its
    timeout and one backstop, plus a restart per possible kill and the grading overhead?"""
    document = _minimal()
    document["problems"][0]["targets"] = ["conv.conv2d", "shapes.conv_output_size"]
    document["problems"][0]["limits"] = {"timeout": 2}
    loaded = P.parse(document, tmp_path / "p.yaml")
    imports = 2 * P.backstop(2)
    calls = 2 * (2 + P.backstop(2))
    restarts = (2 + P.CRASHES * 2) * P.STARTUP
    assert loaded.worst_case() == imports + calls + restarts + P.OVERHEAD


def test_a_budget_below_the_worst_case_is_rejected(tmp_path: Path) -> None:
    """Is a budget that slow failures could exhaust refused at load, naming file and key?"""
    document = _minimal()
    document["limits"] = {"timeout": 30, "budget": 120}
    target = tmp_path / "p.yaml"
    target.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(P.ProblemsError) as caught:
        P.load(target)
    worst = P.parse({**document, "limits": {"timeout": 30, "budget": 10**6}}, target).worst_case()
    assert str(caught.value).startswith(
        f"p.yaml: 'limits': 'budget' (120 s) must cover the slowest grading the timeouts "
        f"allow ({worst:.0f} s"
    )


def test_statement_of_1a_has_the_image_and_filter(shipped: P.ProblemSet) -> None:
    """Does 1(a)'s statement carry the 4x4 image and the 3x3 filter of the source?"""
    statement = shipped.problem("1a").statement
    for row in ("0.5 & 0.2 & 0.1 & 0.7", "0.2 & 0.4 & 0.0 & 0.4", "0.9 & 0.8 & 0.7"):
        assert row in statement


@pytest.mark.skipif(not TUTORIAL.exists(), reason="the tutorial source is not beside the repo")
def test_statements_are_faithful_to_the_source(shipped: P.ProblemSet) -> None:
    """Does every tutorial problem's first sentence appear in the source text?"""
    source = _plain(TUTORIAL.read_text(encoding="utf-8"))
    for problem in shipped.problems:
        if problem.id in ("pool", "softmax", "rnn-forward", "grad-clip"):
            continue
        first_sentence = _plain(problem.statement.split("**Exercise.**")[0]).split(".")[0].strip()
        assert first_sentence in source, problem.id


def _plain(text: str) -> str:
    """Text without LaTeX, emphasis or line breaks, for comparing prose."""
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)  # display math: matrices differ in layout
    text = re.sub(r"[$*_(){}\\]", " ", text)
    return " ".join(text.split())


def test_targets_cover_the_whole_api(shipped: P.ProblemSet) -> None:
    """Is every student-facing function graded by some problem?"""
    assert set(shipped.targets) == {
        "conv.conv2d", "conv.conv_layer", "conv.max_pool2d", "conv.avg_pool2d",
        "shapes.conv_output_size", "shapes.conv_output_shape", "shapes.conv_num_parameters",
        "rnn_types.rnn_type", "rnn_types.TASK_TYPES",
        "activations.relu", "activations.relu_grad", "activations.leaky_relu",
        "activations.leaky_relu_grad", "activations.dead_unit_fraction", "activations.softmax",
        "rnn.rnn_forward", "rnn.clip_grad_norm", "rnn.image_to_tokens",
    }  # fmt: skip


def test_only_grad_clip_promises_new_arrays(shipped: P.ProblemSet) -> None:
    """Is memory sharing failed exactly where the statement promises new arrays?"""
    promised = [p.id for p in shipped.problems if p.returns_new_arrays]
    assert promised == ["grad-clip"]
    assert "(as new arrays)" in shipped.problem("grad-clip").statement


def test_objects_are_frozen(shipped: P.ProblemSet) -> None:
    """Can grading code change a loaded problem by accident?"""
    with pytest.raises(AttributeError):
        shipped.problem("1a").points = 100  # type: ignore[misc]


def test_problem_limits_override_the_defaults(tmp_path: Path) -> None:
    """Does a problem's `limits:` override only the keys it names?"""
    document = _minimal()
    document["problems"][0]["limits"] = {"timeout": 2, "rtol": 0.1}
    loaded = P.parse(document, tmp_path / "p.yaml")
    assert loaded.problems[0].limits == P.Limits(timeout=2, rtol=0.1)


def _minimal() -> dict:
    return {
        "schema_version": 1,
        "title": "t",
        "problems": [
            {"id": "1a", "title": "A", "statement": "S", "kind": "code", "points": 1,
             "targets": ["conv.conv2d"]},
            {"id": "w", "title": "W", "statement": "S", "kind": "written", "points": 1},
        ],
    }  # fmt: skip


def _edit(document: dict, path: str, value: object) -> dict:
    *parents, last = path.split("/")
    node: object = document
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]  # type: ignore[index]
    if value is _DELETE:
        del node[last]  # type: ignore[index,arg-type]
    else:
        node[last] = value  # type: ignore[index]
    return document


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        pytest.param("schema_version", 2, "p.yaml: 'schema_version' must be 1", id="version"),
        pytest.param("colour", "red", "p.yaml: unknown key 'colour'", id="unknown-top-key"),
        pytest.param("problems/0/pionts", 1, "problem #1: unknown key 'pionts'", id="typo-key"),
        pytest.param("problems/0/id", "1.a", "problem #1: 'id' must be letters", id="dot-in-id"),
        pytest.param("problems/0/kind", "essay", "problem '1a': 'kind' must be one of", id="kind"),
        pytest.param(
            "problems/0/points", 0, "problem '1a': 'points' must be a number > 0", id="zero-points"
        ),
        pytest.param("problems/0/points", True, "problem '1a': 'points'", id="bool-points"),
        pytest.param(
            "problems/0/targets",
            ["conv2d"],
            "problem '1a': 'targets': 'conv2d'",
            id="target-without-module",
        ),
        pytest.param(
            "problems/0/targets",
            ["grader.conv"],
            "a student module named grader.py would hide",
            id="module-shadows-the-grader",
        ),
        pytest.param(
            "problems/0/targets",
            ["random.pick"],
            "a student module named random.py would hide",
            id="module-shadows-the-standard-library",
        ),
        pytest.param("cases", "/srv/cases", "p.yaml: 'cases' must be a folder below", id="abs"),
        pytest.param(
            "problems/0/examples",
            ["conv2d(x, w)"],
            "problem '1a': 'examples' #1 (conv2d(x, w)): `x` is not a literal",
            id="example-not-literal",
        ),
        pytest.param(
            "problems/0/examples",
            ["relu(np.array([1.0]))"],
            "problem '1a': 'examples' #1 (relu(np.array([1.0]))): relu is not one of this "
            "problem's targets (conv.conv2d)",
            id="example-of-another-function",
        ),
        pytest.param(
            "problems/0/examples", "conv2d(1, 1)", "problem '1a': 'examples' must list", id="str"
        ),
        pytest.param(
            "problems/1/examples",
            ["f(1)"],
            "problem 'w': 'examples' is only for code",
            id="written",
        ),
        pytest.param("exercises", "../up", "p.yaml: 'exercises' must be a folder below", id="up"),
        pytest.param(
            "solutions",
            "my-refs",
            "'solutions' must end in a folder whose name Python can import",
            id="solutions-not-importable",
        ),
        pytest.param("name", "tutorial 9", "p.yaml: 'name' must be a short name", id="name"),
        pytest.param("answers", "/srv/a.md", "p.yaml: 'answers' must be a file below", id="ans"),
        pytest.param("answers", "../a.md", "p.yaml: 'answers' must be a file below", id="ans-up"),
        pytest.param("answers", 3, "p.yaml: 'answers' must be a file below", id="ans-number"),
        pytest.param(
            "problems/0/targets",
            _DELETE,
            "problem '1a': 'targets' must list",
            id="code-without-targets",
        ),
        pytest.param(
            "problems/1/targets",
            ["conv.conv2d"],
            "problem 'w': 'targets' is only",
            id="written-with-targets",
        ),
        pytest.param(
            "problems/0/title", "", "problem '1a': 'title' must be non-empty", id="empty-title"
        ),
        pytest.param(
            "problems/0/limits",
            {"budget": 5},
            "problem '1a': 'limits': 'budget' is",
            id="budget-per-problem",
        ),
        pytest.param(
            "problems/0/limits",
            {"timeout": -1},
            "'limits': 'timeout' must be",
            id="negative-timeout",
        ),
        pytest.param(
            "limits", {"memroy": 5}, "p.yaml: 'limits': unknown key 'memroy'", id="typo-limit"
        ),
        pytest.param(
            "problems/0/returns_new_arrays",
            "yes",
            "problem '1a': 'returns_new_arrays' must be true or false",
            id="new-arrays-not-bool",
        ),
        pytest.param(
            "problems/1/returns_new_arrays",
            True,
            "problem 'w': 'returns_new_arrays' is only for code problems",
            id="new-arrays-written",
        ),
        pytest.param(
            "problems/0/when_slow", 3, "problem '1a': 'when_slow' must be non-empty text", id="slow"
        ),
        pytest.param(
            "problems/1/when_slow",
            "vectorise",
            "problem 'w': 'when_slow' is only for code problems",
            id="slow-written",
        ),
        pytest.param("problems/1/id", "1a", "problem '1a': duplicate 'id'", id="duplicate"),
        pytest.param("problems", [], "'problems' must be a non-empty list", id="no-problems"),
        pytest.param("packages", "numpy", "p.yaml: 'packages' must list", id="packages-text"),
        pytest.param("packages", ["num py"], "p.yaml: 'packages' must list", id="package-name"),
        pytest.param("packages", [3], "p.yaml: 'packages' must list", id="package-number"),
        pytest.param(
            "packages", ["numpy", "numpy"], "p.yaml: 'packages' lists a package twice", id="twice"
        ),
    ],
)
def test_bad_files_are_rejected_with_precise_messages(
    tmp_path: Path, path: str, value: object, message: str
) -> None:
    """Does a broken problems.yaml fail at load, naming file, problem and key?"""
    target = tmp_path / "p.yaml"
    target.write_text(yaml.safe_dump(_edit(_minimal(), path, value)), encoding="utf-8")
    with pytest.raises(P.ProblemsError) as caught:
        P.load(target)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("packages", "allowed"),
    [
        ([], "Python's standard library"),
        (["numpy"], "numpy and Python's standard library"),
        (["numpy", "scipy"], "numpy, scipy and Python's standard library"),
    ],
)
def test_packages_student_code_may_use(tmp_path: Path, packages: list, allowed: str) -> None:
    """Is `packages` read in order and said in words for messages?"""
    target = tmp_path / "p.yaml"
    target.write_text(yaml.safe_dump({**_minimal(), "packages": packages}), encoding="utf-8")
    loaded = P.load(target)
    assert (loaded.packages, loaded.allowed) == (tuple(packages), allowed)


def test_the_shipped_packages_are_said_where_students_read(shipped: P.ProblemSet) -> None:
    """Do problems.yaml, the notebook header and the student README say what may be used?"""
    assert shipped.packages == ("numpy",)
    header = notebook.build(shipped, stubs.render_all(shipped))["cells"][0]["source"]
    files = {m.name.split("/", 1)[1]: m.data for m in release.student_members(shipped, {})}
    for text in (header, files["README.md"].decode()):
        assert "may use numpy and Python's standard library only" in text


def test_numeric_ids_are_read_as_text(tmp_path: Path) -> None:
    """Is `id: 2` (a YAML number) accepted as the id "2"?"""
    document = _edit(_minimal(), "problems/0/id", 2)
    assert P.parse(document, tmp_path / "p.yaml").problems[0].id == "2"


def test_not_yaml_and_missing_files(tmp_path: Path) -> None:
    """Are unreadable files reported with their path?"""
    bad = tmp_path / "bad.yaml"
    bad.write_text("problems: [\n", encoding="utf-8")
    with pytest.raises(P.ProblemsError, match="bad.yaml: not valid YAML"):
        P.load(bad)
    with pytest.raises(P.ProblemsError, match="cannot read"):
        P.load(tmp_path / "absent.yaml")


def test_folders_and_modules_derive_from_the_file(tmp_path: Path) -> None:
    """Do the student modules come from the targets, and the folders from the file's place?"""
    document = {
        "schema_version": 1, "title": "T", "name": "set2", "solutions": "refs/set2_refs",
        "cases": "grading", "problems": [
            {"id": "a", "title": "A", "statement": "S", "kind": "code", "points": 1,
             "targets": ["beta.f", "alpha.g", "beta.h"]},
        ],
    }  # fmt: skip
    path = tmp_path / "sub" / "problems.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(document))
    loaded = P.load(path)
    assert loaded.modules == ("beta", "alpha")
    assert loaded.root == path.parent.resolve()
    assert loaded.solutions_dir == path.parent.resolve() / "refs" / "set2_refs"
    assert loaded.solutions_package == "set2_refs"
    assert loaded.cases_dir == path.parent.resolve() / "grading"
    assert loaded.exercises_dir == path.parent.resolve() / "exercises"
    assert loaded.notebook_name == "set2.ipynb"


def test_shipped_examples_call_their_problems_targets(shipped: P.ProblemSet) -> None:
    """Has every code problem with a function public counterexamples, each calling one of its
    own targets?"""
    for problem in shipped.problems:
        functions = [t for t in problem.targets if t != "rnn_types.TASK_TYPES"]
        if problem.graded and functions:
            assert problem.examples, problem.id
        for target, example in problem.examples:
            assert target in problem.targets and target.endswith("." + example.function)
            assert example in problem.examples_for(target)


def test_model_answers_default_beside_the_file_and_are_required_for_written_problems(
    tmp_path: Path,
) -> None:
    """Is answers.md beside problems.yaml the default, and its absence an error naming the
    file and key only when there is a written problem to read it for?"""
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(_minimal()))
    loaded = P.load(path)  # loads without it: a student bundle ships no model answers
    assert loaded.answers_path == tmp_path.resolve() / "answers.md"
    with pytest.raises(P.ProblemsError, match=r"p\.yaml: 'answers': no file .*written problems w"):
        loaded.model_answers_path()
    (tmp_path / "answers.md").write_text("## w\nYes.\n")
    assert loaded.model_answers_path() == tmp_path.resolve() / "answers.md"
    document = _minimal()
    del document["problems"][1]
    code_only = P.parse({**document, "answers": "absent.md"}, path)
    assert code_only.model_answers_path() is None


def test_answers_key_is_relative_to_the_file(tmp_path: Path) -> None:
    """Does `answers:` name a file relative to problems.yaml's folder?"""
    loaded = P.parse({**_minimal(), "answers": "refs/model.md"}, tmp_path / "p.yaml")
    assert loaded.answers_path == tmp_path.resolve() / "refs" / "model.md"


@pytest.mark.parametrize(
    ("path", "answers"),
    [
        (P.DEFAULT_PATH, "solutions/answers.md"),
        (P.DEFAULT_PATH.parent / "examples" / "attention" / "problems.yaml", "answers.md"),
    ],
)
def test_the_repositorys_sets_have_their_model_answers(path: Path, answers: str) -> None:
    """Do both sets of the repository name a model answers file that exists?"""
    loaded = P.load(path)
    assert loaded.answers == answers
    assert loaded.model_answers_path() == loaded.root / answers
