"""JSON API. For now: one trial by internal or registry id; the full search API builds on this."""

from django.http import Http404, JsonResponse
from django.views.decorators.http import require_safe

from trials.selectors import trial_by_identifier
from trials.trial_json import trial_json, trial_queryset


@require_safe
def trial_detail(request, identifier: str):
    try:
        trial = trial_by_identifier(trial_queryset(), identifier)
    except Http404 as exc:
        return JsonResponse({"error": str(exc)}, status=404)
    return JsonResponse(trial_json(trial), json_dumps_params={"ensure_ascii": False})
