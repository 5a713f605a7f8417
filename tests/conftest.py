import os
from pathlib import Path

import pytest

from trials.ingest.pipeline import import_units, start_run
from trials.ingest.readers import read_paths

FIXTURES = Path(__file__).parent / "fixtures"
# Real public records shared by the team's machines and CI (next to the checkout, or named by
# SHARED_DATA); never on a user's machine, where the tests that need them are skipped.
SHARED_DATA = Path(os.environ.get("SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")


@pytest.fixture
def import_paths(db):
    """Import files through the whole pipeline, as ``import_trials`` does; returns the ImportRun."""

    def run(*paths, format=None):
        reports = []
        import_run = import_units(read_paths(paths), run=start_run("test"), format=format, on_record=reports.append)
        import_run.reports = reports
        return import_run

    return run


@pytest.fixture
def ctgov_fixture():
    """Path of a real CT.gov API v2 study saved under tests/fixtures/ctgov_api_v2/."""

    def path(name: str) -> Path:
        return FIXTURES / "ctgov_api_v2" / name

    return path


@pytest.fixture
def import_studies(import_paths, ctgov_fixture):
    """Import real CT.gov studies by NCT id from tests/fixtures/ctgov_api_v2/."""

    def run(*nct_ids):
        return import_paths(*(ctgov_fixture(f"{nct_id}.json") for nct_id in nct_ids))

    return run


def trial_of(nct_id: str):
    from trials.models import Trial

    return Trial.objects.get(registry_ids__value=nct_id)
