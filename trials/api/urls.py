"""The API's own routes under /api/ (namespace ``api``): the search, its OpenAPI schema and docs.
One trial's JSON stays at ``trials:api-detail`` (/api/trials/<id>/)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from trials.api import trial_search

app_name = "api"

urlpatterns = [
    path("trials/", trial_search, name="trial-list"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (?script), not inline, for the CSP.
    # GET only: its HTML renderer has no template for DRF's OPTIONS answer (it was a 500).
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html", http_method_names=["get", "head"]
        ),
        name="docs",
    ),
]
