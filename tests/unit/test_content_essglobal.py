"""ESSGlobal concepts: the bundled code lists, validation of concept IRIs and their labels."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from node.content.essglobal import concepts, label, scheme_title, schemes, validate_concept
from node.content.fields import FieldError

LF = "http://purl.org/essglobal/standard/legal-form/"
ICA = "http://purl.org/essglobal/standard/activities-ica/"


def test_the_five_properties_and_their_schemes() -> None:
    found = {s.name: s for s in schemes()}
    assert list(found) == [
        "economicSector",
        "legalForm",
        "organisationalStructure",
        "baseMembershipType",
        "qualifier",
    ]
    assert found["legalForm"].property_iri == "http://purl.org/essglobal/vocab/legalForm"
    assert found["economicSector"].concept_schemes == (
        ICA,
        "http://purl.org/essglobal/standard/activities-modified/",
    )
    assert found["organisationalStructure"].title["en"] == "Structure Type"


def test_the_legal_forms_are_the_five_essglobal_lists() -> None:
    assert [(c.iri.removeprefix(LF), c.labels["en"]) for c in concepts("legalForm")] == [
        ("L1", "Informal Group"),
        ("L2", "Cooperative"),
        ("L3", "Company"),
        ("L4", "Non-Profit Organisation"),
        ("L5", "Social Enterprise"),
    ]


def test_list_sizes_match_the_source() -> None:
    sizes = {
        name: len(concepts(name))
        for name in (
            "economicSector",
            "legalForm",
            "organisationalStructure",
            "baseMembershipType",
            "qualifier",
        )
    }
    assert sizes == {
        "economicSector": 29 + 16,
        "legalForm": 5,
        "organisationalStructure": 25,
        "baseMembershipType": 6,
        "qualifier": 23,
    }


def test_ica_codes_keep_their_letters() -> None:
    insurance = next(c for c in concepts("economicSector") if c.iri == ICA + "ICA150")
    assert (insurance.alt_label, insurance.labels["en"], insurance.labels["es"]) == (
        "O",
        "Insurance",
        "Seguros",
    )


def test_validate_concept_returns_the_canonical_iri() -> None:
    assert validate_concept("legalForm", LF + "L2") == LF + "L2"
    # purl.org IRIs are http; an https spelling is accepted and canonicalised.
    assert (
        validate_concept("legalForm", "https://purl.org/essglobal/standard/legal-form/L2")
        == LF + "L2"
    )
    assert validate_concept(
        "economicSector", "http://purl.org/essglobal/standard/activities-modified/AM10"
    )


@pytest.mark.parametrize(
    ("scheme", "iri", "field", "message"),
    [
        ("legalForm", LF + "L9", "legalForm", "is not a legalForm concept"),
        ("legalForm", ICA + "ICA10", "legalForm", "is not a legalForm concept"),
        ("economicSector", LF + "L1", "economicSector", "is not a economicSector concept"),
        ("colour", LF + "L1", "colour", "unknown ESSGlobal scheme"),
        ("legalForm", 42, "legalForm", "must be an ESSGlobal concept IRI"),
        ("qualifier", "x" * 400, "qualifier", "must be an ESSGlobal concept IRI"),
    ],
)
def test_validate_concept_errors(scheme: str, iri: object, field: str, message: str) -> None:
    with pytest.raises(FieldError) as info:
        validate_concept(scheme, iri)  # type: ignore[arg-type]
    assert info.value.field == field and message in info.value.message


def test_errors_can_name_the_api_field() -> None:
    with pytest.raises(FieldError) as info:
        validate_concept("legalForm", LF + "L0", field="profile.essglobal.legalForm")
    assert info.value.field == "profile.essglobal.legalForm"


def test_labels_fall_back_to_english() -> None:
    assert label(LF + "L2", "es") == "Cooperativa"
    assert label(LF + "L2", "pt-BR") == "Cooperativa"
    assert label(LF + "L5", "fr") == "Social Enterprise"  # no French label in the source
    assert label("http://purl.org/essglobal/standard/qualifiers/Fairtrade") == "Fair trade"
    with pytest.raises(KeyError):
        label(LF + "L9")


def test_qualifiers_have_their_broader_concept() -> None:
    organic = next(c for c in concepts("qualifier") if c.iri.endswith("/Organic"))
    assert organic.broader == "http://purl.org/essglobal/standard/qualifiers/q01"


def test_every_bundled_file_is_well_formed() -> None:
    folder = resources.files("node.content").joinpath("data", "essglobal")
    for name in (
        "activities-ica",
        "activities-modified",
        "legal-form",
        "organisational-structure",
        "base-membership-type",
        "qualifiers",
    ):
        data = json.loads(folder.joinpath(f"{name}.json").read_text(encoding="utf-8"))
        assert data["conceptScheme"] == f"http://purl.org/essglobal/standard/{name}/"
        iris = [c["iri"] for c in data["concepts"]]
        assert len(iris) == len(set(iris))
        assert all(
            i.startswith(data["conceptScheme"]) and c["prefLabel"].get("en")
            for i, c in zip(iris, data["concepts"], strict=True)
        )


def test_a_scheme_has_a_title_for_people() -> None:
    # The network directory showed "legalForm" to visitors; it shows the vocabulary's title.
    assert scheme_title("legalForm") == "Legal Form"
    assert scheme_title("economicSector", "es") == "Actividad económica"
    assert scheme_title("legalForm", "fr") == "Legal Form"  # no French title: English
    assert scheme_title("unknownScheme") == "unknownScheme"
