"""The Markdown renderer: what it keeps, and that no payload of the corpus survives as markup."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from accord.stories.markup import first_lines, render_markdown, sanitize
from xss_payloads import PAYLOADS

ALLOWED = {"p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
ALLOWED |= {"h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td"}
SAFE_URL = re.compile(r"^(https?://|mailto:|/|#|[^:/?#]*(?:[/?#]|$))", re.IGNORECASE)


class Elements(HTMLParser):
    """The elements of an HTML fragment with their attributes, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def unsafe(html: str) -> list[str]:
    """What in `html` is not an allowed element, attribute or URL."""
    parser = Elements()
    parser.feed(html)
    parser.close()
    problems = []
    for tag, attrs in parser.found:
        if tag not in ALLOWED:
            problems.append(f"element {tag}")
        allowed = {"href", "rel"} if tag == "a" else set()
        problems += [f"attribute {name} of {tag}" for name in attrs if name not in allowed]
        href = (attrs.get("href") or "").strip()
        if href and not SAFE_URL.match(href):
            problems.append(f"URL {href}")
    return problems


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_renders_as_markup_that_runs(payload: str) -> None:
    html = render_markdown(payload)

    assert unsafe(html) == [], html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_sanitizer_alone_makes_raw_html_safe(payload: str) -> None:
    # The second line of defence, should the renderer ever pass HTML on.
    html = sanitize(payload)

    assert unsafe(html) == [], html


def test_links_keep_only_safe_urls_and_get_rel() -> None:
    html = render_markdown(
        "[web](https://example.org/a?b=1&c=2) [mail](mailto:a@example.org) [page](/stories/x)"
    )

    assert (
        '<a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer nofollow ugc">web</a>'
        in html
    )
    assert 'href="mailto:a@example.org"' in html
    assert 'href="/stories/x"' in html


def test_the_sanitizer_drops_forbidden_schemes_and_attributes() -> None:
    assert sanitize('<a href="javascript:alert(1)" title="t" class="c">x</a>') == (
        '<a rel="noopener noreferrer nofollow ugc">x</a>'
    )
    assert sanitize('<a href="data:text/html,hi">x</a>') == (
        '<a rel="noopener noreferrer nofollow ugc">x</a>'
    )
    assert sanitize("<p onclick=alert(1)>x</p><script>alert(2)</script>") == "<p>x</p>"


def test_the_checker_sees_what_a_browser_would_run() -> None:
    assert unsafe('<a href="javascript:x()">a</a><img src=x onerror=y()><p style="s">p</p>') == [
        "URL javascript:x()",
        "element img",
        "attribute src of img",
        "attribute onerror of img",
        "attribute style of p",
    ]
    assert unsafe("<p>&lt;img src=x onerror=y()&gt;</p>") == []


def test_markdown_structure_is_kept() -> None:
    html = render_markdown(
        "# Title\n\n**bold** *em* ~~gone~~ `code`\n\n> quote\n\n1. one\n\n"
        "| a | b |\n|:--|--:|\n| 1 | 2 |\n\n---\n\n```python\nx = 1\n```"
    )

    for piece in (
        "<h3>Title</h3>",
        "<strong>bold</strong>",
        "<em>em</em>",
        "<del>gone</del>",
        "<code>code</code>",
        "<blockquote>",
        "<ol>",
        "<th>a</th>",
        "<td>2</td>",
        "<hr>",
        "<pre><code>x = 1\n</code></pre>",
    ):
        assert piece in html
    assert "style=" not in html
    assert "class=" not in html


def test_headings_become_sections_under_the_pages_own_headings() -> None:
    html = render_markdown("# One\n\n## Two\n\n### Three\n\n#### Four\n\n###### Six")

    assert html == "<h3>One</h3>\n<h4>Two</h4>\n<h5>Three</h5>\n<h6>Four</h6>\n<h6>Six</h6>\n"


def test_an_image_becomes_a_link_named_by_its_alt_text() -> None:
    assert render_markdown("![the chart](https://example.org/c.png)") == (
        '<p><a href="https://example.org/c.png" rel="noopener noreferrer nofollow ugc">'
        "the chart</a></p>\n"
    )


def test_raw_html_is_shown_as_text() -> None:
    assert render_markdown("<b>bold?</b>") == "<p>&lt;b&gt;bold?&lt;/b&gt;</p>\n"


def test_first_lines_are_plain_words_cut_at_the_limit() -> None:
    assert first_lines("# Hi\n\nSome *words* & <b>tags</b>") == "Hi Some words & <b>tags</b>"
    assert first_lines("word " * 100, limit=20) == "word word word word…"
