"""Markdown to safe HTML, HTML to plain text, and (Hypothesis) that no script survives."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from node.content.markdown import (
    ALLOWED_TAGS,
    first_sentence,
    plain_text_to_html,
    render,
    sanitize,
    to_plain_text,
    truncate,
    unsafe_attributes,
)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def tags_of(fragment: str) -> list[str]:
    parser = _Tags()
    parser.feed(fragment)
    return parser.tags


def test_commonmark_with_tables_and_nofollow_links() -> None:
    html = render(
        "## Tracks\n\n| Track | Day |\n|:--|--:|\n| Policy and Advocacy | 2 |\n\n"
        "See [the programme](https://nec.example.org/programme) or <https://nec.example.org>."
    )
    assert "<h2>Tracks</h2>" in html
    assert '<th style="text-align:left">Track</th>' in html
    assert '<td style="text-align:right">2</td>' in html
    assert (
        '<a href="https://nec.example.org/programme" rel="nofollow noopener">the programme</a>'
        in html
    )
    assert '<a href="https://nec.example.org" rel="nofollow noopener">' in html


def test_bare_urls_are_not_linkified() -> None:
    # linkify is off (the commonmark preset); angle brackets make links.
    assert "<a" not in render("Visit https://nec.example.org today")


def test_raw_html_is_shown_as_text_not_run() -> None:
    html = render('<script>alert("x")</script> <b onclick="x()">bold</b>')
    assert "<script" not in html and "<b" not in html
    assert "&lt;script&gt;" in html


def test_dangerous_links_and_images() -> None:
    html = render(
        "[click](javascript:alert(1)) [mail](mailto:forum@example.org) ![a cat](https://img.example/cat.png)"
    )
    assert not unsafe_attributes(html)  # the javascript: link stays text, never an href
    assert 'href="mailto:forum@example.org"' in html
    # Images become links to the image (no remote <img> tracking pixels; Mastodon drops img).
    assert "<img" not in html
    assert '<a href="https://img.example/cat.png" rel="nofollow noopener">a cat</a>' in html


def test_sanitize_applies_the_allow_list_to_foreign_html() -> None:
    dirty = (
        '<p style="color:red" onmouseover="x()">Hi<iframe src="https://evil.example"></iframe>'
        '<a href="javascript:alert(1)">x</a><a href="https://ok.example" target="_blank">ok</a>'
        '<td style="position:fixed;text-align:center">c</td></p><style>p{}</style>'
    )
    clean = sanitize(dirty)
    assert set(tags_of(clean)) <= ALLOWED_TAGS
    assert not unsafe_attributes(clean)
    assert "iframe" not in clean and "target" not in clean and "p{}" not in clean
    assert 'rel="nofollow noopener"' in clean


def test_to_plain_text() -> None:
    html = render("Join us! This is **great** &amp; free.\n\n- one\n- two\n\nLast<br>line")
    assert to_plain_text(html) == "Join us! This is great & free.\n- one\n- two\n\nLast<br>line"
    assert to_plain_text("<p>a</p><script>var x</script><p>b&nbsp;c</p>") == "a\n\nb c"
    assert to_plain_text("<p>unclosed <b>tags") == "unclosed tags"


def test_first_sentence_skips_abbreviations_and_truncates() -> None:
    assert first_sentence("We meet e.g. on Thursdays. Then more.") == "We meet e.g. on Thursdays."
    assert first_sentence("Dr. Lee opens. Then.") == "Dr. Lee opens."
    assert first_sentence("No full stop at all") == "No full stop at all"
    long = first_sentence("word " * 100, limit=50)
    assert len(long) <= 50 and long.endswith("…")
    assert first_sentence("\n\nSecond paragraph first. Yes.") == "Second paragraph first."


def test_truncate_keeps_short_text() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("a b c d e f g h", 8).endswith("…")


def test_plain_text_to_html_escapes_and_links() -> None:
    html = plain_text_to_html(
        "Meet <us> & friends: https://forum.example.org/join.\nSecond line\n\nNew para"
    )
    assert html == (
        '<p>Meet &lt;us&gt; &amp; friends: <a href="https://forum.example.org/join" rel="nofollow noopener">'
        "https://forum.example.org/join</a>.<br>Second line</p><p>New para</p>"
    )


_fragments = st.sampled_from(
    [
        "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)",
        "[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x](java\tscript:alert(1))",
        "[x](&#106;avascript:alert(1))", "![x](javascript:alert(1))", "<a href='javascript:x'>",
        "<svg onload=alert(1)>", "\" onmouseover=\"x", "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](vbscript:msgbox)", "<iframe src=//evil>", "`code`", "**b**", "\n\n", "| a |\n|---|\n| b |",
        "<style>*{}</style>", "<!-- c -->", "&lt;script&gt;", "[x](https://ok.example \"t\")",
        "<a href=\"https://ok\" onclick=\"x\">y</a>", "> quote", "1. item", "<details open ontoggle=x>",
    ]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(parts=st.lists(st.one_of(_fragments, st.text(max_size=20)), max_size=12))
def test_no_script_survives_markdown(parts: list[str]) -> None:
    html = render("".join(parts))
    assert "<script" not in html.lower()
    assert set(tags_of(html)) <= ALLOWED_TAGS
    assert not unsafe_attributes(html), unsafe_attributes(html)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.one_of(_fragments, st.text(max_size=20)), max_size=12))
def test_no_script_survives_sanitize(parts: list[str]) -> None:
    html = sanitize("".join(parts))
    assert "<script" not in html.lower()
    assert set(tags_of(html)) <= ALLOWED_TAGS
    assert not unsafe_attributes(html)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200))
def test_text_helpers_never_raise(text: str) -> None:
    to_plain_text(text)
    first_sentence(text)
    html = plain_text_to_html(text)
    assert not unsafe_attributes(html) and "<script" not in html.lower()
