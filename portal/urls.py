from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    # The search API, its schema and docs; one trial's JSON (api/trials/<id>/) is in trials.urls.
    path("api/", include("trials.api.urls")),
    path("", include("trials.urls")),
]
