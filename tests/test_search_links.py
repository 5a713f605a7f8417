"""A search page's links are the strings ``search_url`` builds."""

from django.http import QueryDict

from trials.facet_labels import FacetLabels
from trials.facets import search_url
from trials.filters import TrialFilterSet
from trials.search_links import SearchLinks

PARAMS = [
    {},
    {"page": ["3"]},
    {"q": ['lung "small cell" -pediatric'], "page": ["2"], "status": ["RECRUITING", "COMPLETED"]},
    {"status": [], "phase": ["PHASE2"], "near": ["São Paulo"], "radius_km": ["50"]},
    {"condition": ["D009369", "D008175"], "q": ["a&b=c?d#e"], "expand": ["drug"]},
    {"q": "abc", "drug": ["a", "b", "c"]},  # a bare string is one value, as urlencode takes it
]


def test_links_are_what_search_url_gives_in_any_order_and_again():
    links = SearchLinks("/")
    for params in [*PARAMS, *PARAMS[::-1]]:
        assert links(params) == search_url("/", params)
    assert links({"q": ["a"], "status": ["X"]}) != links({"status": ["X"], "q": ["a"]})  # order kept


def test_every_facet_value_link_of_a_search(db):
    filterset = TrialFilterSet(QueryDict("q=cancer&status=RECRUITING&condition=D009369&page=4&sort=start_date"))
    labels, links = FacetLabels(filterset), SearchLinks("/trials/")
    for name, value in [("status", "RECRUITING"), ("status", "COMPLETED"), ("condition", "D008175"), ("page", "1")]:
        params = labels.toggled(name, value)
        assert links(params) == search_url("/trials/", params)
