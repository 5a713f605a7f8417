"""Curators' queues and edits of the vocabularies apply to the catalogue at once, no re-import."""

import pytest
from django.urls import reverse

from tests.conftest import FIXTURES, trial_of
from tests.test_admin import save_in_admin
from trials.models import Condition, Drug, Trial
from trials.selectors import trial_list, with_drug_class

pytestmark = pytest.mark.django_db
PLACEBO_STUDY = FIXTURES / "vocab_studies" / "NCT04842201.json"  # CM326 vs placebo, asthma
DUMP = FIXTURES / "field_dump" / "ivonescimab.txt"


def test_unclassified_drugs_queue_lists_them_by_trials_touched(admin_client, import_paths):
    import_paths(PLACEBO_STUDY, DUMP)
    url = reverse("admin:trials_drug_changelist") + "?classified=queue"
    html = admin_client.get(url).content.decode()
    assert "CM326" in html and "ivonescimab" not in html


def test_setting_a_drugs_classes_applies_to_its_trials_at_once(admin_client, import_paths):
    import_paths(PLACEBO_STUDY)
    trial = trial_of("NCT04842201")
    drug = Drug.objects.get(key="cm326")
    assert not with_drug_class(Trial.objects.all(), "immunotherapy").exists()
    immunotherapy = _class_row("immunotherapy")
    save_in_admin(admin_client, drug, classes=[str(immunotherapy.pk)])
    drug.refresh_from_db()
    assert (drug.via, drug.needs_review) == (Drug.Resolution.CURATOR, False)
    assert list(with_drug_class(Trial.objects.all(), "immunotherapy")) == [trial]
    assert trial in trial_list("immunotherapy")
    # A re-import keeps the curator's classes.
    import_paths(PLACEBO_STUDY)
    assert list(Drug.objects.get(key="cm326").classes.values_list("key", flat=True)) == ["immunotherapy"]


def test_a_synonym_folds_the_drug_it_names_into_the_curated_drug(admin_client, import_paths, tmp_path):
    import_paths(PLACEBO_STUDY, DUMP)
    ivonescimab = Drug.objects.get(key="ivonescimab")
    save_in_admin(admin_client, ivonescimab, synonyms="\r\n".join([*ivonescimab.synonyms, "CM326"]))
    assert not Drug.objects.filter(key="cm326").exists()
    placebo_trial = trial_of("NCT04842201")
    assert placebo_trial in with_drug_class(Trial.objects.all(), "pd1_inhibitor")
    assert placebo_trial in trial_list("ivonescimab")
    # A record naming the synonym later finds the curated drug.
    renamed = tmp_path / "renamed.txt"
    renamed.write_text(DUMP.read_text().replace("DRUG: Ivonescimab", "DRUG: CM326").replace("Evaluating", "Testing"))
    import_paths(renamed)
    assert Drug.objects.filter(key="cm326").count() == 0
    assert Trial.objects.filter(interventions__drugs=ivonescimab).distinct().count() == 3


def test_mapping_a_condition_applies_to_its_trials_and_to_later_imports(admin_client, import_paths, tmp_path):
    odd = tmp_path / "odd.txt"
    odd.write_text(DUMP.read_text().replace("Pleural Mesotheliomas", "Zorblax pleural disease"))
    import_paths(odd)
    trial = Trial.objects.get()
    unmapped = Condition.objects.get(mesh_id="")
    queue = admin_client.get(reverse("admin:trials_condition_changelist") + "?mapped=no").content.decode()
    assert "Zorblax pleural disease" in queue
    save_in_admin(admin_client, unmapped, mesh_id="D010997")  # Pleural Neoplasms
    condition = trial.trial_conditions.get().condition
    assert (condition.mesh_id, condition.mapped_by_curator) == ("D010997", True)
    assert trial in trial_list("pleural neoplasms")
    # The same wording in another record lands on the curator's mapping.
    other = tmp_path / "other.txt"
    other.write_text(odd.read_text().replace("Evaluating", "Assessing"))
    import_paths(other)
    assert Condition.objects.filter(name__icontains="zorblax").count() == 1
    assert set(Trial.objects.filter(trial_conditions__condition__mesh_id="D010997")) == set(Trial.objects.all())


def _class_row(key):
    from trials.vocab.rows import class_rows

    (row,) = class_rows([key])
    return row
