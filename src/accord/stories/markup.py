"""Markdown to safe HTML: a sixth file, as stories, replies, pages, API and feed all share it."""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

# What a rendered story may hold: text structure and links, no images (a remote image would be
# blocked by the CSP, and would tell its host who read the story, and when).
TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "em",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ATTRIBUTES = {"a": {"href"}, "*": set()}  # "*": none on any tag (nh3 keeps lang, title)
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow ugc"


def _image_as_link(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """An image is shown as a link to it, named by its alt text."""
    token = tokens[idx]
    words = self.renderInlineAsText(token.children or [], options, env) or "image"
    return f'<a href="{escapeHtml(str(token.attrGet("src") or ""))}">{escapeHtml(words)}</a>'


HEADING_SHIFT = 2  # a story's "# Heading" sits under the page's h1 (its title) and h2 (sections)


def _shift_headings(state: Any) -> None:
    """Headings of a text as sections of the page it is shown on: h1 becomes h3, and so on."""
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + HEADING_SHIFT, 6)}"


@functools.cache
def _parser() -> MarkdownIt:
    # Raw HTML is shown as text, never passed on; nh3 below is the second line of defence.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )
    md.core.ruler.push("shift_headings", _shift_headings)
    md.add_render_rule("image", _image_as_link)
    md.add_render_rule("s_open", lambda *_: "<del>")
    md.add_render_rule("s_close", lambda *_: "</del>")
    return md


def render_markdown(text: str) -> str:
    """Markdown as HTML that is safe to put in a page: only the allowed tags and links."""
    return sanitize(_parser().render(text))


def sanitize(fragment: str) -> str:
    """Any HTML reduced to the allowed tags, `href` on links, and http(s) or mailto URLs."""
    return nh3.clean(
        fragment,
        tags=set(TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def first_lines(text: str, limit: int = 240) -> str:
    """The start of a Markdown text as plain words, for a list or a card."""
    words = " ".join(html.unescape(nh3.clean(_parser().render(text), tags=set())).split())
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"
