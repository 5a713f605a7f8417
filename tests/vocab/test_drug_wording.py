"""How registries write drugs the dictionary does not list as written: abbreviations, brands,
slips of the pen, classes and kinds of product, labels and clauses around codes, and entries that
are no drug at all. Every name below is an intervention name from a real CT.gov record."""

import pytest

from trials.drugs import is_placebo
from trials.vocab.drugs import drug_vocabulary


@pytest.fixture(scope="module")
def vocabulary():
    return drug_vocabulary()


def resolve(vocabulary, name, kind="DRUG"):
    return vocabulary.resolve(kind, name)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("NAC", "Acetylcysteine"),
        ("BCG", "BCG Vaccine"),
        ("PRP", "Platelet Rich Plasma"),
        ("Vit D", "Vitamin D"),
        ("Neutral Protamine Hagedorn", "Insulin, Isophane"),
        ("Bactrim", "Co-trimoxazole"),
        ("Nitrostat", "Nitroglycerin"),
        ("Kenacort®", "Triamcinolone"),
        ("Omnic Ocas", "Tamsulosin"),
        ("Sodium Chloride (NaCl) 0.9 %", "Sodium chloride"),
        ("ALK diluent 0,3% human albumin", "Serum Albumin, Human"),
    ],
)
def test_abbreviations_and_brands_meet_their_drug(vocabulary, name, canonical):
    assert [drug.name for drug in resolve(vocabulary, name)] == [canonical]


def test_trimix_is_its_three_drugs(vocabulary):
    assert [d.key for d in resolve(vocabulary, "Trimix")] == ["papaverine", "phentolamine", "alprostadil"]


@pytest.mark.parametrize(
    ("name", "key"),
    [("azactidine", "azacitidine"), ("Erythomycin", "erythromycin"), ("Pomalidimide", "pomalidomide")],
)
def test_a_one_letter_slip_finds_the_drug_for_review(vocabulary, name, key):
    [drug] = resolve(vocabulary, name)
    assert (drug.key, drug.provisional) == (key, True)  # a curator confirms it in the review queue


def test_a_near_name_does_not_beat_a_stem_a_class_or_a_longer_distance(vocabulary):
    [enpulimab] = resolve(vocabulary, "Enpulimab")  # one letter from penpulimab, yet its own INN
    assert (enpulimab.key, enpulimab.via) == ("enpulimab", "inn_stem")
    assert [d.class_keys for d in resolve(vocabulary, "Antibiotic")] == [("anti_bacterial_agents",)]
    assert [d.class_keys for d in resolve(vocabulary, "Targeting CD276 CAR T cells")] == [("car_t",)]
    assert resolve(vocabulary, "Amniotic")[0].via == "unresolved"  # 8 letters: too short to guess


@pytest.mark.parametrize(
    ("name", "classes"),
    [
        ("Corticosteroids", [("glucocorticoids",)]),
        (
            "inhaled corticosteroids (ICS) and long-acting β2-agonist (LABA)",
            [("glucocorticoids",), ("adrenergic_beta_2_receptor_agonists",)],
        ),
        ("1 month of PDE5i treatment", [("phosphodiesterase_5_inhibitors",)]),
        ("Anesthesia induction", [("anesthetics",)]),
        ("Randomization of two local anesthetics.", [("anesthetics_local",)]),
        ("IgE monoclonal antibody", [("monoclonal_antibody",)]),
        ("Immunochemotherapy combined with antiangiogenic", [("chemotherapy",), ("angiogenesis_inhibitor",)]),
        ("Concurrent Chemoradiotherapy", [("chemotherapy",)]),
    ],
)
def test_a_class_written_where_a_drug_goes(vocabulary, name, classes):
    drugs = resolve(vocabulary, name)
    assert [d.class_keys for d in drugs] == classes
    assert all(d.provisional for d in drugs)


@pytest.mark.parametrize(
    ("name", "class_key"),
    [
        ("Anti-CD19-CAR", "car_t"),
        ("B7-H3CART", "car_t"),
        ("CAR.B7-H3T cells infusion", "car_t"),
        ("SC-CAR4BRAIN", "car_t"),
        ("HUCMSC injection", "cell_therapy"),
        ("ADSTEM Inj.", "cell_therapy"),
        ("autologous dendritic cells pulsed with tumor lysate antigen Vaccine", "cell_therapy"),
        ("Fecal Microbial Transplantation", "faecal_microbiota_transplant"),
        ("CryJ2-DNA-LAMP plasmid vaccine by intramuscular injection", "vaccine"),
        ("rPhleum", "allergen_immunotherapy"),
        ("Baked Milk", "allergen_immunotherapy"),
        ("Bet v 1aF1-Alum + Bet v 1aF2-Alum", "allergen_immunotherapy"),
        ("Qizhi Tongluo Capsules", "herbal_medicine"),
        ("Yupingfeng Powder granules", "herbal_medicine"),
    ],
)
def test_products_named_by_their_kind(vocabulary, name, class_key):
    drugs = resolve(vocabulary, name)
    assert drugs and drugs[0].class_keys == (class_key,)


def test_the_class_tree_places_the_new_kinds(vocabulary):
    assert vocabulary.ancestors("faecal_microbiota_transplant") == ["microbiome_therapy"]
    assert vocabulary.ancestors("probiotic") == ["microbiome_therapy"]
    assert vocabulary.classes["vaccine"].parent_key is None


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Part 2 (Asthma): CNTO 7160", "CNTO 7160"),
        ("IMA-638 is a biologic", "IMA-638"),
        ("UTAA06 injection for treatment of advanced malignant solid tumors", "UTAA06"),
        ("STN1012600 ophthalmic solution 0.002%", "STN1012600"),
        ("CELZ-201-DDT", "CELZ-201-DDT"),
        ("LIB-01", "LIB-01"),
        ("T 614", "T-614"),
    ],
)
def test_codes_under_labels_clauses_and_forms(vocabulary, name, code):
    [drug] = resolve(vocabulary, name)
    assert (drug.name.replace(" ", "-"), drug.via) == (code.replace(" ", "-"), "code")


@pytest.mark.parametrize(
    "name",
    [
        "Blood draw",
        "a blood sample",
        "Urine sampling",
        "Esophageal biopsies",
        "Nasal specimen collection",
        "Pregnancy test",
        "No intervention",
        "There is no intervention in this study.",
        "Standard therapy",
        "Conventional medication",
        "Rescue Medications",
        "Other drugs for neoadjuvant treatment",
    ],
)
def test_entries_that_are_no_drug_give_nothing(vocabulary, name):
    assert resolve(vocabulary, name) == []


def test_unnamed_treatment_that_names_a_class_keeps_it(vocabulary):
    assert [d.class_keys for d in resolve(vocabulary, "Standard chemotherapy")] == [("chemotherapy",)]
    assert [d.class_keys for d in resolve(vocabulary, "SOC chemotherapy")] == [("chemotherapy",)]


def test_a_simulation_agent_is_a_placebo(vocabulary):
    assert is_placebo("Shu Gan Yi Yang capsule simulation agent")
    assert resolve(vocabulary, "Shu Gan Yi Yang capsule simulation agent") == []
    assert [d.class_keys for d in resolve(vocabulary, "Shu Gan Yi Yang capsule")] == [("herbal_medicine",)]


def test_our_synonym_tables_must_name_what_exists(tmp_path, monkeypatch):
    from scripts.vocabulary import drugs as build

    monkeypatch.setattr(build, "SOURCES", tmp_path)
    (tmp_path / "drug_synonyms.tsv").write_text("name\tsynonyms\nNo Such Drug\tNSD\n")
    with pytest.raises(ValueError, match="no drug named 'No Such Drug'"):
        build._add_drug_synonyms({}, {})
    (tmp_path / "drug_class_synonyms.tsv").write_text("key\tsynonyms\nno_such_class\tNSC\n")
    with pytest.raises(ValueError, match="no class 'no_such_class'"):
        build._add_class_synonyms([{"key": "glucocorticoids", "synonyms": []}])
