"""Markdown in, safe HTML out; and HTML back to plain text.

Authors write Markdown (CommonMark, plus tables). It is rendered with raw HTML disabled (any
``<tag>`` an author types is shown, escaped, as text) and the result is then cleaned by nh3
(ammonia) against an allow-list, so even a bug in the renderer cannot let a script, an event
handler attribute or a ``javascript:`` URL through. Links get ``rel="nofollow noopener"``.

Images are rendered as links to the image: remote ``<img>`` in content is a tracking pixel for
every reader, and Mastodon strips ``<img>`` from remote posts anyway (its sanitizer keeps only
p, br, span, a, del, pre, blockquote, code, b, strong, u, i, em, ul, ol, li and headings).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import cache
from html.parser import HTMLParser
from typing import TYPE_CHECKING

import nh3

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.renderer import RendererHTML
    from markdown_it.token import Token
    from markdown_it.utils import EnvType, OptionsDict

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "a", "strong", "em", "b", "i", "u", "del", "s", "code", "pre",
        "blockquote", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "ol": {"start"},
    # markdown-it writes column alignment as style="text-align:…"; only that property survives.
    "th": {"style"},
    "td": {"style"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"

# Tags whose text is not content (their text is dropped by to_plain_text).
_SKIP_TEXT = frozenset({"script", "style", "template", "head", "title"})
_BLOCKS = frozenset(
    {
        "p", "div", "section", "article", "blockquote", "pre", "ul", "ol", "table", "tr",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "header", "footer", "figure", "dl", "dt", "dd",
    }
)  # fmt: skip
_URL_RE = re.compile(r"https?://[^\s<>\"']+")
# A sentence ends at . ! ? or … followed by a space, unless the word is a common abbreviation.
_SENTENCE_END = re.compile(r"[.!?…](?=\s|$)")
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "dr", "st", "mr", "mrs", "ms", "no", "vs", "etc", "approx"}
)


def _render_image(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{html.escape(src, quote=True)}">{html.escape(alt, quote=False)}</a>'


@cache
def _markdown() -> MarkdownIt:
    # lazy: markdown-it is ~60 modules; a page view needs none of it, a publish loads it once
    from markdown_it import MarkdownIt

    # "commonmark" preset with html off (raw HTML is shown as text) and linkify off (no extra
    # dependency; bare URLs in angle brackets <https://…> still become links), tables on.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.add_render_rule("image", _render_image)
    return md


@cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        filter_style_properties={"text-align"},
        strip_comments=True,
    )


def sanitize(fragment: str) -> str:
    """Clean an HTML fragment against the allow-list (also for HTML that did not come from us)."""
    return _cleaner().clean(fragment)


def render(markdown: str) -> str:
    """Markdown (CommonMark + tables) to sanitized HTML."""
    return sanitize(_markdown().render(markdown)).strip()


def escape(text: str) -> str:
    """Escape text for HTML element content and attribute values."""
    return html.escape(text, quote=True)


def link(url: str, text: str | None = None) -> str:
    """An ``<a>`` to ``url`` (already validated as http/https) showing ``text`` or the URL."""
    return (
        f'<a href="{escape(url)}" rel="{LINK_REL}">{escape(text if text is not None else url)}</a>'
    )


def plain_text_to_html(text: str) -> str:
    """Author-written plain text to HTML: escaped, blank lines make paragraphs, single line breaks
    become ``<br>``, and bare http(s) URLs become links (Mastodon does not linkify remote HTML).
    """
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    out = []
    for paragraph in paragraphs:
        lines = []
        for line in paragraph.split("\n"):
            pieces: list[str] = []
            last = 0
            for match in _URL_RE.finditer(line):
                url = match.group(0).rstrip(".,;:!?)")
                pieces.append(escape(line[last : match.start()]))
                pieces.append(link(url))
                last = match.start() + len(url)
            pieces.append(escape(line[last:]))
            lines.append("".join(pieces).strip())
        out.append("<p>" + "<br>".join(lines) + "</p>")
    return "".join(out)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TEXT:
            self.skip_depth += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TEXT:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(data)


def to_plain_text(fragment: str) -> str:
    """The text of an HTML fragment: block elements separated by blank lines, list items as
    ``- item``, whitespace collapsed, entities decoded. Never raises on malformed HTML.
    """
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    joined = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    # Consecutive list items stay on consecutive lines.
    joined = re.sub(r"\n\n(?=- )", "\n", joined)
    return joined.strip()


def _is_abbreviation(text: str, end: int) -> bool:
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    word = text[start:end].lower().strip("([\"'")
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: max(1, limit - 1)]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-\u2013\u2014") + "…"


def first_sentence(text: str, limit: int = 200) -> str:
    """The first sentence of the first paragraph of plain ``text``, at most ``limit`` characters."""
    paragraph = next((p for p in re.split(r"\n\s*\n", text) if p.strip()), "")
    paragraph = " ".join(paragraph.split()).removeprefix("- ")
    for match in _SENTENCE_END.finditer(paragraph):
        if match.group(0) == "." and _is_abbreviation(paragraph, match.start()):
            continue
        return truncate(paragraph[: match.end()], limit)
    return truncate(paragraph, limit)


def _attr_values(fragment: str) -> list[tuple[str, str, str]]:
    """(tag, attribute, value) of every attribute in a fragment (used by tests and checks)."""
    found: list[tuple[str, str, str]] = []

    class _Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.extend((tag, name, value or "") for name, value in attrs)

    collector = _Collect(convert_charrefs=True)
    collector.feed(fragment)
    collector.close()
    return found


def unsafe_attributes(fragment: str) -> list[tuple[str, str, str]]:
    """Attributes that would run script: ``on*`` handlers and ``javascript:``/``data:``/``vbscript:``
    URLs. Empty for everything :func:`render` and :func:`sanitize` return.
    """
    bad: list[tuple[str, str, str]] = []
    for tag, name, value in _attr_values(fragment):
        compact = re.sub(r"[\s\x00-\x1f]+", "", value).lower()
        if name.lower().startswith("on") or compact.startswith(
            ("javascript:", "vbscript:", "data:")
        ):
            bad.append((tag, name, value))
    return bad


__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "LINK_REL",
    "URL_SCHEMES",
    "escape",
    "first_sentence",
    "link",
    "plain_text_to_html",
    "render",
    "sanitize",
    "to_plain_text",
    "truncate",
    "unsafe_attributes",
]
