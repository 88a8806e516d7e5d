"""Every word a person reads in the workspace goes through the gettext catalogue.

The workspace is for organizers who may not read English: a literal word left in a template's
text, or in an attribute a person reads or hears (``aria-label``, ``title``, ``placeholder``,
``alt``), stays English on a Spanish page. This reads the templates with
Jinja's own lexer, so only the text outside ``{{ … }}`` and ``{% … %}`` is checked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2 import Environment

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = sorted((ROOT / "templates" / "workspace").glob("*.html"))
READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")
ACRONYM = re.compile(r"[A-Z]{2,4}")
ATTRIBUTE = re.compile(r"""([\w:-]+)\s*=\s*("[^"]*"|'[^']*')""")
TAG = re.compile(r"<[^>]*>")
ENTITY = re.compile(r"&#?\w+;")
WORD = re.compile(r"[^\W\d_]{2,}")


def _data(source: str) -> str:
    """The template's literal text: everything Jinja would copy through unchanged."""
    lexer = Environment(trim_blocks=True, lstrip_blocks=True).lexer
    return "".join(value for _line, kind, value in lexer.tokeniter(source, "t") if kind == "data")


def untranslated_words(source: str) -> list[str]:
    """Words in the text, or in the attributes people read, that no ``_()`` wraps."""
    text = _data(source)
    found: list[str] = []
    # Attributes anywhere, also in a macro's fragment of a tag (`` aria-invalid="true"``).
    for name, quoted in ATTRIBUTE.findall(text):
        if name.lower() in READ_ATTRIBUTES:
            found += WORD.findall(ENTITY.sub(" ", quoted[1:-1]))
    found += WORD.findall(ENTITY.sub(" ", TAG.sub(" ", ATTRIBUTE.sub(" ", text))))
    # UTC, CSV, API: the same in every shipped language.
    return [word for word in found if not ACRONYM.fullmatch(word)]


def test_the_check_finds_words_in_text_and_read_attributes_but_not_in_markup() -> None:
    assert untranslated_words('<p class="meta">{{ _("Hello") }} &middot; 3</p>') == []
    assert untranslated_words("<p>Hello {{ name }}</p>") == ["Hello"]
    assert untranslated_words('<input placeholder="Search">') == ["Search"]
    assert untranslated_words('<a aria-label="{{ _(\'Next\') }}" href="/x">→</a>') == []
    assert untranslated_words("{% if x %}<b>{{ _('Yes') }}</b>{% endif %}") == []


@pytest.mark.parametrize("path", WORKSPACE, ids=[p.name for p in WORKSPACE])
def test_workspace_template_has_no_untranslated_words(path: Path) -> None:
    words = untranslated_words(path.read_text())
    assert not words, f"{path.name}: wrap these in _(): {words[:12]}"
