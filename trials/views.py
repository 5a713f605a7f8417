"""Public HTML pages: the search page (results, facets, near me) and one trial's page."""

from functools import wraps

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from trials import choices, page_cache, selectors, trial_page
from trials.facets import search_url
from trials.filters import SORTS, url_value
from trials.near import place_index
from trials.search_links import SearchLinks
from trials.search_results import search
from trials.trial_json import trial_queryset

RADIUS_CHOICES = (10, 25, 50, 100, 250, 500, 1000)


def too_many_parameters_message() -> str:
    return f"Too many query parameters: at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} are read."


def query_checked(view=None, *, json: bool = False):
    """``view``, answering a query string Django refuses to read (more parameters than
    DATA_UPLOAD_MAX_NUMBER_FIELDS) with a 400 that says so, as a page or ``{"error": ...}``,
    instead of Django's bare "Bad Request"."""
    if view is None:
        return lambda view: query_checked(view, json=json)

    @wraps(view)
    def checked(request, *args, **kwargs):
        try:
            request.GET  # noqa: B018 (parsed once, here, so a refusal can be answered)
        except TooManyFieldsSent:
            if json:
                return JsonResponse({"error": too_many_parameters_message()}, status=400)
            return render(request, "trials/bad_request.html", {"message": too_many_parameters_message()}, status=400)
        return view(request, *args, **kwargs)

    return checked


@require_safe
@query_checked
def trial_list(request):
    text = selectors.clean_query_text(request.GET.get("q", ""))
    if text and len(request.GET) == 1:
        # A query that is exactly a registry id goes straight to that trial.
        trial_id = selectors.registry_trial_id(text)
        if trial_id is not None:
            return redirect("trials:detail", identifier=trial_id)
    key = page_cache.answer_key(request, "page")
    if (html := page_cache.kept(key)) is not None:
        return HttpResponse(html)
    results = search(
        request.GET,
        page_number=request.GET.get("page"),
        per_page=settings.TRIALS_PAGE_SIZE,
        url=SearchLinks(request.path),
    )
    filterset = results.filterset
    params = filterset.params()
    my_age = next((v for v in filterset.selected("age") if isinstance(v, float)), None)
    # The refine form edits these; every other parameter rides along hidden.
    edited = {"near", "radius_km", "sort", "sex", "healthy_volunteers", "page"}
    hidden = [
        (name, value)
        for name, values in params.items()
        if name not in edited
        for value in values
        if not (name == "age" and value == url_value(my_age))
    ]
    context = {
        "results": results,
        "page": results.page,
        "query": filterset.text,
        "params": params,
        "hidden_params": hidden,
        "sorts": [(key, label) for key, label in SORTS.items() if key != "distance" or filterset.origin],
        "sort": filterset.sort_order,
        # A radius from a shared link that the menu lacks is offered too, so Apply keeps it.
        "radius_choices": sorted({*RADIUS_CHOICES, filterset.radius}),
        "radius": filterset.radius,
        "my_age": url_value(my_age) if my_age is not None else "",
        # One click for what most patients want: every status under which one can still join.
        "open_only_url": search_url(request.path, {**params, "status": sorted(choices.OPEN_STATUSES)}),
        "open_only": set(params.get("status", [])) == set(choices.OPEN_STATUSES),
    }
    response = render(request, "trials/trial_list.html", context)
    page_cache.keep(key, response.content)
    return response


@require_safe
def trial_detail(request, identifier: str):
    trial = selectors.trial_by_identifier(trial_queryset(), identifier)
    context = trial_page.page_context(trial, today=timezone.localdate())
    return render(request, "trials/trial_detail.html", context)


@require_safe
@query_checked(json=True)
def place_suggestions(request):
    """Typeahead for "near me": places whose name starts with ``q``, largest first."""
    text = selectors.clean_query_text(request.GET.get("q", ""))[:100]
    places = place_index().suggest(text) if len(text) >= 2 else []
    return JsonResponse(
        {"places": [{"label": p.label, "latitude": p.latitude, "longitude": p.longitude} for p in places]}
    )
