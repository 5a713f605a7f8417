"""Development codes and the record's own wording, on real API v2 interventions.

``fixtures/ctgov_v2_interventions.jsonl`` holds interventions and their arms copied verbatim from
``../shared/data/ctgov/ctgov_api_v2_studies.jsonl.gz`` (one line per intervention, with its NCT id).
"""

import json
from pathlib import Path

import pytest

from trials.vocab.drugs import drug_vocabulary
from trials.vocab.record_text import development_code, wording_classes

FIXTURE = Path(__file__).parent / "fixtures" / "ctgov_v2_interventions.jsonl"
RECORDS = {r["intervention"]["name"]: r for r in map(json.loads, FIXTURE.read_text(encoding="utf-8").splitlines())}


def resolve(name: str):
    """The intervention resolved as the benchmark resolves it: name, other names, its and its arms' text."""
    record = RECORDS[name]
    intervention = record["intervention"]
    return drug_vocabulary().resolve(
        intervention["type"],
        intervention["name"],
        intervention.get("otherNames", []),
        description=intervention.get("description", ""),
        arm_descriptions=[arm["description"] for arm in record["armGroups"]],
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("HB0030", "HB0030"),
        ("PF-04965842", "PF-04965842"),
        ("UK-369,003", "UK-369,003"),
        ("GV20-0251", "GV20-0251"),
        ("SHR-A1811", "SHR-A1811"),
        ("HLX53", "HLX53"),
        ("CT-P39", "CT-P39"),
        # Isotopes, registry ids, antigens, genes, mutations and dose levels are not codes.
        ("I-131", ""),
        ("Lu-177", ""),
        ("NCT04965842", ""),
        ("COVID-19", ""),
        ("CD123", ""),
        ("HPV16", ""),
        ("IgG4", ""),
        ("T790M", ""),
        ("HER2", ""),
        ("Dose 1", ""),
    ],
)
def test_development_codes_are_told_from_other_alphanumerics(text, code):
    assert development_code(text) == code


def test_a_development_code_is_a_drug_of_its_own_classed_by_its_other_names():
    [drug] = resolve("HB0030 injection")  # otherNames: "Recombinant Humanized Anti-TIGIT Monoclonal Antibody"
    assert (drug.key, drug.name, drug.class_keys, drug.via, drug.provisional) == (
        "hb0030",
        "HB0030",
        ("tigit_inhibitor",),
        "code",  # no vocabulary lists it: a development code, in the curators' queue
        True,
    )


def test_a_code_is_classed_by_the_description_that_names_it():
    [drug] = resolve("TJ101")  # "TJ101 is a EGFR/B7H3 directed antibody conjugate with ... topoisomerase I inhibitor."
    assert drug.class_keys == ("antibody_drug_conjugate", "b7h3_targeted")
    [drug] = resolve("MT027")  # "... allogeneic universal chimeric antigen receptor T-cell (UCAR-T) injection"
    assert drug.class_keys == ("car_t",)
    [drug] = resolve("CM310")  # "IL-4R alpha monoclonal antibody": no target the tree knows
    assert drug.class_keys == ("monoclonal_antibody",)


def test_a_code_is_one_drug_whatever_dose_level_and_codes_written_beside_it():
    [drug] = resolve("LP-003 Dose 1 (Single)")
    assert (drug.key, drug.class_keys) == ("lp 003", ())
    [drug] = resolve("Gadoquatrane (BAY1747846)")
    assert (drug.name, drug.synonyms) == ("BAY1747846", ("Gadoquatrane (BAY1747846",))
    [drug] = resolve("DB-1311/BNT324")  # the curated table knows DB-1311 is a B7-H3 ADC
    assert (drug.name, drug.via) == ("DB-1311", "curated")


def test_an_arm_classes_a_code_only_when_it_says_what_that_code_is():
    # "Dose finding for the combination of BNT116 with BNT316 (CTLA4 antibody)": the bracket
    # follows BNT316; and the curated table says the same (gotistobart).
    [drug] = resolve("BNT316")
    assert drug.class_keys == ("ctla4_inhibitor",)


def test_negated_or_other_wording_gives_no_class():
    # Description: "Drugs other than immune checkpoint inhibitors are being used ...": no class,
    # and the entry names no drug at all.
    assert resolve("Other drugs for neoadjuvant treatment") == []
    assert wording_classes("Drugs other than immune checkpoint inhibitors") == ()
    assert resolve("Rescue medication for allergic rhinitis") == []  # not an allergen product either


def test_activities_typed_drug_name_no_drug():
    for name in ("Blood samples for Chemistry", "Pregnancy test"):
        assert resolve(name) == [], name
        assert not development_code(name)


@pytest.mark.parametrize(
    ("name", "classes"),
    [
        ("Antibiotic", ("anti_bacterial_agents",)),  # a MeSH entry term of Anti-Bacterial Agents
        ("Herbal medicine", ("herbal_medicine",)),
        ("Wharton Jelly Mesenchymal stem cells", ("cell_therapy",)),
        ("rBet v1-FV", ("allergen_immunotherapy",)),  # the WHO/IUIS allergen name Bet v 1
    ],
)
def test_a_class_or_kind_of_product_written_as_the_name_gets_that_class_provisionally(name, classes):
    [drug] = resolve(name)
    assert (drug.class_keys, drug.via, drug.provisional) == (classes, "inn_stem", True)


def test_allergen_products_are_in_the_curated_table():
    [drug] = resolve("ALK Grass tablet")
    assert (drug.name, drug.via, drug.class_keys) == ("Grazax", "curated", ("allergen_immunotherapy",))
