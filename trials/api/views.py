"""The JSON API: search trials (the search page's filters, facets and counts) and one trial's JSON.

Both search through ``search_results.search``, as the pages do, so a query string gives the API the
same trials, count and facets as the page. The views only read and check paging, and shape the answer.
"""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from trials import page_cache
from trials.api.parameters import MAX_PAGE_SIZE, search_parameters
from trials.api.serializers import ErrorSerializer, TrialJsonSerializer, TrialSearchSerializer
from trials.facets import search_url
from trials.filters import Notice, TrialFilterSet
from trials.search_results import search
from trials.selectors import trial_by_identifier
from trials.trial_json import trial_json, trial_queryset
from trials.views import too_many_parameters_message

PAGING = ("page", "page_size")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,100}")  # longer is no page; int() of it would be slow


class BadParameter(Exception):
    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter, self.message = parameter, message


def error_as_json(exc, context):
    """DRF's own errors (a POST, a bad Accept header) in the API's one error shape, ``{"error": ...}``."""
    if isinstance(exc, TooManyFieldsSent):
        return Response({"error": too_many_parameters_message()}, status=400)
    response = exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"error": str(response.data["detail"])}
    return response


def _whole_number(params, name: str, default: int) -> int:
    raw = params.get(name, "").strip()
    if not raw:
        return default
    number = int(raw) if _WHOLE_NUMBER.fullmatch(raw) else 0
    if number < 1:
        raise BadParameter(name, f"{name} must be a whole number, 1 or more; got {raw[:40]!r}")
    return number


def _unknown_parameters(params) -> list[Notice]:
    known = {*TrialFilterSet.base_filters, *PAGING}
    return [Notice(name[:100], "not a search parameter; left out") for name in params if name not in known]


class TrialSearch(APIView):
    @extend_schema(
        operation_id="trials_search",
        summary="Search trials",
        description="The search page's search as JSON: every filter of the page, the same count and facets. "
        "Values of one parameter combine with OR, parameters with AND. A value the catalogue does not know is "
        "left out of the search and reported in `notices`; the rest of the search applies.",
        parameters=search_parameters(),
        responses={
            200: TrialSearchSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="`page` or `page_size` is not a whole number >= 1, or the query has more parameters "
                "than the server reads",
            ),
            404: OpenApiResponse(ErrorSerializer, description="`page` is past the last page"),
        },
    )
    def get(self, request):
        params = request.query_params
        try:
            page_number = _whole_number(params, "page", 1)
            page_size = _whole_number(params, "page_size", min(settings.TRIALS_PAGE_SIZE, MAX_PAGE_SIZE))
        except BadParameter as bad:
            return Response({"error": bad.message, "parameter": bad.parameter}, status=400)
        notices = _unknown_parameters(params)
        if page_size > MAX_PAGE_SIZE:
            notices.append(Notice("page_size", f"at most {MAX_PAGE_SIZE} trials a page; {MAX_PAGE_SIZE} are listed"))
            page_size = MAX_PAGE_SIZE
        key = page_cache.answer_key(request, "api") if request.accepted_renderer.format == "json" else None
        if (data := page_cache.kept(key)) is not None:
            return Response(data)
        results = search(params, page_number=page_number, per_page=page_size)
        page = results.page
        if page.number != page_number:  # the paginator fell back to the last page
            last = page.paginator.num_pages
            return Response({"error": f"page {page_number} is past the last page, {last}", "parameter": "page"}, 404)
        # Links carry the search as it applied: values left out are not repeated on every page.
        links = results.filterset.params()
        if "page_size" in params:
            links["page_size"] = [str(page_size)]
        answer = {
            "count": results.total,
            "next": self._page_url(request, links, page.next_page_number()) if page.has_next() else None,
            "previous": self._page_url(request, links, page.previous_page_number()) if page.has_previous() else None,
            "results": page.object_list,
            "facets": {facet.name: facet.values for facet in results.facets},
            "notices": [*results.notices, *notices],
            "suggestion": results.suggestion or None,
        }
        data = TrialSearchSerializer(answer, context={"request": request}).data
        page_cache.keep(key, json.loads(JSONRenderer().render(data)))  # plain data, as the client reads it
        return Response(data)

    @staticmethod
    def _page_url(request, params: dict[str, list[str]], number: int) -> str:
        url = search_url(request.path, params)
        return request.build_absolute_uri(f"{url}{'&' if '?' in url else '?'}page={number}")


class TrialDetail(APIView):
    @extend_schema(
        operation_id="trials_detail",
        summary="One trial",
        description="The trial's canonical JSON (the same as the JSON export), by internal id or any global "
        "registry id (`NCT05289856`, EudraCT `2021-000986-34`, CTIS, ISRCTN).",
        parameters=[
            OpenApiParameter("identifier", str, OpenApiParameter.PATH, description="Internal id or registry id")
        ],
        responses={
            200: OpenApiResponse(TrialJsonSerializer, description="The trial JSON, as in the JSON export"),
            404: OpenApiResponse(ErrorSerializer, description="No such trial"),
        },
    )
    def get(self, request, identifier: str):
        try:
            trial = trial_by_identifier(trial_queryset(), identifier)
        except Http404 as exc:
            return Response({"error": str(exc)}, status=404)
        return Response(trial_json(trial))
