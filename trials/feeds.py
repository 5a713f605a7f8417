"""An Atom feed for any search: "new and updated trials matching this", newest update first.

Source text is data: titles go out as plain text and summaries escaped, so a feed reader that
renders the summary as HTML shows a ``<script>`` in a sponsor's text as text. Characters XML 1.0
cannot hold (control characters in a query or a source's text) are left out rather than failing
the whole feed.
"""

from __future__ import annotations

import re

from django.contrib.syndication.views import Feed
from django.db.models import F
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from trials.facets import search_url
from trials.filters import TrialFilterSet
from trials.models import Trial
from trials.views import query_checked

ITEMS = 50
# What XML 1.0 cannot hold: C0 controls but tab and line breaks, and the non-characters U+FFFE, U+FFFF.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ITEM_FIELDS = ("brief_title", "official_title", "brief_summary", "created_at", "updated_at", "last_update_date")


class SearchFeed(Feed):
    feed_type = Atom1Feed

    def __call__(self, request, *args, **kwargs):
        return query_checked(super().__call__)(request, *args, **kwargs)

    def get_object(self, request, *args, **kwargs):
        return TrialFilterSet(request.GET)

    def title(self, filterset: TrialFilterSet) -> str:
        return f"Trials matching “{xml_text(filterset.text)}”" if filterset.text else "Clinical trials: new and updated"

    def link(self, filterset: TrialFilterSet) -> str:
        return search_url(reverse("trials:list"), filterset.params())

    def subtitle(self, filterset: TrialFilterSet) -> str:
        return "New and updated trials matching this search, most recently updated first."

    def items(self, filterset: TrialFilterSet):
        trials = filterset.filter_queryset(Trial.objects.only(*_ITEM_FIELDS))
        return trials.order_by(F("last_update_date").desc(nulls_last=True), "-id")[:ITEMS]

    def item_title(self, trial: Trial) -> str:
        return xml_text(str(trial))

    def item_description(self, trial: Trial) -> str:
        return escape(xml_text(trial.brief_summary[:1000]))

    def item_link(self, trial: Trial) -> str:
        return reverse("trials:detail", args=[trial.pk])

    def item_updateddate(self, trial: Trial):
        return trial.updated_at

    def item_pubdate(self, trial: Trial):
        return trial.created_at


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (Django's feed writer refuses them)."""
    return _NOT_XML.sub("", text)
