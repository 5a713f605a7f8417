from django.urls import path

from trials import api, exports, views
from trials.feeds import SearchFeed

app_name = "trials"

urlpatterns = [
    path("", views.trial_list, name="list"),
    path("export.<str:fmt>", exports.export_trials, name="export"),
    path("feed/", SearchFeed(), name="feed"),
    path("places/", views.place_suggestions, name="places"),
    path("trials/<str:identifier>/", views.trial_detail, name="detail"),
    path("api/trials/<str:identifier>/", api.trial_detail, name="api-detail"),
]
