"""grader/instructor/markup.py: a safe Markdown subset; student text never becomes markup."""

from __future__ import annotations

import re

import pytest

from grader.instructor import markup

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "**<b>bold</b>**",
    "`</code><script>x</script>`",
    "$</code><script>x</script>$",
    "$$\n</pre><script>x</script>\n$$",
    "```\n</code></pre><script>x</script>\n```",
    "> <iframe src=//evil>",
    "- <style>body{}</style>",
    "## <svg onload=alert(1)>",
    "\x00<scr\x00ipt>",
]
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "hr",
    "h3", "h4", "h5", "h6", "span",
}  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE)
def test_student_html_is_shown_as_text(text: str) -> None:
    """Does hostile input give only the renderer's own tags, with no attribute but class?"""
    rendered = markup.render(text)
    tags = re.findall(r"<\s*/?\s*([a-zA-Z0-9]+)([^>]*)>", rendered)
    assert {name for name, _ in tags} <= ALLOWED_TAGS, rendered
    for _, attributes in tags:
        assert attributes.strip() in ("", 'class="math"', 'class="link"'), rendered
    assert "&lt;" in rendered or "<" not in text.replace("\x00", "")


def test_script_answer_is_visible_text() -> None:
    """Is a `<script>` answer shown as the text the student typed?"""
    assert markup.render("<script>alert(1)</script>") == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("**a** and *b* and _c_", "<p><strong>a</strong> and <em>b</em> and <em>c</em></p>"),
        ("snake_case_name", "<p>snake_case_name</p>"),
        ("`x < y`", "<p><code>x &lt; y</code></p>"),
        ("$x^2 < y$ costs $5 and $6",
         '<p><code class="math">$x^2 &lt; y$</code> costs $5 and $6</p>'),
        ("\\(\\alpha\\)", '<p><code class="math">\\(\\alpha\\)</code></p>'),
        ("$$\n\\frac{a}{b}\n$$", '<pre class="math">$$\n\\frac{a}{b}\n$$</pre>'),
        ("- one\n- two\n  more", "<ul><li>one</li><li>two more</li></ul>"),
        ("1. one\n2. two", "<ol><li>one</li><li>two</li></ol>"),
        ("# Title", "<h3>Title</h3>"),
        ("> quoted", "<blockquote><p>quoted</p></blockquote>"),
        ("a\nb\n\nc", "<p>a<br>\nb</p>\n<p>c</p>"),
        ("[docs](https://x.org/a)", '<p>docs (<span class="link">https://x.org/a</span>)</p>'),
        ("```py\nif a < b:\n    pass\n```", "<pre><code>if a &lt; b:\n    pass</code></pre>"),
    ],
)  # fmt: skip
def test_markdown_subset(text: str, expected: str) -> None:
    """Does each supported construct render as expected?"""
    assert markup.render(text) == expected
