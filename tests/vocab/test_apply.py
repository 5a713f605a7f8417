"""``manage.py apply_vocabulary`` brings a catalogue imported before the vocabulary up to date."""

import pytest
from django.core.management import call_command

from tests.conftest import FIXTURES, trial_of
from trials.models import Condition, Drug, Intervention, Site, Trial, TrialCondition
from trials.search_index import refresh_search_index
from trials.selectors import with_drug_class

pytestmark = pytest.mark.django_db


def test_apply_vocabulary_resolves_drugs_maps_conditions_places_sites(import_paths, capsys):
    import_paths(FIXTURES / "ctgov_page" / "NCT05289856_pipe_tables.txt", FIXTURES / "field_dump" / "ivonescimab.txt")
    # As an import before the vocabulary left them: no classes, unmapped wording, no coordinates.
    Drug.objects.filter(key="ivonescimab").update(via=Drug.Resolution.UNRESOLVED)
    Drug.objects.get(key="ivonescimab").classes.clear()
    wording = Condition.objects.create(name="Pleural Mesotheliomas", key="pleural mesotheliomas x")
    TrialCondition.objects.filter(source_term="Pleural Mesotheliomas").update(condition=wording)
    Site.objects.update(latitude=None, longitude=None, coordinates_from="")
    refresh_search_index(Trial.objects.values_list("pk", flat=True))
    assert not with_drug_class(Trial.objects.all(), "pd1_inhibitor").exists()

    call_command("apply_vocabulary")

    out = capsys.readouterr().out
    assert "sites placed 2" in out and "conditions mapped 1" in out
    assert with_drug_class(Trial.objects.all(), "pd1_inhibitor").count() == 1
    assert Drug.objects.get(key="ivonescimab").via == Drug.Resolution.CURATED
    assert not Condition.objects.filter(pk=wording.pk).exists()  # folded into the descriptor's row
    assert all(s.latitude for s in trial_of("NCT05289856").sites.all())


def test_apply_vocabulary_removes_drugs_whose_name_is_no_drug(import_paths, capsys):
    # An import under an older vocabulary kept "Blood samples for Chemistry" (typed DRUG) as a drug.
    import_paths(FIXTURES / "field_dump" / "ivonescimab.txt")
    intervention = Intervention.objects.get(drugs__key="ivonescimab")
    stale = Drug.objects.create(name="Blood samples for Chemistry", key="blood samples for chemistry")
    intervention.drugs.add(stale)

    call_command("apply_vocabulary")

    assert "drugs removed as no drug 1" in capsys.readouterr().out
    assert not Drug.objects.filter(pk=stale.pk).exists()
    assert intervention.drugs.filter(key="ivonescimab").exists()  # the real drug stays
