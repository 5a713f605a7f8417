from django.urls import path

from trials import api, views

app_name = "trials"

urlpatterns = [
    path("", views.trial_list, name="list"),
    path("trials/<str:identifier>/", views.trial_detail, name="detail"),
    path("api/trials/<str:identifier>/", api.trial_detail, name="api-detail"),
]
