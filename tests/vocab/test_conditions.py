"""The condition vocabulary: MeSH tree, entry terms, wrappers and abbreviations (no database)."""

import tempfile
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from trials.vocab.conditions import condition_vocabulary

SMALL_CELL = "D055752"  # Small Cell Lung Carcinoma
NON_SMALL_CELL = "D002289"  # Carcinoma, Non-Small-Cell Lung
LUNG_NEOPLASMS = "D008175"
NEOPLASMS = "D009369"
MALIGNANT_MESOTHELIOMA = "D000086002"  # MeSH 2024: "Malignant Pleural Mesothelioma" is its entry term


def ids(term, study_meshes=()):
    return [found.mesh_id for found in condition_vocabulary().resolve(term, study_meshes)]


def test_small_cell_lung_carcinoma_sits_within_lung_neoplasms_within_neoplasms():
    ancestors = [mesh_id for mesh_id, _ in condition_vocabulary().ancestors(SMALL_CELL)]
    assert LUNG_NEOPLASMS in ancestors
    assert ancestors[-1] == NEOPLASMS or NEOPLASMS in ancestors
    assert ancestors.index(LUNG_NEOPLASMS) < ancestors.index(NEOPLASMS)
    assert condition_vocabulary().ancestors(NEOPLASMS) == []


@pytest.mark.parametrize(
    ("term", "expected", "via"),
    [
        ("NSCLC", NON_SMALL_CELL, "abbreviation"),
        ("SCLC", SMALL_CELL, "abbreviation"),
        ("ES-SCLC", SMALL_CELL, "abbreviation"),
        ("Stage IV NSCLC", NON_SMALL_CELL, "abbreviation"),
        ("Extensive Small Cell Lung Cancer", SMALL_CELL, "partial"),
        ("Extensive-stage Small Cell Lung Cancer", SMALL_CELL, "partial"),
        ("Advanced Non-small Cell Lung Cancer", NON_SMALL_CELL, "partial"),
        ("Lung Cancer", LUNG_NEOPLASMS, "entry_term"),
        ("Pleural Mesotheliomas", MALIGNANT_MESOTHELIOMA, "entry_term"),
        ("Cancer", NEOPLASMS, "entry_term"),
        ("HCC", "D006528", "abbreviation"),
        ("CRC", "D015179", "abbreviation"),
        ("AML", "D015470", "abbreviation"),
        ("CLL", "D015451", "abbreviation"),
        ("NEN", "D018358", "abbreviation"),
        ("Breast Cancer, Adult", "D001943", "partial"),
    ],
)
def test_terms_resolve_to_their_descriptor(term, expected, via):
    resolved = condition_vocabulary().resolve(term)
    assert [(found.mesh_id, found.via) for found in resolved] == [(expected, via)]


def test_unknown_and_loose_terms_stay_unmapped():
    assert ids("Frobnicating Widgetitis") == []
    assert ids("all") == []  # the English word, not acute lymphoblastic leukaemia
    assert ids("PD-L1 Positive") == []  # "PD" inside "PD-L1" is no Parkinson disease


def test_pleural_effusion_does_not_become_malignant():
    assert ids("Pleural Effusion") == ["D010996"]


def test_the_studys_own_mesh_wins_and_ids_padded_by_ctgov_are_understood():
    meshes = [{"id": "D000007172", "term": "Erectile Dysfunction"}]
    resolved = condition_vocabulary().resolve("Erectile Dysfunction", meshes)
    assert [(found.mesh_id, found.via) for found in resolved] == [("D007172", "study_mesh")]


def test_an_ambiguous_abbreviation_needs_the_study_to_say_which():
    assert ids("UC") == []
    assert ids("UC", [("D003093", "Colitis, Ulcerative")]) == ["D003093"]
    assert ids("UC", [("D002295", "Carcinoma, Transitional Cell")]) == ["D002295"]


def test_descriptor():
    found = condition_vocabulary().descriptor(SMALL_CELL)
    assert found.name == "Small Cell Lung Carcinoma"
    assert "C04.588.894.797.520.109.220.624" in found.tree_numbers
    assert condition_vocabulary().descriptor("D999999") is None


@pytest.mark.skipif(not (SHARED_DATA / "vocab").is_dir(), reason="needs ../shared/data")
def test_committed_conditions_file_is_what_the_build_writes():
    from scripts.vocabulary import conditions

    committed = Path(conditions.__file__).resolve().parents[2] / "data" / "vocab" / "conditions.tsv.gz"
    with tempfile.TemporaryDirectory() as out:
        conditions.build(SHARED_DATA, Path(out))
        assert (Path(out) / "conditions.tsv.gz").read_bytes() == committed.read_bytes()
