"""A small, safe Markdown subset to HTML, for showing students' written answers to a TA.

Safe first: every character of the input is HTML-escaped, and only fixed tags are added
around escaped text, so no student text can become markup (`<script>` shows as text), and
links are shown as their text and address, never as clickable anchors. Offline: LaTeX is
shown as written, in `<code class="math">` (inline `$...$`, `\\(...\\)`) or
`<pre class="math">` (display `$$...$$`, `\\[...\\]`), with no script from a CDN.

Supported: paragraphs, headings (shown two levels down, so they sit under the page's own),
fenced code blocks, block quotes, bullet and numbered lists (one level; indented lines
continue an item), horizontal rules, `**strong**`, `*emphasis*`, `_emphasis_`, `` `code` ``
and `[text](address)`. Anything else is shown as text.
"""

from __future__ import annotations

import html
import re

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_BULLET = re.compile(r"^ {0,3}[-*+][ \t]+(.*)$")
_NUMBERED = re.compile(r"^ {0,3}\d{1,9}[.)][ \t]+(.*)$")
_RULE = re.compile(r"^ {0,3}([-*_])([ \t]*\1){2,}[ \t]*$")
_QUOTE = re.compile(r"^ {0,3}> ?(.*)$")
# Inline pieces shown verbatim (escaped): code spans and inline math, in that priority.
_VERBATIM = re.compile(
    r"(`+)(.+?)\1"  # code span
    r"|\$\$(.+?)\$\$"  # display math within a line
    r"|(?<![\\$])\$(?!\s)(.+?)(?<![\s\\])\$"  # inline math: $x$, not "$5 and $6"
    r"|\\\((.+?)\\\)"
)
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^()\s]+)\)")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_EM = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])|(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)")
_MAX_DEPTH = 8  # block quotes inside block quotes


def render(text: str) -> str:
    """HTML for the Markdown `text` (a fragment: no <html> or <body>)."""
    return _blocks(_clean(text).split("\n"), 0)


def inline(text: str) -> str:
    """HTML for one line of Markdown text: emphasis, code, math and links."""
    out, last = [], 0
    for match in _VERBATIM.finditer(text):
        out.append(_styled(text[last : match.start()]))
        code = match.group(2)
        if code is not None:
            out.append(f"<code>{html.escape(code.strip())}</code>")
        else:  # math, shown with its delimiters as written
            out.append(f'<code class="math">{html.escape(match.group(0))}</code>')
        last = match.end()
    out.append(_styled(text[last:]))
    return "".join(out)


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    return "".join(ch for ch in text if ch == "\n" or ch >= " " and ch != "\x7f")


def _styled(text: str) -> str:
    """Escape, then add emphasis and links around the escaped text."""
    pieces, last = [], 0
    for match in _LINK.finditer(text):
        pieces.append(_emphasis(html.escape(text[last : match.start()])))
        label, address = match.group(1, 2)
        pieces.append(
            f'{_emphasis(html.escape(label))} (<span class="link">{html.escape(address)}</span>)'
        )
        last = match.end()
    pieces.append(_emphasis(html.escape(text[last:])))
    return "".join(pieces)


def _emphasis(escaped: str) -> str:
    escaped = _STRONG.sub(lambda m: f"<strong>{m.group(1) or m.group(2)}</strong>", escaped)
    return _EM.sub(lambda m: f"<em>{m.group(1) or m.group(2)}</em>", escaped)


def _blocks(lines: list[str], depth: int) -> str:
    out: list[str] = []
    paragraph: list[str] = []
    i = 0

    def flush() -> None:
        if paragraph:
            out.append("<p>" + "<br>\n".join(inline(line.strip()) for line in paragraph) + "</p>")
            paragraph.clear()

    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        stripped = line.strip()
        if fence:
            flush()
            marker = fence.group(1)
            body, i = [], i + 1
            while i < len(lines) and not lines[i].strip().startswith(marker):
                body.append(lines[i])
                i += 1
            out.append(f"<pre><code>{html.escape(chr(10).join(body))}</code></pre>")
            i += 1
            continue
        display = _display_math(lines, i)
        if display is not None:
            flush()
            math, i = display
            out.append(f'<pre class="math">{html.escape(math)}</pre>')
            continue
        if not stripped:
            flush()
            i += 1
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            level = min(len(heading.group(1)) + 2, 6)
            out.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
            i += 1
            continue
        if _RULE.match(line):
            flush()
            out.append("<hr>")
            i += 1
            continue
        if _QUOTE.match(line) and depth < _MAX_DEPTH:
            flush()
            quoted = []
            while i < len(lines) and _QUOTE.match(lines[i]):
                quoted.append(_QUOTE.match(lines[i]).group(1))  # type: ignore[union-attr]
                i += 1
            out.append(f"<blockquote>{_blocks(quoted, depth + 1)}</blockquote>")
            continue
        if _BULLET.match(line) or _NUMBERED.match(line):
            flush()
            html_list, i = _list(lines, i)
            out.append(html_list)
            continue
        paragraph.append(line)
        i += 1
    flush()
    return "\n".join(out)


def _display_math(lines: list[str], i: int) -> tuple[str, int] | None:
    """($$ ... $$ or \\[ ... \\] starting at line i, the index after it), or None."""
    stripped = lines[i].strip()
    for opener, closer in (("$$", "$$"), ("\\[", "\\]")):
        if not stripped.startswith(opener):
            continue
        rest = stripped[len(opener) :]
        if rest.endswith(closer) and len(rest) >= len(closer) and rest.strip() != "":
            return stripped, i + 1  # on one line
        body, j = [stripped], i + 1
        while j < len(lines):
            body.append(lines[j].rstrip())
            if lines[j].strip().endswith(closer):
                return "\n".join(body), j + 1
            j += 1
        return None  # never closed: plain text
    return None


def _list(lines: list[str], i: int) -> tuple[str, int]:
    numbered = bool(_NUMBERED.match(lines[i]))
    pattern = _NUMBERED if numbered else _BULLET
    items: list[list[str]] = []
    while i < len(lines):
        item = pattern.match(lines[i])
        if item:
            items.append([item.group(1)])
        elif lines[i].startswith((" ", "\t")) and lines[i].strip() and items:
            items[-1].append(lines[i].strip())
        else:
            break
        i += 1
    tag = "ol" if numbered else "ul"
    body = "".join(f"<li>{' '.join(inline(p) for p in item)}</li>" for item in items)
    return f"<{tag}>{body}</{tag}>", i
