"""The search page's most repeated markup, written in Python: a page lists about 150 facet values
and 20 results, and the template engine spent some 80 µs on each value and 600 µs on each result
(variables, filters, conditions, an include), more than all of the page's queries together. The
markup is the same as the templates' was.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from trials.templatetags.trial_format import phase_label, status_tone, trial_date

register = template.Library()

_GROUP = '\n      <li class="facet__group" aria-hidden="true">{group}</li>'
_VALUE = """
      <li class="depth-{depth}">
        <a href="{url}" class="facet__value{selected_class}"{current}>
          <span class="facet__box" aria-hidden="true"></span>
          <span class="facet__label">{label}{group_note}</span>
          <span class="facet__count">{count}<span class="visually-hidden"> trial{plural}{selected_note}</span></span>
        </a>
      </li>
    """


@register.simple_tag
def facet_values(values: Iterable) -> SafeString:
    """The ``<li>`` of each value of a facet (``FacetValue``), a heading before each new group."""
    parts = []
    previous = None
    for value in values:
        group = value.group
        parts.append("\n      " if group == previous or not group else _GROUP.format(group=escape(group)))
        previous = group
        selected = value.selected
        parts.append(
            _VALUE.format(
                depth=value.depth or 0,
                url=escape(value.toggle_url),
                selected_class=" is-selected" if selected else "",
                current=' aria-current="true"' if selected else "",
                label=escape(value.label),
                group_note=f'<span class="visually-hidden"> ({escape(group.lower())})</span>' if group else "",
                count=value.count,
                plural="" if value.count == 1 else "s",
                selected_note=", selected" if selected else "",
            )
        )
    return mark_safe("".join(parts))  # every value from the data is escaped above


_CARD = """
<li class="result">
  <article aria-labelledby="trial-{pk}">
    <h2 class="result__title" id="trial-{pk}">
      <a href="{url}">{title}</a>
    </h2>
    <p class="badges">
      {registry_id}
      {status}
      {phase}
    </p>
    {summary}
    <dl class="result__facts">
      {conditions}
      {drugs}
      {sponsor}
      {nearest_site}
      {last_update}
    </dl>
  </article>
</li>
"""
_ID = "__trial__"  # stands for a trial's id in its page's URL, reversed once per list


@register.simple_tag
def result_cards(trials: Iterable) -> SafeString:
    """The ``<li>`` of each trial of the results, with what ``search_results.decorate`` attached."""
    url = reverse("trials:detail", args=[_ID])
    cards = (_CARD.format(**_card(trial, url.replace(_ID, str(trial.pk)))) for trial in trials)
    return mark_safe("".join(f"\n            {card}\n          " for card in cards))  # escaped in _card


def _card(trial, url: str) -> dict[str, str]:
    rid, phase, site, status = trial.primary_registry_id(), phase_label(trial.phases), trial.nearest_site, ""
    if trial.overall_status:
        tone = status_tone(trial.overall_status)
        status = _badge(f"badge badge--{tone}", "Status", trial.get_overall_status_display())
    conditions = "; ".join(escape(condition.source_term) for condition in trial.trial_conditions.all())
    drugs = "; ".join(map(_drug, trial.listed_drugs))
    return {
        "pk": trial.pk,
        "url": escape(url),
        "title": trial.title_html or escape(str(trial)),
        "registry_id": _badge("registry-id", "Registry id", rid.value) if rid else "",
        "status": status,
        "phase": _badge("badge badge--phase", "Phase", phase) if phase else "",
        "summary": f'<p class="result__summary">{trial.summary_html}</p>' if trial.summary_html else "",
        "conditions": _fact("Conditions", conditions, block=True) if conditions else "",
        "drugs": _fact("Drugs", drugs, block=True) if drugs else "",
        "sponsor": _fact("Sponsor", escape(trial.lead_sponsor.name)) if trial.lead_sponsor else "",
        "nearest_site": _fact("Nearest site", _site(site), block=True) if site else "",
        "last_update": _fact("Last update", trial_date(trial, "last_update")) if trial.last_update_date else "",
    }


def _badge(css_class: str, name: str, text: str) -> str:
    return f'<span class="{css_class}"><span class="visually-hidden">{name}: </span>{escape(text)}</span>'


def _fact(term: str, html: str, block: bool = False) -> str:
    fact = f"<div><dt>{term}</dt><dd>{html}</dd></div>"
    return f"\n        {fact}\n      " if block else fact


def _drug(drug) -> str:
    classes = ", ".join(escape(drug_class.name) for drug_class in drug.classes)
    classes = f' <span class="muted">({classes})</span>' if classes else ""
    return f'<span class="drug">{escape(drug.name)}{classes}</span>'


def _site(site) -> str:
    status = ""
    if site.status:
        tone, label = status_tone(site.status), escape(site.get_status_display())
        status = f' · <span class="site-status site-status--{tone}">{label}</span>'
    return f'{escape(str(site))} <span class="distance">{floatformat(site.distance, 0)} km</span>{status}'
