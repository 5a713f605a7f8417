"""Public HTML pages: the trial list (search) and one trial's page."""

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from trials import selectors
from trials.trial_json import trial_queryset


@require_safe
def trial_list(request):
    text = selectors.clean_query_text(request.GET.get("q", ""))
    if text:
        # A query that is exactly a registry id goes straight to that trial.
        trial_id = selectors.registry_trial_id(text)
        if trial_id is not None:
            return redirect("trials:detail", identifier=trial_id)
    trials = selectors.trial_list(text)
    # get_page() turns a non-numeric page into the first and an out-of-range one into the last.
    page = Paginator(trials, settings.TRIALS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "trials/trial_list.html", {"page": page, "query": text})


@require_safe
def trial_detail(request, identifier: str):
    trial = selectors.trial_by_identifier(trial_queryset(), identifier)
    return render(request, "trials/trial_detail.html", {"trial": trial})
