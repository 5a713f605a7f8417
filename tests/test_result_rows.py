"""A page's trials read by id in one statement (``trials.result_rows``) are the ORM's own: the same
columns, sponsor, registry ids and conditions as ``search_results.result_trials`` reads them."""

import pytest

from trials.models import Trial, TrialCondition
from trials.result_rows import result_trials_by_id
from trials.search_results import result_trials

pytestmark = pytest.mark.django_db


@pytest.fixture
def search_catalogue(search_catalogue_once, db):
    return search_catalogue_once


def _fields(obj) -> dict:
    return {name: value for name, value in vars(obj).items() if not name.startswith("_")}


def _as_read(trial: Trial) -> dict:
    """Everything a result reads of ``trial``, related rows included."""
    sponsor = trial.lead_sponsor
    return {
        **_fields(trial),
        "sponsor": _fields(sponsor) if sponsor else None,
        "registry_ids": [_fields(r) for r in trial.registry_ids.all()],
        "conditions": [_fields(c) for c in trial.trial_conditions.all()],
    }


def test_the_same_trials_as_the_orm_reads_them_in_one_query(search_catalogue, django_assert_num_queries):
    ids = list(Trial.objects.values_list("id", flat=True))
    by_orm = {trial.pk: _as_read(trial) for trial in result_trials().filter(pk__in=ids)}
    with django_assert_num_queries(1):  # children and sponsors included: nothing read later
        found = {trial.pk: _as_read(trial) for trial in result_trials_by_id(ids, "default")}
    assert found == by_orm
    assert len(found) == len(ids) >= 11
    # The catalogue has what the comparison needs to mean something.
    assert any(len(trial["registry_ids"]) > 1 for trial in found.values())
    assert any(len(trial["conditions"]) > 1 for trial in found.values())
    assert all(trial["sponsor"] for trial in found.values())
    # In their own order: conditions as the record lists them, registry ids as they were added.
    for pk, trial in found.items():
        conditions = TrialCondition.objects.filter(trial=pk).order_by("position")
        assert [c["source_term"] for c in trial["conditions"]] == [c.source_term for c in conditions]
        assert [r["id"] for r in trial["registry_ids"]] == sorted(r["id"] for r in trial["registry_ids"])


def test_a_trial_without_sponsor_conditions_or_ids(search_catalogue):
    bare = Trial.objects.create(brief_title="A bare trial")
    [found] = result_trials_by_id([bare.pk], "default")
    [by_orm] = result_trials().filter(pk=bare.pk)
    assert _as_read(found) == _as_read(by_orm)
    assert (found.lead_sponsor, list(found.registry_ids.all()), list(found.trial_conditions.all())) == (None, [], [])


def test_ids_of_no_trial_are_left_out(search_catalogue, django_assert_num_queries):
    known = Trial.objects.values_list("id", flat=True).first()
    assert [t.pk for t in result_trials_by_id([known, -1, 10**12], "default")] == [known]
    with django_assert_num_queries(0):
        assert result_trials_by_id([], "default") == []
