"""The gettext catalogues are complete: every string marked in node/ and templates/ is in
messages.pot and translated into Spanish with the same placeholders; dates follow the locale."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from node.web import i18n

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)\}")


def _marked() -> set[str]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalogue(path: Path) -> dict[str, tuple[str, bool]]:
    with path.open("rb") as source:
        catalog = read_po(source)
    out: dict[str, tuple[str, bool]] = {}
    for msg in catalog:
        if msg.id:
            key = msg.id if isinstance(msg.id, str) else msg.id[0]
            string = msg.string
            text = string if isinstance(string, str) else (string[0] if string else "")
            out[key] = (text, msg.fuzzy)
    return out


def test_every_marked_string_is_in_the_template_and_translated_into_spanish() -> None:
    marked = _marked()
    assert "Skip to content" in marked
    template = _catalogue(ROOT / "node" / "locale" / "messages.pot")
    stale = sorted(marked - template.keys())
    assert not stale, f"run `make messages`: not in messages.pot: {stale[:10]}"
    spanish = _catalogue(ROOT / "node" / "locale" / "es" / "LC_MESSAGES" / "messages.po")
    untranslated = sorted(m for m in marked if not spanish.get(m, ("", True))[0])
    assert not untranslated, f"no Spanish for: {untranslated[:10]}"
    fuzzy = sorted(m for m in marked if spanish[m][1])
    assert not fuzzy, f"fuzzy (unchecked) Spanish for: {fuzzy[:10]}"


def test_translations_keep_the_placeholders_of_the_english() -> None:
    for lang in ("es", "fr"):
        for message, (text, _fuzzy) in _catalogue(
            ROOT / "node" / "locale" / lang / "LC_MESSAGES" / "messages.po"
        ).items():
            if text:
                assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(message)), (
                    lang,
                    message,
                    text,
                )


def test_languages_fall_back_to_english_and_pick_from_accept_language() -> None:
    assert i18n.gettext("es", "Skip to content") == "Ir al contenido"
    assert i18n.gettext("es-MX", "Skip to content") == "Ir al contenido"
    assert i18n.gettext("pt", "Skip to content") == "Skip to content"
    assert i18n.gettext("es", "a string no catalogue has") == "a string no catalogue has"
    assert i18n.negotiate("de;q=1, es;q=0.8, en;q=0.5") == "es"
    assert i18n.negotiate("") == "en"


def test_dates_are_written_the_way_each_language_writes_them() -> None:
    moment = datetime(2027, 6, 12, 16, 30, tzinfo=UTC)
    madrid = ZoneInfo("Europe/Madrid")
    assert i18n.day(moment, "en", madrid) == "Saturday, June 12, 2027"
    assert i18n.day(moment, "es", madrid) == "sábado, 12 de junio de 2027"
    assert i18n.clock(moment, "es", madrid) == "18:30"
    assert i18n.short_day(moment, "fr", madrid) == "sam. 12 juin"
