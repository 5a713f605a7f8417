"""The drug vocabulary and resolver, on the seed trials' interventions and real CT.gov wording."""

import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from trials.vocab.drugs import drug_vocabulary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def vocabulary():
    return drug_vocabulary()


def resolved(vocabulary, name, kind="DRUG", **kwargs):
    return [(drug.name, drug.class_keys) for drug in vocabulary.resolve(kind, name, **kwargs)]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # The seed trials' drugs, as their records write them.
        ("Ivonescimab", [("ivonescimab", ("pd1_inhibitor", "vegf_inhibitor", "bispecific_antibody"))]),
        (
            "QL1706 , bevacizumab, etoposide , cisplatin or carboplatin",
            [
                ("QL1706", ("pd1_inhibitor", "ctla4_inhibitor")),
                ("bevacizumab", ("vegf_inhibitor",)),
                ("etoposide", ("topoisomerase_ii_inhibitor",)),
                ("cisplatin", ("platinum_compound", "alkylating_agent")),
                ("carboplatin", ("platinum_compound", "alkylating_agent")),
            ],
        ),
        (
            "combination of Avelumab and Cabozantinib",
            [
                ("avelumab", ("pdl1_inhibitor",)),
                ("cabozantinib", ("multi_kinase_inhibitor", "vegfr_tki", "met_inhibitor")),
            ],
        ),
    ],
)
def test_seed_drugs_resolve_to_their_classes(vocabulary, name, expected):
    assert resolved(vocabulary, name) == expected


def test_classes_know_their_ancestors(vocabulary):
    assert vocabulary.ancestors("pd1_inhibitor") == ["immune_checkpoint_inhibitor", "immunotherapy"]
    assert vocabulary.ancestors("vegf_inhibitor") == ["angiogenesis_inhibitor", "targeted_therapy"]
    assert vocabulary.ancestors("platinum_compound") == ["chemotherapy"]
    assert vocabulary.ancestors("topoisomerase_ii_inhibitor") == ["chemotherapy"]
    assert vocabulary.ancestors("multi_kinase_inhibitor") == ["kinase_inhibitor", "targeted_therapy"]
    assert vocabulary.ancestors("immunotherapy") == []
    assert vocabulary.classes["pd1_inhibitor"].name == "PD-1 inhibitor"


def test_mesh_pharmacological_actions_are_classes_too(vocabulary):
    alkylating = vocabulary.classes["alkylating_agent"]
    assert (alkylating.mesh_id, alkylating.source) == ("D018906", "curated")  # "Antineoplastic Agents, Alkylating"
    assert vocabulary.classes["antineoplastic_agents"].source == "mesh"
    assert "antineoplastic_agents" in vocabulary.ancestors("antineoplastic_agents_phytogenic")


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("Keytruda", "pembrolizumab"),
        ("MK-3475", "pembrolizumab"),
        ("MK3475", "pembrolizumab"),
        ("AK112", "ivonescimab"),
        ("SMT112", "ivonescimab"),
        ("BMS-936558-01", "nivolumab"),
        ("VP16", "etoposide"),
        ("5-FU", "fluorouracil"),
        ("Cabozantinib S-malate", "cabozantinib"),
        ("Anlotinib hydrochloride", "anlotinib"),
        ("Methotrexate for injection", "methotrexate"),
        ("Pembrolizumab 200 mg", "pembrolizumab"),
        ("5 mg Tadalafil", "Tadalafil"),
        ("Poziotinib once daily dosing", "poziotinib"),
        ("HS-20093 (Phase Ia: dose escalation)", "risvutatug rezetecan"),
        ("Toripalimab (anti-PD-1)", "toripalimab"),
    ],
)
def test_brand_names_codes_and_forms_meet_the_drug(vocabulary, name, canonical):
    assert [drug.name for drug in vocabulary.resolve("DRUG", name)] == [canonical]


def test_regimen_acronyms_stand_for_their_drugs(vocabulary):
    assert [drug.key for drug in vocabulary.resolve("DRUG", "FOLFOX")] == ["leucovorin", "fluorouracil", "oxaliplatin"]
    assert "folinic acid" in vocabulary.lookup("leucovorin").synonyms
    assert [drug.key for drug in vocabulary.resolve("DRUG", "mFOLFOX6")] == [
        "leucovorin",
        "fluorouracil",
        "oxaliplatin",
    ]
    assert [drug.key for drug in vocabulary.resolve("DRUG", "R-CHOP")][:2] == ["rituximab", "cyclophosphamide"]
    # A development code, not the "GP" regimen (gemcitabine and cisplatin).
    assert "cisplatin" not in [drug.key for drug in vocabulary.resolve("DRUG", "GP40081")]


def test_combinations_split_into_their_drugs(vocabulary):
    drugs = vocabulary.resolve("DRUG", "Phentermine/Topiramate")
    assert [drug.key for drug in drugs] == ["phentermine", "topiramate"]
    assert all(drug.via == "dictionary" and drug.class_keys for drug in drugs)


def test_an_unknown_inn_gets_a_provisional_class_from_its_stem(vocabulary):
    [drug] = vocabulary.resolve("DRUG", "Zorbotinib")
    assert (drug.name, drug.class_keys, drug.via, drug.provisional) == (
        "Zorbotinib",
        ("kinase_inhibitor",),
        "inn_stem",
        True,
    )
    [drug] = vocabulary.resolve("DRUG", "Xyloparib")
    assert drug.class_keys == ("parp_inhibitor",)


def test_an_unknown_name_is_kept_unresolved(vocabulary):
    [drug] = vocabulary.resolve("DRUG", "XYZ-12345")  # shaped like a sponsor's development code
    assert (drug.key, drug.name, drug.class_keys, drug.via) == ("xyz 12345", "XYZ-12345", (), "code")
    [drug] = vocabulary.resolve("BIOLOGICAL", "Venox")  # a brand no open vocabulary lists
    assert (drug.name, drug.class_keys, drug.via) == ("Venox", (), "unresolved")


def test_other_names_and_study_mesh_terms_help(vocabulary):
    [drug] = vocabulary.resolve("BIOLOGICAL", "Study drug A", other_names=["Opdivo"])
    assert drug.name == "nivolumab"
    # Real records: CT.gov mapped the intervention to MeSH where the vocabulary has no such name.
    meshes = [("D000069444", "Omalizumab"), ("C000611149", "MEDI4212"), ("D007279", "Injections, Subcutaneous")]
    [drug] = vocabulary.resolve("BIOLOGICAL", "MEDI4212 5 mg Subcutaneous", study_meshes=meshes)
    assert (drug.name, drug.mesh_id, drug.via) == ("MEDI4212", "C000611149", "study_mesh")
    # CT.gov pads old MeSH ids: D000000527 is the vocabulary's D000527.
    [drug] = vocabulary.resolve("DRUG", "WC3036-12F Alprostadil gel", study_meshes=[("D000000527", "Alprostadil")])
    assert (drug.name, drug.mesh_id) == ("Alprostadil", "D000527")


def test_what_is_not_a_drug_gives_nothing(vocabulary):
    assert vocabulary.resolve("DRUG", "Placebo") == []
    assert vocabulary.resolve("DRUG", "Matching placebo for tiragolumab") == []
    assert vocabulary.resolve("DRUG", "Standard of care") == []
    assert vocabulary.resolve("DEVICE", "Bevacizumab") == []
    assert vocabulary.resolve("PROCEDURE", "Cisplatin") == []
    assert vocabulary.resolve(None, "Cisplatin") == []


def test_genetic_interventions_count_only_when_they_name_a_drug(vocabulary):
    assert [drug.name for drug in vocabulary.resolve("GENETIC", "Tisagenlecleucel")] == ["tisagenlecleucel"]
    assert vocabulary.resolve("GENETIC", "BRCA testing") == []


def test_vocabulary_loads_fast_and_small():
    # The portal reads it on the first request that needs it.
    import time

    from trials.vocab.drugs import DrugVocabulary

    started = time.perf_counter()
    DrugVocabulary.from_files()
    assert time.perf_counter() - started < 2  # about 0.15 s on the team's machines; headroom for CI


@pytest.mark.skipif(not (SHARED_DATA / "vocab").is_dir(), reason="needs ../shared/data/vocab")
def test_committed_files_are_what_the_build_script_makes(tmp_path):
    subprocess.run(
        [sys.executable, "scripts/build_vocabulary.py", "--only", "drugs", "--shared", SHARED_DATA, "--out", tmp_path],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    committed = ROOT / "data" / "vocab"
    assert (tmp_path / "drug_classes.tsv").read_text() == (committed / "drug_classes.tsv").read_text()
    with gzip.open(tmp_path / "drugs.tsv.gz", "rt") as built, gzip.open(committed / "drugs.tsv.gz", "rt") as shipped:
        assert built.read() == shipped.read()
