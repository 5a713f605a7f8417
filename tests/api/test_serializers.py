"""The search API's hand-written serialization gives what DRF's generic walk over the declared
fields gives (the fields also describe the schema), on real CT.gov records."""

import pytest
from django.http import QueryDict
from django.test import RequestFactory
from rest_framework import serializers

from trials.api.serializers import FacetsField, FacetValueSerializer, TrialSummarySerializer
from trials.search_results import search

STUDIES = ["NCT06482905", "NCT05417321", "NCT04728893", "NCT05034276", "NCT02782533", "NCT00444327"]


@pytest.mark.parametrize("query", ["", "q=cancer", "near=Madrid&radius_km=20000&sort=distance", "q=zzzqqq"])
def test_trial_summaries_and_facets_are_what_the_declared_fields_give(import_studies, query):
    import_studies(*STUDIES)
    results = search(QueryDict(query))
    summary = TrialSummarySerializer(context={"request": RequestFactory().get("/api/trials/")})
    for trial in results.page.object_list:
        assert summary.to_representation(trial) == serializers.Serializer.to_representation(summary, trial)
    facets = {facet.name: facet.values for facet in results.facets}
    generic = serializers.DictField(child=FacetValueSerializer(many=True))
    assert FacetsField(child=FacetValueSerializer(many=True)).to_representation(facets) == generic.to_representation(
        facets
    )
    assert query == "q=zzzqqq" or results.page.object_list
