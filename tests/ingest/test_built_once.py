"""Statements built once give what the ORM gives: the same rows, the same columns written."""

import pytest
from django.db import DEFAULT_DB_ALIAS

from tests.ingest.test_loader import NEMTABRUTINIB, _load
from trials.ingest.built_once import BuiltSelect, insert_row, update_columns
from trials.models import Organization, SourceRecord, Trial


def _columns(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


@pytest.mark.django_db
def test_a_built_select_reads_the_rows_the_orm_reads(ctgov_fixture):
    _load(ctgov_fixture(NEMTABRUTINIB))
    trial = Trial.objects.get()
    built = BuiltSelect.of(Trial.objects.defer("search_vector").filter(pk=0), (0,), DEFAULT_DB_ALIAS)

    (read,) = built.rows([trial.pk], DEFAULT_DB_ALIAS)
    assert built.rows([trial.pk + 1], DEFAULT_DB_ALIAS) == []
    expected = Trial.objects.defer("search_vector").get(pk=trial.pk)
    assert _columns(read) == _columns(expected)
    # Converted as the ORM converts: dates are dates, JSON columns are Python values.
    assert read.start_date == trial.start_date and isinstance(read.field_sources, dict)
    assert read._state.adding is False and read._state.db == DEFAULT_DB_ALIAS


@pytest.mark.django_db
def test_update_columns_writes_the_named_columns_only_and_stamps_auto_now(ctgov_fixture):
    _load(ctgov_fixture(NEMTABRUTINIB))
    trial = Trial.objects.get()
    before = Trial.objects.get(pk=trial.pk)
    trial.brief_title, trial.acronym = "A new title", "CHANGED-NOT-SAVED"

    update_columns(trial, ["brief_title", "updated_at"], DEFAULT_DB_ALIAS)

    after = Trial.objects.get(pk=trial.pk)
    assert after.brief_title == "A new title"
    assert after.acronym == before.acronym
    assert after.updated_at > before.updated_at


@pytest.mark.django_db
def test_insert_row_saves_every_column_and_sets_the_primary_key(ctgov_fixture):
    _load(ctgov_fixture(NEMTABRUTINIB))
    source = SourceRecord.objects.get()
    source.pk, source.origin, source.sha256 = None, "copy.json", "0" * 64
    source._state.adding = True
    organization = Organization(name="Built Once Ltd", agency_class="INDUSTRY")

    insert_row(source, DEFAULT_DB_ALIAS)
    insert_row(organization, DEFAULT_DB_ALIAS)

    assert source.pk is not None and organization.pk is not None
    copy = SourceRecord.objects.get(pk=source.pk)
    original = SourceRecord.objects.exclude(pk=source.pk).get()
    assert (copy.origin, copy.sha256, copy.trial_id) == ("copy.json", "0" * 64, original.trial_id)
    assert bytes(copy.raw) == bytes(original.raw)
    assert copy.imported_at is not None  # auto_now_add, set on the way in
    assert Organization.objects.get(pk=organization.pk).name == "Built Once Ltd"
