"""Students' and model Markdown to safe, self-contained HTML: CommonMark, tables and math.

Every piece of Markdown the TA's pages show (a student's answer from answers.md or a notebook
cell, a model answer, a rubric, a problem statement) goes through `render`:

- CommonMark (markdown-it-py's "commonmark" preset) with GitHub's tables and strikethrough, so
  nested lists, soft line breaks and "alpha instead of\\n0." read as they do in Jupyter;
- math (mdit-py-plugins): `$...$` and `\\(...\\)` inline, `$$...$$` and `\\[...\\]` displayed,
  turned into MathML by latex2mathml, which browsers render natively: no script, no font or
  stylesheet from a CDN. The rules for `$` are Jupyter's (the notebook's own rendering is what
  the student saw). LaTeX the converter cannot handle, or turns into a command it does not
  know, is shown as written in `<code class="tex-error">`, the reason in its title: never
  dropped;
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
import re
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
_INLINE_DISPLAY = re.compile(r"\\\[(.+?)\\\]", re.DOTALL)  # \[...\] inside a paragraph


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
    from mdit_py_plugins.texmath import texmath_plugin

    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    dollarmath_plugin(md, allow_labels=False, double_inline=True)
    texmath_plugin(md, delimiters="brackets")  # \(...\), and \[...\] on its own lines
    md.inline.ruler.before("escape", "math_inline_bracket_display", _inline_display)
    for name in ("math_inline", "math_inline_double", "math_block", "math_block_label",
                 "math_block_eqno", "math_inline_bracket_display"):  # fmt: skip
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


def _inline_display(state: Any, silent: bool) -> bool:
    """`\\[...\\]` inside a paragraph (texmath's bracket rule takes it only on its own lines)."""
    if not state.src.startswith("\\[", state.pos):
        return False
    match = _INLINE_DISPLAY.match(state.src, state.pos)
    if not match or not match.group(1).strip():
        return False
    if not silent:
        token = state.push("math_inline_bracket_display", "math", 0)
        token.content = match.group(1)
        token.markup = "\\["
    state.pos = match.end()
    return True


def _render_math(self: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    markup = token.markup if token.markup in _CLOSING else ("$$" if token.block else "$")
    display = markup in ("$$", "\\[")
    rendered = math(token.content.strip(), display, (markup, _CLOSING[markup]))
    if not display:
        return f'<span class="math">{rendered}</span>'
    label = token.info if token.type in ("math_block_eqno", "math_block_label") else ""
    label = f' <span class="eqno">({html.escape(label)})</span>' if label else ""
    if token.block:
        return f'<div class="math display">{rendered}{label}</div>\n'
    return f'<span class="math display">{rendered}</span>'


def _render_heading(self: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    level = min(int(token.tag[1:]) + 2, 6)
    return f"<h{level}>" if token.nesting == 1 else f"</h{level}>\n"


def _render_link_open(self: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    return '<span class="link">' if token.markup == "autolink" else ""


def _render_link_close(self: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
    opening = next(t for t in reversed(tokens[:idx]) if t.type == "link_open")
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
