"""Drug and class names kept per catalogue version: read once, read again when the version moves."""

import pytest
from django.urls import reverse

from trials import catalogue_names
from trials.catalogue_names import DrugClassName, ListedDrug
from trials.models import Drug, DrugClass
from trials.search_index import catalogue_changed


@pytest.fixture
def nivolumab(db):
    pd1 = DrugClass.objects.create(key="pd1_inhibitor", name="PD-1 inhibitor")
    antibody = DrugClass.objects.create(key="antibody", name="Monoclonal antibody")
    drug = Drug.objects.create(key="nivolumab", name="nivolumab")
    drug.classes.set([pd1, antibody])
    Drug.objects.create(key="placebo tablet", name="placebo tablet")
    return drug


def test_drugs_come_with_their_classes_by_name_and_are_read_once_per_version(nivolumab, django_assert_num_queries):
    # The version, then the drugs not read before (one query for all of them).
    with django_assert_num_queries(2):
        drugs = catalogue_names.catalogue_names().drugs(["nivolumab", "placebo tablet", "unknown"])
    assert drugs == {
        "nivolumab": ListedDrug(
            "nivolumab",
            "nivolumab",
            (DrugClassName("antibody", "Monoclonal antibody"), DrugClassName("pd1_inhibitor", "PD-1 inhibitor")),
        ),
        "placebo tablet": ListedDrug("placebo tablet", "placebo tablet", ()),
    }
    with django_assert_num_queries(1):  # the version only; "unknown" is known to name no drug
        assert catalogue_names.catalogue_names().drugs(["unknown", "nivolumab"]).keys() == {"nivolumab"}


def test_a_new_version_reads_the_names_again(nivolumab, django_assert_num_queries):
    tree = catalogue_names.catalogue_names().class_tree()
    assert tree["pd1_inhibitor"] == ("PD-1 inhibitor", None)
    DrugClass.objects.filter(key="pd1_inhibitor").update(name="PD-1 blocker")
    assert catalogue_names.catalogue_names().class_tree()["pd1_inhibitor"] == ("PD-1 inhibitor", None)
    catalogue_changed()
    assert catalogue_names.catalogue_names().class_tree()["pd1_inhibitor"] == ("PD-1 blocker", None)


def test_renaming_a_class_in_the_admin_moves_the_version_on(
    admin_client, nivolumab, django_capture_on_commit_callbacks
):
    pd1 = DrugClass.objects.get(key="pd1_inhibitor")
    before = catalogue_names.catalogue_names().version
    url = reverse("admin:trials_drugclass_change", args=[pd1.pk])
    data = {"name": "PD-1 blocker", "key": pd1.key, "parent": "", "mesh_id": "", "source": pd1.source}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert catalogue_names.catalogue_names().version == before + 1
