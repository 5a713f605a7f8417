"""The JSON API (Django REST framework): ``views`` answer, ``serializers`` shape the answers,
``parameters`` describe the search's query parameters to OpenAPI, ``urls`` route them."""

from trials.api.views import TrialDetail, TrialSearch

# trials/urls.py serves one trial at ``trials:api-detail``.
trial_detail = TrialDetail.as_view()
trial_search = TrialSearch.as_view()
