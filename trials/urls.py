from django.urls import path
from django.views.decorators.http import require_safe

from portal.rate_limits import rate_limited
from trials import api, exports, views
from trials.feeds import SearchFeed

app_name = "trials"

# Rate limits per client address wrap the views here (portal.rate_limits), one counter per group;
# the API's are DRF throttling (settings.REST_FRAMEWORK).
urlpatterns = [
    path("", rate_limited(views.trial_list, "SEARCH_RATE_LIMIT", "search"), name="list"),
    path("export.<str:fmt>", rate_limited(exports.export_trials, "EXPORT_RATE_LIMIT", "export"), name="export"),
    # A Feed answers any method; the public side is read-only.
    path("feed/", rate_limited(require_safe(SearchFeed()), "SEARCH_RATE_LIMIT", "feed"), name="feed"),
    path(
        "places/",
        rate_limited(views.place_suggestions, "SEARCH_RATE_LIMIT", "places", json=True),
        name="places",
    ),
    path("trials/<str:identifier>/", views.trial_detail, name="detail"),
    path("api/trials/<str:identifier>/", api.trial_detail, name="api-detail"),
]
