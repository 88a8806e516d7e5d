"""Every validation error the publishing and profile services can raise has words for an
organizer (node/features/workspace/form_errors.py), none of them is API jargon, and every one
of those words (and every name of a field) goes through the gettext catalogue, so a Spanish
organizer reads them in Spanish."""

from __future__ import annotations

import ast
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from node.content.fields import FieldError, validate_event
from node.content.fields.times import read_recurrence
from node.features.networks.membership import ENDED, MembershipError
from node.features.workspace import profile_page
from node.features.workspace.form_errors import (
    LABELS,
    MESSAGES,
    UNMATCHED,
    UNNAMED,
    field_errors,
    form_field,
    organizer_words,
)
from node.web.i18n import N_
from node.web.wording import Term, words
from tests.unit.test_catalogues import _marked

ROOT = Path(__file__).resolve().parents[2] / "node"
# Where the forms' validation lives: the content model, the publishing service, the profile
# service, and the workspace's own checks (drafts, images, times).
SOURCES = [
    *sorted((ROOT / "content").rglob("*.py")),
    *sorted((ROOT / "features" / "publishing" / "service").glob("*.py")),
    ROOT / "features" / "profiles" / "editing.py",
    *sorted((ROOT / "features" / "workspace").glob("*.py")),
    # uploaded images: their refusals are shown beside the image field
    *sorted((ROOT / "features" / "media").glob("*.py")),
]
# The errors those raise, and which argument holds the message: FieldError(path, message) and
# the media service's ImageRefused(status, message).
RAISED = {"FieldError", "ImageRefused"}
# What a formatted value in a message becomes: a number, a word, a date all read as "7".
SAMPLE = "7"
JARGON = ("FEP", "IANA", "startTime", "endTime", "joinMode", "JSON", "ISO 3166", "ValueFlows",
          "ESSGlobal concept", "PATCH", "BCP 47", "summaryMap")  # fmt: skip


def _constants(tree: ast.Module) -> dict[str, str]:
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    found[target.id] = node.value.value
    return found


def _text(node: ast.expr, constants: dict[str, str], whats: list[str]) -> list[str]:
    """The messages an expression can be (formatted values replaced by a sample)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Attribute) and node.attr == "message":
        return []  # an error passed on (error.message): checked where it is raised
    if isinstance(node, ast.Name) and node.id in constants:
        return [constants[node.id]]
    if isinstance(node, ast.JoinedStr):
        if any(isinstance(v, ast.FormattedValue) and getattr(v.value, "id", "") == "what"
               for v in node.values):  # fmt: skip
            return [f"must be {what}" for what in whats]
        return [
            "".join(str(v.value) if isinstance(v, ast.Constant) else SAMPLE for v in node.values)
        ]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [a + b for a in _text(node.left, constants, whats)
                for b in _text(node.right, constants, whats)]  # fmt: skip
    return [SAMPLE]


def _read_object_descriptions() -> list[str]:
    """The ``what`` of every read_object call (``must be {what}``), and its default."""
    whats = ["an object"]
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "read_object"
                and len(node.args) > 3
                and isinstance(node.args[3], ast.Constant)
            ):
                whats.append(str(node.args[3].value))
    return whats


def raised_messages() -> list[tuple[str, str]]:
    """(where, message) of every ``FieldError(path, message)`` in the validation's code."""
    whats = _read_object_descriptions()
    found = []
    for path in SOURCES:
        tree = ast.parse(path.read_text())
        constants = _constants(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") in RAISED
                and len(node.args) == 2
            ):
                for message in _text(node.args[1], constants, whats):
                    found.append((f"{path.relative_to(ROOT)}:{node.lineno}", message))
    return found


def test_the_validation_raises_many_messages_and_each_is_found() -> None:
    messages = raised_messages()
    assert len(messages) > 80
    assert any("FEP-8a8e events always have an end" in m for _, m in messages)
    assert any(m == "must be a JSON object" for _, m in messages)


@pytest.mark.parametrize(("where", "message"), raised_messages())
def test_every_validation_error_has_words_for_an_organizer(where: str, message: str) -> None:
    words = organizer_words(FieldError("name", message))
    assert not words.startswith("Check "), f"{where}: no rule for {message!r}"
    for term in JARGON:
        assert term not in words, f"{where}: {words!r} says {term}"


def test_rules_have_no_jargon() -> None:
    for rule in MESSAGES:
        assert not any(term in rule.words for term in JARGON), rule


def test_an_event_without_an_end_is_told_in_plain_words() -> None:
    with pytest.raises(FieldError) as caught:
        validate_event({"name": "Forum", "startTime": "2027-01-21T18:30", "timezone": "UTC"})
    assert caught.value.message == "is required (FEP-8a8e events always have an end)"
    assert field_errors(caught.value) == {"endTime": "Give the time the event ends."}


def test_errors_in_a_list_belong_to_the_lists_input() -> None:
    assert form_field("speakers[1].name") == "speakers"
    assert form_field("tags[2]") == "tags"
    assert form_field("location.address.postalCode") == "location.address.postalCode"
    too_long = FieldError("name", "must be at most 200 characters (it has 240)")
    assert organizer_words(too_long) == "Shorten the title to 200 characters (it has 240)."


def test_every_wording_and_every_field_name_is_marked_for_the_catalogue() -> None:
    marked = _marked()
    words = {rule.words for rule in MESSAGES} | {UNNAMED, UNMATCHED}
    names = set(LABELS.values()) | set(profile_page.LABELS.values())
    assert len(words) > 60 and len(names) > 40
    assert not sorted(words - marked), "wrap these in N_() in form_errors.py"
    assert not sorted(names - marked), "wrap these field names in N_()"


def test_the_words_and_the_field_name_are_translated_apart_then_put_together() -> None:
    too_long = FieldError(
        "location.address.postalCode", "must be at most 200 characters (it has 240)"
    )
    assert organizer_words(too_long) == "Shorten the postal code to 200 characters (it has 240)."
    assert organizer_words(too_long, lang="es") == (
        "Acorta el código postal a 200 caracteres (tiene 240)."
    )
    assert organizer_words(too_long, {"location.address.postalCode": "the zip"}, "es") == (
        "Acorta the zip a 200 caracteres (tiene 240)."  # a label no catalogue has stays as given
    )
    unknown = FieldError("nickname", "is odd")
    assert organizer_words(unknown, lang="es") == "Revisa este campo."


def test_a_weekday_from_the_validation_is_written_in_the_organizers_language() -> None:
    error = FieldError("recurrence.byDay", "startTime (Thursday) is not one of these days")
    assert organizer_words(error) == (
        "The first date is a Thursday: make it one of the days it repeats on."
    )
    assert organizer_words(error, lang="es") == (
        "La primera fecha cae en jueves: haz que sea uno de los días en que se repite."
    )


def _monthly_error(by_day: list[str], first: datetime) -> FieldError:
    zone = ZoneInfo("Europe/Madrid")
    with pytest.raises(FieldError) as raised:
        read_recurrence({"frequency": "monthly", "byDay": by_day, "count": 6}, "recurrence",
                        first.replace(tzinfo=zone), zone)  # fmt: skip
    return raised.value


def test_a_monthly_series_first_date_and_its_ordinal_days_are_in_the_organizers_language() -> None:
    # the co-op's assembly: third Thursday or last Friday; the first date is the second Thursday
    error = _monthly_error(["3TH", "-1FR"], datetime(2027, 5, 13, 18))
    assert error.message == (  # the API's and the CLI's words, unchanged
        "startTime (Thursday 13 May 2027) is not the third Thursday or last Friday of its month"
    )
    assert organizer_words(error) == (
        "The first date (Thursday 13 May 2027) is not the third Thursday or last Friday of its "
        "month: pick a first date that is."
    )
    assert organizer_words(error, lang="es") == (
        "La primera fecha (jueves, 13 de mayo de 2027) no es el tercer jueves o último viernes "
        "de su mes: elige una primera fecha que lo sea."
    )
    # counted from the end, one day
    error = _monthly_error(["-2MO"], datetime(2027, 3, 1, 10))
    assert organizer_words(error, lang="es") == (
        "La primera fecha (lunes, 1 de marzo de 2027) no es el penúltimo lunes de su mes: elige "
        "una primera fecha que lo sea."
    )


def test_a_stored_state_inside_a_refusal_is_a_word_of_the_readers_language() -> None:
    """A network admin removing an organization whose membership already ended reads the state
    in Spanish too; the name is filled in as it is, and the CLI's English is unchanged."""
    refusal = MembershipError(
        N_("%(member)s is not a member (it is %(state)s)"),
        member="Riverside Food Co-op",
        state=Term(ENDED),
    )
    assert str(refusal) == "Riverside Food Co-op is not a member (it is ended)"
    assert refusal.in_language("es") == "Riverside Food Co-op no es miembro (su estado: terminado)"
    assert words("es", "%(who)s", who="ended") == "ended"  # a plain value is never translated
