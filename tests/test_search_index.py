"""Each trial's search document (trials.search_index): its facet columns follow every change at once."""

import pytest

from tests.conftest import FIXTURES, trial_of
from tests.test_admin import save_in_admin
from trials.models import Condition, Drug, DrugClass, Organization, Site, Trial
from trials.search_index import deferred_refresh, refresh_search_index

pytestmark = pytest.mark.django_db


def test_facet_columns_after_an_import(import_studies):
    import_studies("NCT05417321")  # HB0036, a PD-L1 x TIGIT bispecific; China and the US
    trial = trial_of("NCT05417321")
    assert trial.facet_drugs == ["hb0036"]
    assert trial.facet_drug_classes == [
        "bispecific_antibody", "immune_checkpoint_inhibitor", "immunotherapy", "pdl1_inhibitor",
        "targeted_therapy", "tigit_inhibitor",
    ]  # fmt: skip
    assert trial.facet_intervention_types == ["DRUG"]
    assert trial.facet_countries == ["CN", "US"]
    assert trial.facet_sponsor_class == "INDUSTRY"
    # MeSH condition descriptors with every heading above them, each once in MeSH's own id form
    # (CT.gov pads old ids: D000009369 is D009369, Neoplasms).
    assert "D009369" in trial.facet_conditions and "D000009369" not in trial.facet_conditions
    assert trial.facet_conditions == sorted(set(trial.facet_conditions))


def test_refreshing_is_idempotent_and_takes_any_number_of_trials(search_catalogue):
    before = {t.pk: (t.facet_conditions, t.facet_drug_classes) for t in Trial.objects.all()}
    assert refresh_search_index(list(before) * 3) == 0  # no document changed, so none is written
    after = {t.pk: (t.facet_conditions, t.facet_drug_classes) for t in Trial.objects.all()}
    assert after == before
    refresh_search_index([])


def test_a_curators_drug_classes_reach_the_facets_at_once(admin_client, import_paths):
    import_paths(FIXTURES / "vocab_studies" / "NCT04842201.json")  # CM326, unclassified
    assert trial_of("NCT04842201").facet_drug_classes == []
    save_in_admin(admin_client, Drug.objects.get(key="cm326"), classes=[str(DrugClass.objects.get_or_create(
        key="immunotherapy", defaults={"name": "immunotherapy"})[0].pk)])  # fmt: skip
    assert trial_of("NCT04842201").facet_drug_classes == ["immunotherapy"]


def test_a_curators_condition_mapping_reaches_the_facets_at_once(admin_client, import_paths, tmp_path):
    odd = tmp_path / "odd.txt"
    dump = FIXTURES / "field_dump" / "ivonescimab.txt"
    odd.write_text(dump.read_text().replace("Pleural Mesotheliomas", "Zorblax pleural disease"))
    import_paths(odd)
    save_in_admin(admin_client, Condition.objects.get(mesh_id=""), mesh_id="D010997")  # Pleural Neoplasms
    trial = Condition.objects.get(mesh_id="D010997").trial_conditions.get().trial
    assert {"D010997", "D009369"} <= set(trial.facet_conditions)  # and Neoplasms above it


def test_a_site_edited_on_its_own_page_reaches_the_country_facet(admin_client, import_studies):
    import_studies("NCT02782533")  # one site, in Grenoble
    site = Site.objects.get()
    save_in_admin(admin_client, site, country="Belgium", country_code="BE", city="Liège")
    assert trial_of("NCT02782533").facet_countries == ["BE"]


def test_a_sponsors_new_class_reaches_its_trials(admin_client, import_studies):
    import_studies("NCT02782533")
    sponsor = Organization.objects.get(sponsored_trials=trial_of("NCT02782533"))
    save_in_admin(admin_client, sponsor, agency_class="NIH")
    assert trial_of("NCT02782533").facet_sponsor_class == "NIH"


def test_a_deferred_refresh_rebuilds_the_trials_noted_when_it_ends(import_studies):
    import_studies("NCT02782533")
    trials = Trial.objects.filter(registry_ids__value="NCT02782533")
    trials.update(search_vector=None, facet_countries=[])
    with deferred_refresh():
        assert refresh_search_index(trials.values_list("pk", flat=True)) == 0
        assert trials.get().search_vector is None
    trial = trials.get()
    assert trial.search_vector is not None and trial.facet_countries == ["FR"]
