"""grader/instructor/rendering.py: CommonMark, tables and math as MathML; student text never
becomes markup."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pytest

from grader import cli
from grader.instructor import rendering

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](http://evil.example/)",
    "![pic](http://evil.example/p.png)",
    "<http://evil.example/>",
    "**<b>bold</b>**",
    "`</code><script>x</script>`",
    "$</code><script>x</script>$",
    "$\\text{<script>x</script>}$",
    "$\\href{javascript:alert(1)}{x}$",
    "$\\style{background:url(http://evil.example/)}{x}$",
    "$$\n</div><script>x</script>\n$$",
    "\\[ \\text{<iframe src=//evil>} \\]",
    "```\n</code></pre><script>x</script>\n```",
    "```<script>\nx\n```",
    "> <iframe src=//evil>",
    "- <style>body{}</style>",
    "## <svg onload=alert(1)>",
    "| <b>a</b> |\n|---|\n| <script>x</script> |",
    "\x00<scr\x00ipt>",
]
# The renderer's own tags: HTML for Markdown, and MathML.
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "s", "code", "pre", "blockquote", "ul", "ol", "li", "hr",
    "h3", "h4", "h5", "h6", "span", "div", "table", "thead", "tbody", "tr", "th", "td",
} | set(rendering._MATHML_ELEMENTS)  # fmt: skip
ALLOWED_ATTRIBUTES = {"class", "title", "xmlns", "display", "encoding", "start", "style"}


@pytest.mark.parametrize("text", HOSTILE)
def test_student_html_is_shown_as_text(text: str) -> None:
    """Does hostile input give only the renderer's own tags, and no address as an attribute?"""
    rendered = rendering.render(text)
    tags = re.findall(r"<\s*/?\s*([a-zA-Z0-9]+)((?:\s+[^>]*)?)/?>", rendered)
    assert {name for name, _ in tags} <= ALLOWED_TAGS, rendered
    for _, attributes in tags:
        names = set(re.findall(r"([\w-]+)=", attributes))
        assert names <= ALLOWED_ATTRIBUTES, rendered
        assert "style=" not in attributes or re.fullmatch(
            r' style="text-align:(left|right|center)"', attributes
        ), rendered
        bare = attributes.replace('xmlns="http://www.w3.org/1998/Math/MathML"', "")
        assert not re.search(r"(?i)http|javascript|url\(", bare), rendered
    assert "<script" not in rendered and "<iframe" not in rendered


def test_script_answer_is_visible_text() -> None:
    """Is a `<script>` answer shown as the text the student typed?"""
    assert rendering.render("<script>alert(1)</script>") == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("**a** and *b* and _c_", "<p><strong>a</strong> and <em>b</em> and <em>c</em></p>\n"),
        ("snake_case_name", "<p>snake_case_name</p>\n"),
        ("`x < y` and `$x$`", "<p><code>x &lt; y</code> and <code>$x$</code></p>\n"),
        # a soft line break stays a line break in the source, not a <br>
        ("first line\nsecond line", "<p>first line\nsecond line</p>\n"),
        ("hard  \nbreak", "<p>hard<br />\nbreak</p>\n"),
        # an ordered list interrupts a paragraph only when it starts at 1 (3-why's "0.")
        ("alpha instead of\n0. The unit", "<p>alpha instead of\n0. The unit</p>\n"),
        ("- one\n  - two\n    1. three\n- four",
         "<ul>\n<li>one\n<ul>\n<li>two\n<ol>\n<li>three</li>\n</ol>\n</li>\n</ul>\n</li>\n"
         "<li>four</li>\n</ul>\n"),
        ("| a | b |\n|:--|--:|\n| 1 | `y` |",
         '<table>\n<thead>\n<tr>\n<th style="text-align:left">a</th>\n'
         '<th style="text-align:right">b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n'
         '<td style="text-align:left">1</td>\n<td style="text-align:right"><code>y</code></td>\n'
         "</tr>\n</tbody>\n</table>\n"),
        ("# Title", "<h3>Title</h3>\n"),
        ("###### Deep", "<h6>Deep</h6>\n"),
        ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>\n"),
        ("~~gone~~", "<p><s>gone</s></p>\n"),
        ("[docs](https://x.org/a)", '<p>docs (<span class="link">https://x.org/a</span>)</p>\n'),
        ("<https://x.org>", '<p><span class="link">https://x.org</span></p>\n'),
        ("![cat](http://e.org/c.png)",
         '<p><span class="image">[image: cat] (<span class="link">http://e.org/c.png</span>)'
         "</span></p>\n"),
        ("```py\nif a < b:\n    pass\n```",
         '<pre><code class="language-py">if a &lt; b:\n    pass\n</code></pre>\n'),
        ("$x_t$",
         '<p><span class="math"><math xmlns="http://www.w3.org/1998/Math/MathML" '
         'display="inline"><semantics><mrow><msub><mi>x</mi><mi>t</mi></msub></mrow>'
         '<annotation encoding="application/x-tex">x_t</annotation></semantics></math>'
         "</span></p>\n"),
        ("$\\frac{$",
         '<p><span class="math"><code class="tex-error" '
         'title="LaTeX not rendered (NoAvailableTokensError)">$\\frac{$</code></span></p>\n'),
        ("$$\n\\nosuchcommand{x}\n$$",
         '<div class="math display"><code class="tex-error" '
         'title="LaTeX not rendered (unknown command \\nosuchcommand)">'
         "$$\\nosuchcommand{x}$$</code></div>\n"),
    ],
)  # fmt: skip
def test_markdown(text: str, expected: str) -> None:
    """Does each construct render as CommonMark (with tables) says?"""
    assert rendering.render(text) == expected


@pytest.mark.parametrize(
    ("text", "display", "pieces"),
    [
        ("$\\frac{\\partial a}{\\partial z} = \\alpha \\neq 0$", "inline",
         ["<mfrac>", "<mo>∂</mo>", "<mi>α</mi>", "<mo>≠</mo>", "<mn>0</mn>"]),
        ("$$\\nabla L = \\frac{1}{B}\\sum_{i=1}^{B} \\nabla L_i$$", "block",
         ["<munderover><mo>∑</mo>", "<mo>∇</mo>", "<msub><mi>L</mi><mi>i</mi></msub>"]),
        ("$$\n\\nabla L\n$$", "block", ["<mo>∇</mo><mi>L</mi>"]),
        ("\\(\\sqrt{d}\\)", "inline", ["<msqrt>", "<mi>d</mi>"]),
        ("\\[\nW^\\top x\n\\]", "block", ["<msup><mi>W</mi><mo>⊤</mo></msup>"]),
        ("text \\[x^2\\] text", "block", ["<msup><mi>x</mi><mn>2</mn></msup>"]),
        ("text $$x^2$$ text", "block", ["<msup><mi>x</mi><mn>2</mn></msup>"]),
        ("$\\begin{pmatrix}1 & 2\\end{pmatrix}$", "inline", ["<mtable>", "<mtd><mn>2</mn></mtd>"]),
    ],
)  # fmt: skip
def test_math_is_mathml(text: str, display: str, pieces: list[str]) -> None:
    """Is each form of math MathML (inline or block), its LaTeX kept as an annotation?"""
    rendered = rendering.render(text)
    assert f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="{display}">' in rendered
    for piece in pieces:
        assert piece in rendered, rendered
    assert '<annotation encoding="application/x-tex">' in rendered
    assert "tex-error" not in rendered


@pytest.mark.parametrize(
    ("tex", "reason"),
    [
        ("\\frac{", "NoAvailableTokensError"),
        ("\\nosuch x", "unknown command \\nosuch"),
        ("\\def\\a{\\a}\\a", "RecursionError"),
        ("a &= b", "&amp; outside a matrix or array"),
    ],
)
def test_latex_the_converter_cannot_handle_is_shown_as_source(tex: str, reason: str) -> None:
    """Is LaTeX that does not convert shown as written, marked with the reason, not dropped?"""
    rendered = rendering.math(tex, delimiters=("$", "$"))
    assert rendered.startswith('<code class="tex-error" title="LaTeX not rendered (')
    assert reason in rendered
    assert rendered.endswith(f">${tex.replace('&', '&amp;')}$</code>")


def test_mathml_keeps_only_presentation() -> None:
    """Do `\\text`, `\\href` and `\\style` give text and no link or style, however written?"""
    assert "<mtext>&lt;script&gt;</mtext>" in rendering.math("\\text{<script>}")
    assert "href" not in rendering.math("\\href{javascript:alert(1)}{x}").split("<annotation")[0]
    assert "style" not in rendering.math("\\style{color:red}{x}").split("<annotation")[0]


def test_a_missing_library_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without latex2mathml, does `require` say which extra to install?"""
    monkeypatch.setitem(sys.modules, "latex2mathml", None)  # import raises ImportError
    with pytest.raises(rendering.MissingExtra, match=r'latex2mathml .*install -e "\.\[answers\]"'):
        rendering.require()


def test_answers_command_without_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Does `python -m grader answers` stop with a message naming the extra, writing nothing?"""
    folder = tmp_path / "export"
    (folder / "alice").mkdir(parents=True)
    (folder / "alice" / "answers.md").write_text("## 4b\nYes.\n")
    monkeypatch.setitem(sys.modules, "markdown_it", None)
    monkeypatch.setitem(sys.modules, "mdit_py_plugins", None)
    out = tmp_path / "answers"
    assert cli.main(["answers", str(folder), "--out", str(out)]) == cli.EXIT_USAGE
    error = capsys.readouterr().err
    assert "markdown-it-py, mdit-py-plugins" in error
    assert 'pip install -e ".[answers]"' in error
    assert not out.exists()


@pytest.mark.parametrize(
    "text",
    ["\\( " * 20000, "\\[ " * 20000, "\\[x\n\n" * 20000 + "\\]", "$$x\n\n" * 20000],
    ids=["unclosed-paren", "unclosed-bracket", "bracket-lines", "dollar-lines"],
)
def test_unclosed_math_takes_linear_time(text: str) -> None:
    """Is a long answer of unclosed math openings rendered in well under a second or so?
    (mdit-py-plugins' own bracket rules took 10 s, dollarmath with blank lines 80 s, here.)"""
    started = time.monotonic()
    rendered = rendering.render(text)
    assert time.monotonic() - started < 5
    assert "<math" not in rendered
