"""The vocabularies in the catalogue: imported trials' drugs carry classes, conditions map to MeSH,
sites get coordinates, and search and the drug-class filter find trials by synonyms and classes.
Real records: the three seeds and real API v2 studies (tests/fixtures/vocab_studies/)."""

import pytest

from tests.conftest import FIXTURES, trial_of
from trials.models import Drug, Intervention, Site, Trial
from trials.selectors import trial_list, with_drug_class

pytestmark = pytest.mark.django_db
SEEDS = [
    FIXTURES / "field_dump" / "ivonescimab.txt",
    FIXTURES / "veeva_page" / "001_6d5f8ce496a4989a.txt",
    FIXTURES / "ctgov_page" / "NCT05289856_pipe_tables.txt",
]
STUDIES = FIXTURES / "vocab_studies"


@pytest.fixture
def catalogue(import_paths):
    run = import_paths(*SEEDS, STUDIES)
    assert (run.created, run.failed) == (6, 0), [r.error for r in run.reports if r.error]
    return run


def _classes(drug_name: str) -> set[str]:
    """The drug's class keys with all their parents."""
    drug = Drug.objects.get(key=drug_name)
    return {c.key for direct in drug.classes.all() for c in direct.lineage()}


def test_seed_drugs_carry_their_classes_and_parents(catalogue):
    assert {"pd1_inhibitor", "vegf_inhibitor", "immune_checkpoint_inhibitor"} <= _classes("ivonescimab")
    assert {"pd1_inhibitor", "ctla4_inhibitor"} <= _classes("ql1706")
    assert "vegf_inhibitor" in _classes("bevacizumab")
    assert "topoisomerase_ii_inhibitor" in _classes("etoposide")
    assert "platinum_compound" in _classes("cisplatin") and "platinum_compound" in _classes("carboplatin")
    assert "multi_kinase_inhibitor" in _classes("cabozantinib")
    assert {"pdl1_inhibitor", "immune_checkpoint_inhibitor"} <= _classes("avelumab")


def test_a_brand_name_finds_the_generic_drugs_trials(catalogue):
    pembrolizumab_trial = trial_of("NCT06532149")
    assert pembrolizumab_trial in trial_list("Keytruda")
    assert pembrolizumab_trial in trial_list("MK-3475")


def test_drug_class_filter_finds_every_pd1_inhibitor_trial(catalogue):
    found = set(with_drug_class(Trial.objects.all(), "pd1_inhibitor"))
    assert found == {
        Trial.objects.get(registry_ids__scheme="LOCAL"),  # ivonescimab (field dump)
        trial_of("NCT07083375"),  # QL1706
        trial_of("NCT03119428"),  # nivolumab
        trial_of("NCT06532149"),  # pembrolizumab, nivolumab, cemiplimab
    }
    # A parent class finds its children's trials; a class search finds them by words too.
    assert set(with_drug_class(Trial.objects.all(), "immunotherapy")) >= found
    assert trial_of("NCT05289856") in with_drug_class(Trial.objects.all(), "pdl1_inhibitor")
    assert trial_of("NCT07083375") in trial_list('"PD-1 inhibitor"')
    assert not with_drug_class(Trial.objects.all(), "no_such_class").exists()


def test_conditions_map_to_mesh_and_their_tree(catalogue):
    veeva = trial_of("NCT07083375")
    condition = veeva.trial_conditions.get().condition
    assert (condition.name, condition.mesh_id) == ("Small Cell Lung Carcinoma", "D055752")
    ancestors = set(veeva.mesh_terms.filter(branch="CONDITION", is_ancestor=True).values_list("term", flat=True))
    assert {"Lung Neoplasms", "Neoplasms"} <= ancestors
    # Found by the abbreviation and by the broader condition, though the page says neither.
    assert veeva in trial_list("SCLC")
    assert veeva in trial_list("lung cancer")


def test_sites_without_coordinates_get_their_citys(catalogue):
    heidelberg, mainz = trial_of("NCT05289856").sites.order_by("position")
    assert heidelberg.coordinates_from == Site.CoordinatesFrom.GAZETTEER
    assert abs(heidelberg.latitude - 49.41) < 0.1 and abs(heidelberg.longitude - 8.69) < 0.1
    assert abs(mainz.latitude - 49.98) < 0.1 and abs(mainz.longitude - 8.27) < 0.1
    # Coordinates a source gives are kept as given.
    (given,) = Site.objects.filter(trial=trial_of("NCT06532149"))
    assert (given.latitude, given.longitude) == (41.89193, 12.51133)  # the study's own geoPoint
    assert given.coordinates_from == Site.CoordinatesFrom.SOURCE


def test_placebo_keeps_its_type_is_marked_and_is_no_drug(catalogue):
    placebo = Intervention.objects.get(trial=trial_of("NCT04842201"), name="Placebo")
    assert (placebo.type, placebo.is_placebo, placebo.drugs.count()) == ("DRUG", True, 0)
