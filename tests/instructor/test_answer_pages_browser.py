"""The TA's answer pages in a real browser: headless chromium loads every page `answers` writes
for a sample class of three, with the pages' own Content-Security-Policy, and the tests read
the DOM it built (`--dump-dom`, after the page ran) and the requests it made (`--log-net-log`).

What is verified:

- on every page, nothing a student wrote runs or loads: the DOM has no `<script>`, `<img>`,
  `<iframe>`, ... element, no `on...` attribute, no address with a scheme in any attribute;
  the student scripts, which would mark `<body data-pwned>` if they ran, did not;
- on every page, no network request: the net log holds no address but the page's own file
  and chromium's own Google services (update, time and accounts checks the browser makes
  whatever the page; the flags below turn off most). A control page (no CSP, an external
  image, an inline script) shows that the checks do see a request and a script;
- on 4b and 3-why, the students' answers (answers.md, a notebook cell, answers.md in a zip):
  math is MathML (`<math>` elements, the LaTeX not left as text, `\\nosuchcommand` shown as
  written in a tex-error), tables are `<table>`, nested lists are lists inside list items,
  soft line breaks are not `<br>`, "instead of\\n0." is no list, and the `<script>` and
  `<img onerror>` typed show as text.

That chromium lays the MathML out as formulas is not asserted (no script may run in the page
to measure it): the screenshots show it. Screenshots of every page (1200x1600, and 4b's three
answers at 1200x3000) are kept in tests/artifacts/answer-pages/ (gitignored), their paths
printed (`pytest -s`). Skipped, saying so, where chromium is not installed (.ci/run installs
it).
"""

from __future__ import annotations

import html.parser
import json
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grader.instructor import review
from grader.problems import DEFAULT_PATH, load
from tests.instructor.test_review import notebook_with

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "answer-pages"
PROBLEMS = load(DEFAULT_PATH)
CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None
)
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
# Requests chromium makes by itself, whatever the page (seen with these flags).
BROWSER_OWN = re.compile(r"^https?://([\w-]+\.)*(google\.com|googleapis\.com|gstatic\.com)(/|$)")
# Elements that run something or fetch something.
ACTIVE = {
    "script", "img", "iframe", "frame", "object", "embed", "link", "video", "audio", "source",
    "base", "form", "input", "svg", "image", "picture", "track", "meta-refresh",
}  # fmt: skip

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium is not installed (as root, .ci/run installs it: apt-get install -y "
        "chromium)",
    ),
]

PWN_SCRIPT = "<script>document.body.dataset.pwned = 'script'</script>"
PWN_IMG = "<img src=x onerror=\"document.body.dataset.pwned = 'img'\">"
ADA = """## Problem 4(b)

Yes. With $\\frac{\\partial a}{\\partial z} = \\alpha \\neq 0$ the unit learns, and the
batch gradient is

$$\\nabla L = \\frac{1}{B}\\sum_{i=1}^{B} \\nabla L_i$$

| layer | output |
|-------|-------:|
| conv  | $B \\times 54 \\times 54 \\times 96$ |
| pool  | $B \\times 27 \\times 27 \\times 96$ |

- convolutions
  - over word vectors
  - detect phrases
- deeper layers

<script>alert(1)</script>

## 3-why

The gradient there is alpha instead of
0. The unit still learns, and
this line is a soft break.
"""
BO_4B = f"""No, because \\(x_t\\) depends on \\(h_{{t-1}}\\):

\\[
h_t = \\tanh(W x_t + U h_{{t-1}})
\\]

1. first
   1. nested
   2. again
2. second

{PWN_IMG} and see [the slides](http://tutorial9-student-link.example/slides)
"""
CY = f"""## 4b

Maybe: $\\nosuchcommand{{x}}$ is my notation, and $$\\sqrt{{d}}$$ inline.

{PWN_SCRIPT}

## 1c-why

Shape $B \\times 54 \\times 54 \\times 96$, see <http://tutorial9-student-link.example/>.
"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`answers` run on a class of three: answers.md, a notebook, a zip."""
    folder = tmp_path_factory.mktemp("class") / "export"
    (folder / "ada").mkdir(parents=True)
    (folder / "ada" / "answers.md").write_text(ADA, encoding="utf-8")
    (folder / "bo").mkdir()
    (folder / "bo" / "tutorial9.ipynb").write_text(
        notebook_with({"4b": BO_4B, "4c": "| a | b |\n|---|---|\n| 1 | 2 |"}), encoding="utf-8"
    )
    with zipfile.ZipFile(folder / "cy.zip", "w") as archive:
        archive.writestr("answers.md", CY)
    out = folder.parent / "answers"
    done = review.write(folder, out, PROBLEMS)
    assert done.answered == {"1c-why": 1, "3-why": 1, "4b": 3, "4c": 1}
    return out


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    ancestors: tuple[str, ...]  # tags, outermost first
    text: list[str] = field(default_factory=list)


class Dom(html.parser.HTMLParser):
    """The elements of a dumped DOM, each with its ancestors and its own text."""

    VOID = {"meta", "br", "hr", "img", "input", "link", "base", "source", "col", "wbr"}

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.stack: list[Element] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, tuple(e.tag for e in self.stack))
        self.elements.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element.text.append(data)

    def find(self, tag: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag]

    def answers(self) -> list[Element]:
        return [e for e in self.elements if e.attrs.get("class") == "answer"]


def chromium(url: str, work: Path, *extra: str) -> str:
    """Run headless chromium on `url`; its stdout."""
    work.mkdir(parents=True, exist_ok=True)
    command = [CHROMIUM, *FLAGS, f"--user-data-dir={work / 'profile'}", *extra, url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def load_page(path: Path, work: Path) -> tuple[Dom, list[str]]:
    """The DOM chromium built for the page at `path`, and every address in its net log."""
    log = work / "net-log.json"
    dom = chromium(path.as_uri(), work, f"--log-net-log={log}", "--dump-dom")
    assert dom.strip(), "chromium printed no DOM"
    return Dom(dom), sorted(addresses(json.loads(log.read_text(encoding="utf-8"))))


def addresses(value: object) -> set[str]:
    """Every "url" anywhere in a net log's JSON."""
    if isinstance(value, dict):
        found = {value["url"]} if isinstance(value.get("url"), str) else set()
        return found.union(*(addresses(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(addresses(v) for v in value))
    return set()


def requests_by_the_page(urls: list[str], page: Path) -> set[str]:
    return {u for u in urls if u != page.as_uri() and not BROWSER_OWN.match(u)}


def text_of(element: Element) -> str:
    return "".join(element.text)


def test_every_page_renders_safely_offline(pages: Path, tmp_path: Path) -> None:
    """Does every page load with no active element, no executed script, no request?"""
    names = sorted(p.name for p in pages.glob("*.html"))
    assert names == ["1c-why.html", "3-why.html", "4b.html", "4c.html", "index.html"]
    for name in names:
        dom, urls = load_page(pages / name, tmp_path / name)
        tags = {e.tag for e in dom.elements}
        assert not tags & ACTIVE, (name, tags & ACTIVE)
        assert [e.ancestors for e in dom.find("style")] == [("html", "head")], name
        body = dom.find("body")[0]
        assert "data-pwned" not in body.attrs, (name, body.attrs)
        for element in dom.elements:
            for attribute, value in element.attrs.items():
                assert not attribute.startswith("on"), (name, element)
                if attribute in ("href", "src", "action", "srcset", "background"):
                    assert re.fullmatch(r"#[\w-]+|[\w.-]+\.html(#[\w-]+)?", value), (name, value)
        assert requests_by_the_page(urls, pages / name) == set(), name
        csp = [e.attrs for e in dom.find("meta") if e.attrs.get("http-equiv")]
        assert csp == [{"http-equiv": "Content-Security-Policy",
                        "content": "default-src 'none'; style-src 'unsafe-inline'"}]  # fmt: skip


def test_math_tables_and_lists_render(pages: Path, tmp_path: Path) -> None:
    """Are the students' math MathML, their tables tables, their nested lists nested?"""
    dom, _ = load_page(pages / "4b.html", tmp_path)
    ada, bo, cy = dom.answers()
    # ada: inline and display $ math, a table with math in it, a nested bullet list
    maths = [e for e in dom.find("math") if text_of(e) and e in inside(dom, ada)]
    assert {m.attrs["display"] for m in maths} == {"inline", "block"}
    assert any("∂" in text_of(m) and "≠" in text_of(m) for m in maths)
    assert any("∇" in text_of(m) and "∑" in text_of(m) for m in maths)
    for element in inside(dom, ada):
        assert element.tag not in ("br", "code"), element
    tables = [e for e in inside(dom, ada) if e.tag == "table"]
    assert len(tables) == 1 and "×" in text_of(tables[0]) and "$" not in text_of(tables[0])
    assert any(e.tag == "ul" and "li" in e.ancestors for e in inside(dom, ada))
    assert "<script>alert(1)</script>" in text_of(ada)
    # bo (a notebook cell): \( \) and \[ \] math, a nested numbered list, a link as text
    bo_maths = [e for e in inside(dom, bo) if e.tag == "math"]
    assert {m.attrs["display"] for m in bo_maths} == {"inline", "block"}
    assert any(e.tag == "ol" and "li" in e.ancestors for e in inside(dom, bo))
    assert PWN_IMG in text_of(bo)
    assert "the slides (http://tutorial9-student-link.example/slides)" in text_of(bo)
    assert "\\(" not in text_of(bo) and "\\[" not in text_of(bo)
    # cy: LaTeX chromium never sees as MathML is shown as written, marked
    errors = [e for e in inside(dom, cy) if e.attrs.get("class") == "tex-error"]
    assert [text_of(e) for e in errors] == ["$\\nosuchcommand{x}$"]
    assert "unknown command" in errors[0].attrs["title"]
    assert PWN_SCRIPT in text_of(cy)
    # 3-why: "instead of\n0." stays a paragraph with its soft breaks
    dom, _ = load_page(pages / "3-why.html", tmp_path / "3-why")
    (answer,) = dom.answers()
    paragraphs = [e for e in inside(dom, answer) if e.tag == "p"]
    assert [text_of(p) for p in paragraphs][-1] == (
        "The gradient there is alpha instead of\n0. The unit still learns, and\n"
        "this line is a soft break."
    )
    assert not any(e.tag in ("ol", "br") for e in inside(dom, answer))


def inside(dom: Dom, outer: Element) -> list[Element]:
    """The elements inside `outer`."""
    start = dom.elements.index(outer)
    depth = len(outer.ancestors)
    inside = []
    for element in dom.elements[start + 1 :]:
        if len(element.ancestors) <= depth:
            break
        inside.append(element)
    return inside


def test_screenshots(pages: Path, tmp_path: Path) -> None:
    """Screenshots of every page, kept for a person to look at (path printed)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for page in sorted(pages.glob("*.html")):
        shot = ARTIFACTS / f"{page.stem}.png"
        shot.unlink(missing_ok=True)
        chromium(page.as_uri(), tmp_path / page.stem, f"--screenshot={shot}",
                 "--window-size=1200,1600")  # fmt: skip
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", shot
        print(f"screenshot: {shot}")
    shot = ARTIFACTS / "4b-all-answers.png"  # the three students' answers, below the fold
    chromium((pages / "4b.html").as_uri(), tmp_path / "all", f"--screenshot={shot}",
             "--window-size=1200,3000")  # fmt: skip
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", shot
    print(f"screenshot: {shot}")


def test_the_checks_see_a_request_and_a_script(tmp_path: Path) -> None:
    """Control: on a page without the CSP, are an external image and an inline script seen?"""
    page = tmp_path / "control.html"
    page.write_text(
        "<!DOCTYPE html><html><body><script>document.body.dataset.pwned = 'script'</script>"
        '<img src="http://tutorial9-control.example/x.png"></body></html>'
    )
    dom, urls = load_page(page, tmp_path / "control")
    assert dom.find("body")[0].attrs.get("data-pwned") == "script"
    assert requests_by_the_page(urls, page) == {"http://tutorial9-control.example/x.png"}
