"""Students' and model Markdown to safe, self-contained HTML: CommonMark, tables and math.

Every piece of Markdown the TA's pages show (a student's answer from answers.md or a notebook
cell, a model answer, a rubric, a problem statement) goes through `render`:

- CommonMark (markdown-it-py's "commonmark" preset) with GitHub's tables and strikethrough, so
  nested lists, soft line breaks and "alpha instead of\\n0." read as they do in Jupyter;
- math: `$...$` and `\\(...\\)` inline, `$$...$$` and `\\[...\\]` displayed (the dollars by
  mdit-py-plugins' dollarmath, the brackets by the two rules below), turned into MathML by
  latex2mathml, which browsers render natively: no script, no font or stylesheet from a CDN.
  The rules for `$` are Jupyter's (the notebook's own rendering is what the student saw),
  except that display math does not span a blank line. LaTeX the converter cannot handle, or
  turns into a command it does not know, is shown as written in `<code class="tex-error">`,
  the reason in its title: never dropped;
- safe: raw HTML is not recognised (markdown-it's html=False), so `<script>` shows as text; the
  MathML is rebuilt from latex2mathml's element tree keeping only MathML elements and
  presentation attributes, every text escaped (`\\text{<script>}` stays text; `\\href` and
  `\\style` lose their attributes); links are shown as their text and address, never as
  clickable anchors, and images as their description and address, never loaded, so a page
  makes no request.

Headings are shown two levels down (# becomes <h3>), under the page's own.

The three libraries are the `answers` extra (`pip install -e ".[answers]"`); `require` says so
when one is missing.
"""

from __future__ import annotations

import functools
import html
import importlib
from collections.abc import Sequence
from typing import Any

EXTRA = "answers"
INSTALL = f'pip install -e ".[{EXTRA}]"'
_LIBRARIES = {"markdown_it": "markdown-it-py", "mdit_py_plugins": "mdit-py-plugins",
              "latex2mathml": "latex2mathml"}  # fmt: skip

# MathML elements latex2mathml writes (and MathML Core's others that show text or layout);
# anything else in its output makes the formula a tex-error rather than pass through.
_MATHML_ELEMENTS = frozenset({
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace",
    "msub", "msup", "msubsup", "mfrac", "msqrt", "mroot", "mstyle", "merror", "mpadded",
    "mphantom", "menclose", "mtable", "mtr", "mtd", "munder", "mover", "munderover",
    "mmultiscripts", "mprescripts", "none",
})  # fmt: skip
# Presentation attributes kept; any other (href, style, on*, src, ...) is dropped.
_MATHML_ATTRIBUTES = frozenset({
    "display", "mathvariant", "mathsize", "mathcolor", "mathbackground", "stretchy", "fence",
    "separator", "symmetric", "largeop", "movablelimits", "accent", "accentunder", "lspace",
    "rspace", "minsize", "maxsize", "form", "linethickness", "width", "height", "depth",
    "voffset", "columnalign", "rowalign", "columnspacing", "rowspacing", "columnlines",
    "rowlines", "frame", "framespacing", "displaystyle", "scriptlevel", "notation", "align",
    "columnspan", "rowspan", "linebreak", "encoding",
})  # fmt: skip
_CLOSING = {"$": "$", "$$": "$$", "\\(": "\\)", "\\[": "\\]"}


class MissingExtra(ImportError):
    """A library the rendering needs is not installed."""


def require() -> None:
    """Raise MissingExtra, naming the extra to install, when a library is missing."""
    missing = []
    for module, distribution in _LIBRARIES.items():
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(distribution)
    if missing:
        raise MissingExtra(
            f"the written-answer pages need {', '.join(missing)} (the `{EXTRA}` extra): "
            f"run {INSTALL} in the project folder"
        )


def render(text: str) -> str:
    """HTML for the Markdown `text` (a fragment: no <html> or <body>)."""
    return _parser().render(text)


def math(tex: str, display: bool = False, delimiters: tuple[str, str] = ("", "")) -> str:
    """MathML for the LaTeX `tex`, or its source (inside `delimiters`) marked as a tex-error."""
    from latex2mathml.converter import convert_to_element

    try:
        element = convert_to_element(tex, display="block" if display else "inline")
        body = "".join(_mathml(child) for child in element)  # one <mrow>
    except Exception as error:  # noqa: BLE001 - any failure of the converter shows the source
        reason = str(error) if isinstance(error, _Unsupported) else type(error).__name__
        reason += f": {error}" if str(error) and not isinstance(error, _Unsupported) else ""
        source = f"{delimiters[0]}{tex}{delimiters[1]}"
        return (
            f'<code class="tex-error" title="LaTeX not rendered ({html.escape(reason)})">'
            f"{html.escape(source)}</code>"
        )
    mode = "block" if display else "inline"
    return (
        f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="{mode}"><semantics>'
        f'{body}<annotation encoding="application/x-tex">{html.escape(tex)}</annotation>'
        "</semantics></math>"
    )


class _Unsupported(ValueError):
    pass


def _mathml(element: Any) -> str:
    """An element of latex2mathml's tree, rebuilt: allowed elements and attributes only."""
    tag = element.tag
    if tag not in _MATHML_ELEMENTS:
        raise _Unsupported(f"element <{tag}>")
    text = html.unescape(element.text or "")  # latex2mathml writes symbols as "&#x003B1;"
    if tag in ("mi", "mo", "mn") and len(text) > 1 and text.startswith("\\"):
        raise _Unsupported(f"unknown command {text}")
    if tag == "mi" and text == "&":
        raise _Unsupported("& outside a matrix or array")
    attributes = "".join(
        f' {name}="{html.escape(str(value))}"'
        for name, value in element.attrib.items()
        if name in _MATHML_ATTRIBUTES
    )
    children = "".join(_mathml(child) for child in element)
    tail = html.escape(html.unescape(element.tail or ""))
    return f"<{tag}{attributes}>{html.escape(text)}{children}</{tag}>{tail}"


@functools.lru_cache(maxsize=1)
def _parser() -> Any:
    require()
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    # No blank line inside $$...$$ (as in LaTeX): a block never spans paragraphs, which also
    # keeps an unclosed $$ from making every later line a search to the end.
    dollarmath_plugin(md, allow_labels=False, allow_blank_lines=False, double_inline=True)
    # \(...\) and \[...\]: mdit-py-plugins' texmath "brackets" rules search with a regular
    # expression from every opening to the end of the text, which takes seconds on an answer
    # of many unclosed \( (quadratic); these search once per text for the last closing.
    md.inline.ruler.before("escape", "math_inline_bracket", _inline_brackets)
    md.block.ruler.before("fence", "math_block_bracket", _block_brackets)
    for name in ("math_inline", "math_inline_double", "math_block", "math_inline_bracket",
                 "math_block_bracket"):  # fmt: skip
        md.add_render_rule(name, _render_math)
    md.add_render_rule("heading_open", _render_heading)
    md.add_render_rule("heading_close", _render_heading)
    md.add_render_rule("link_open", _render_link_open)
    md.add_render_rule("link_close", _render_link_close)
    md.add_render_rule("image", _render_image)
    for name in ("html_inline", "html_block"):  # not parsed with html=False; text if ever
        md.add_render_rule(name, lambda self, tokens, idx, options, env: html.escape(
            tokens[idx].content))  # fmt: skip
    return md


def _last(env: dict, text: str, closing: str) -> int:
    """text.rfind(closing), once per text and render."""
    memo = env.setdefault("_tutorial9_last_closing", {})
    if (text, closing) not in memo:
        memo[text, closing] = text.rfind(closing)
    return memo[text, closing]


def _inline_brackets(state: Any, silent: bool) -> bool:
    """`\\(...\\)` inline, or `\\[...\\]` displayed inside a paragraph."""
    src, start = state.src, state.pos
    opening = src[start : start + 2]
    if opening not in ("\\(", "\\["):
        return False
    closing = _CLOSING[opening]
    if _last(state.env, src, closing) < start + 2:
        return False
    end = src.find(closing, start + 2, state.posMax)
    if end < 0 or not src[start + 2 : end].strip():
        return False
    if not silent:
        token = state.push("math_inline_bracket", "math", 0)
        token.content = src[start + 2 : end]
        token.markup = opening
    state.pos = end + 2
    return True


def _block_brackets(state: Any, start_line: int, end_line: int, silent: bool) -> bool:
    """`\\[...\\]` from the start of a line to a `\\]` ending a line, with no blank line."""
    if state.sCount[start_line] - state.blkIndent >= 4:  # an indented code block
        return False
    begin = state.bMarks[start_line] + state.tShift[start_line]
    if not state.src.startswith("\\[", begin):
        return False
    if _last(state.env, state.src, "\\]") < begin + 2:
        return False
    lines, line, first = [], start_line, begin + 2
    while line < end_line:
        text = state.src[first : state.eMarks[line]]
        if line > start_line and (not text.strip() or state.sCount[line] < state.blkIndent):
            return False  # a blank line, or the end of the container (a list item, a quote)
        if text.rstrip().endswith("\\]"):
            lines.append(text.rstrip()[:-2])
            break
        lines.append(text)
        line += 1
        if line < end_line:
            first = state.bMarks[line] + state.tShift[line]
    else:
        return False
    content = "\n".join(lines)
    if not content.strip():
        return False
    if not silent:
        token = state.push("math_block_bracket", "math", 0)
        token.block = True
        token.content = content
        token.markup = "\\["
        token.map = [start_line, line + 1]
    state.line = line + 1
    return True


def _render_math(self: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    markup = token.markup if token.markup in _CLOSING else ("$$" if token.block else "$")
    display = markup in ("$$", "\\[")
    rendered = math(token.content.strip(), display, (markup, _CLOSING[markup]))
    if not display:
        return f'<span class="math">{rendered}</span>'
    if token.block:
        return f'<div class="math display">{rendered}</div>\n'
    return f'<span class="math display">{rendered}</span>'


def _render_heading(self: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    level = min(int(token.tag[1:]) + 2, 6)
    return f"<h{level}>" if token.nesting == 1 else f"</h{level}>\n"


def _render_link_open(self: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    env.setdefault("_tutorial9_links", []).append(token)  # links do not nest
    return '<span class="link">' if token.markup == "autolink" else ""


def _render_link_close(self: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
    opening = env["_tutorial9_links"].pop()
    if opening.markup == "autolink":
        return "</span>"
    address = str(opening.attrGet("href") or "")
    return f' (<span class="link">{html.escape(address)}</span>)'


def _render_image(self: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    description = self.renderInlineAsText(token.children or [], options, env)
    address = str(token.attrGet("src") or "")
    return (
        f'<span class="image">[image: {html.escape(description)}] '
        f'(<span class="link">{html.escape(address)}</span>)</span>'
    )
