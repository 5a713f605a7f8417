"""The search page's most repeated markup, written in Python: a page lists about 150 facet values,
and the template engine spent some 80 µs on each (a dozen variables, filters and conditions), more
than all of the page's queries together. The markup is the same as the template's was.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

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
