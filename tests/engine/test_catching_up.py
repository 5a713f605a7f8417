"""A snapshot behind the catalogue catches up by reading only the trials that changed
(trials.engine.catching_up): counts and pages are still exactly SQL's."""

import pytest

from tests.conftest import FIXTURES
from trials.engine import _holder, engine
from trials.engine.catching_up import CatchingUp, changed_since
from trials.facet_labels import FacetLabels
from trials.facets import DIMENSIONS, _counts
from trials.filters import TrialFilterSet
from trials.models import CatalogueChange, Trial
from trials.search_index import CHANGES_KEPT, catalogue_changed, catalogue_version, refresh_search_index
from trials.search_results import ordered
from trials.selectors import trial_list

pytestmark = pytest.mark.django_db
EVERY_VALUE = {"expand": [d.name for d in DIMENSIONS]}
SEARCHES = [
    {},
    {"status": ["COMPLETED"]},
    {"phase": ["PHASE1", "PHASE2"], "sort": "start_date"},
    {"q": "cancer"},
    {"q": "zebrafish OR lymphoma"},
    {"q": '"small cell" -pediatric', "sort": "enrollment"},
    {"condition": ["D009369"], "sort": "last_update"},
    {"near": "Boston", "radius_km": "3000", "sort": "distance"},
    {"country": ["US"], "page": "2"},
]


@pytest.fixture
def search_catalogue(search_catalogue_once, db):
    return search_catalogue_once


@pytest.fixture
def changed_catalogue(search_catalogue, settings, import_paths, django_capture_on_commit_callbacks):
    """The in-memory snapshot read, then four kinds of change, each moving the version on."""
    settings.SEARCH_ENGINE = "memory"
    assert engine(TrialFilterSet({}), catalogue_version()) is not None  # the snapshot is read here
    older = _holder.snapshot
    first, second, third = Trial.objects.order_by("id").values_list("id", flat=True)[:3]
    with django_capture_on_commit_callbacks(execute=True):
        Trial.objects.filter(pk=first).update(overall_status="COMPLETED")  # a filter column
        Trial.objects.filter(pk=second).update(brief_title="Zebrafish lymphoma model")  # the words
        refresh_search_index([first, second])
        Trial.objects.filter(pk=third).delete()
        catalogue_changed([third])
        import_paths(FIXTURES / "ctgov_legacy_xml" / "NCT00000246.xml")  # a new trial
    return older


def _sorted(counts):
    total, rows = counts
    return total, {name: sorted(found) for name, found in rows.items()}


@pytest.mark.parametrize("data", SEARCHES)
def test_a_caught_up_snapshot_counts_and_pages_as_sql(changed_catalogue, data):
    filterset = TrialFilterSet({**EVERY_VALUE, **data})
    search = engine(filterset, catalogue_version())
    assert isinstance(search, CatchingUp) and _holder.snapshot is changed_catalogue  # not read again
    labels = FacetLabels(filterset)
    assert _sorted(_counts(filterset, labels, search)) == _sorted(_counts(filterset, labels, None))
    expected = list(ordered(filterset, filterset.filter_queryset(trial_list())).values_list("pk", flat=True))
    assert search.page(filterset.sort_order, 0, 100) == expected
    assert search.page(filterset.sort_order, 1, 2) == expected[1:3]
    # Every window, to the last page and past it: the older part's rows before the page are skipped.
    for offset in range(len(expected) + 1):
        assert search.page(filterset.sort_order, offset, 4) == expected[offset : offset + 4], offset


def test_the_changes_are_read_once_a_version(changed_catalogue):
    version = catalogue_version()
    engine(TrialFilterSet({}), version)
    caught_up = _holder.caught_up
    engine(TrialFilterSet({"q": "cancer"}), version)
    assert _holder.caught_up is caught_up and caught_up.recent.size == 3  # two updated, one new
    assert len(caught_up.changed) == 4  # and the deleted one


def test_a_change_to_no_known_trials_reads_the_whole_snapshot_again(
    changed_catalogue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        catalogue_changed()  # a vocabulary edit: every trial may have changed
    search = engine(TrialFilterSet({}), catalogue_version())
    assert not isinstance(search, CatchingUp) and _holder.snapshot is not changed_catalogue


def test_changes_no_longer_noted_are_not_known(search_catalogue, django_capture_on_commit_callbacks):
    version = catalogue_version()
    with django_capture_on_commit_callbacks(execute=True):
        catalogue_changed([1])
        catalogue_changed([2, 3])
    assert changed_since("default", version, version + 2) == [1, 2, 3]
    CatalogueChange.objects.filter(version=version + 1).delete()  # as pruning does
    assert changed_since("default", version, version + 2) is None
    assert CHANGES_KEPT >= 1000
