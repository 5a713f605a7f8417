"""What a facet shows beside its counts: labels, the order of tree facets, and each value's link.

Labels come from the choices (enums), the names of drugs and drug classes read once per catalogue
version (``trials.catalogue_names``: one query for the version, more the first time), the shipped
MeSH condition vocabulary and ISO 3166 (no query).
"""

from __future__ import annotations

from dataclasses import dataclass

from trials import choices
from trials.catalogue_names import CatalogueNames, catalogue_names
from trials.filters import url_value
from trials.near import country_name
from trials.vocab.conditions import condition_vocabulary

ENUM_LABELS = {
    "status": choices.OverallStatus,
    "phase": choices.Phase,
    "intervention_type": choices.InterventionType,
    "study_type": choices.StudyType,
    "sponsor_class": choices.AgencyClass,
    "age": choices.StdAge,
    "sex": choices.Sex,
}
BOOLEAN_LABELS = {
    "healthy_volunteers": {"true": "Accepts healthy volunteers", "false": "Patients only"},
    "has_results": {"true": "Results posted", "false": "No results posted"},
}
_ENUM_LABEL_TEXT = {name: dict(enum.choices) for name, enum in ENUM_LABELS.items()}
SEX_LABELS = {"FEMALE": "Accepts women", "MALE": "Accepts men"}
CHILDREN_SHOWN = 15  # under an expanded tree value, its largest children


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    depth: int = 0  # in a tree: how far below its top level
    toggle_url: str = ""
    group: str = ""  # a heading the value is listed under (statuses: open or closed)


class FacetLabels:
    def __init__(self, filterset, version: int | None = None):
        """``version``: the catalogue's, when the caller has read it (the names are of it)."""
        self.filterset = filterset
        self._version = version
        self._params = filterset.params()  # the search as URL parameters, read by every value's link
        self._classes: dict[str, tuple[str, str | None]] | None = None  # key -> (name, parent key)
        self._catalogue_names: CatalogueNames | None = None

    # Trees -------------------------------------------------------------------------------------

    def candidates(self, name: str) -> list[str]:
        """The values a tree facet may list: its top level, and for each selected value the path
        down to it and the values one level under it."""
        found = set(self._roots(name))
        for value in map(str, self.filterset.selected(name)):
            found.update([*self._ancestors(name, value), value, *self._children(name, value)])
        return sorted(found)

    def tree(self, name: str, rows: list[tuple[str, int, bool]]) -> list:
        counts = {value: count for value, count, _ in rows}
        selected = [str(value) for value in self.filterset.selected(name)]
        expanded = set(selected)
        for value in selected:
            expanded.update(self._ancestors(name, value))
        listed: list[FacetValue] = []
        seen: set[str] = set()

        def emit(node: str, depth: int) -> None:
            if node in seen:
                return
            seen.add(node)
            listed.append(FacetValue(node, self._label(name, node), counts.get(node, 0), node in selected, depth=depth))
            if node in selected:
                kids = [kid for kid in self._children(name, node) if counts.get(kid) or kid in expanded]
            else:  # a heading above a selected value shows only the way down to it
                kids = [kid for kid in self._children(name, node) if kid in expanded]
            for kid in sorted(kids, key=lambda kid: (-counts.get(kid, 0), self._label(name, kid)))[:CHILDREN_SHOWN]:
                emit(kid, depth + 1)

        roots = [root for root in self._roots(name) if counts.get(root) or root in expanded]
        for root in sorted(roots, key=lambda root: (-counts.get(root, 0), self._label(name, root))):
            emit(root, 0)
        for value in selected:  # a selected value off every listed path still shows, to be unticked
            emit(value, 0)
        return listed

    def _roots(self, name: str) -> list[str]:
        if name == "condition":
            return condition_vocabulary().roots()
        return self._names().class_children().get(None, [])

    def _children(self, name: str, value: str) -> list[str]:
        if name == "condition":
            return condition_vocabulary().children(value)
        return self._names().class_children().get(value, [])

    def _ancestors(self, name: str, value: str) -> list[str]:
        """Every value above this one, top first along one path."""
        if name == "condition":
            return condition_vocabulary().path(value)[:-1]
        chain, tree = [], self._class_tree()
        parent = tree.get(value, ("", None))[1]
        while parent and parent not in chain:
            chain.insert(0, parent)
            parent = tree.get(parent, ("", None))[1]
        return chain

    def _all_ancestors(self, name: str, value: str) -> set[str]:
        if name == "condition":
            return {mesh_id for mesh_id, _ in condition_vocabulary().ancestors(value)}
        return set(self._ancestors(name, value))

    def _class_tree(self) -> dict[str, tuple[str, str | None]]:
        if self._classes is None:
            self._classes = self._names().class_tree()
        return self._classes

    def _names(self) -> CatalogueNames:
        if self._catalogue_names is None:
            self._catalogue_names = catalogue_names(self._version)
        return self._catalogue_names

    # Flat facets ---------------------------------------------------------------------------------

    def flat(self, name: str, rows: list[tuple[str, int, bool]]) -> list:
        selected = {url_value(value) for value in self.filterset.selected(name)}
        if name == "age":  # a person's age is a filter, not a value of the age group facet
            selected = {value for value in selected if value in choices.StdAge.values}
        counts = {value: count for value, count, _ in rows}
        values = [value for value, _, _ in rows] + sorted(selected - counts.keys())
        labels = self._drug_names(values) if name == "drug" else {}
        listed = [
            FacetValue(value, labels.get(value) or self._label(name, value), counts.get(value, 0), value in selected)
            for value in values
        ]
        if name == "status":  # open to enrolment first, then the rest, each largest first
            for value in listed:
                value.group = "Open" if value.value in choices.OPEN_STATUSES else "Closed"
            listed.sort(key=lambda value: (value.group != "Open", -value.count))
        return listed

    def _drug_names(self, keys: list[str]) -> dict[str, str]:
        return {key: drug.name for key, drug in self._names().drugs(keys).items()}

    def _label(self, name: str, value: str) -> str:
        if name in ENUM_LABELS:
            if name == "sex":
                return SEX_LABELS.get(value, value)
            return _ENUM_LABEL_TEXT[name].get(value, value)
        if name in BOOLEAN_LABELS:
            return BOOLEAN_LABELS[name].get(value, value)
        if name == "country":
            return country_name(value)
        if name == "condition":
            return condition_vocabulary().name(value)
        if name == "drug_class":
            return self._class_tree().get(value, (value, None))[0]
        return value

    # Links -----------------------------------------------------------------------------------------

    def toggled(self, name: str, value: str) -> dict[str, list[str]]:
        """The search's parameters with ``value`` ticked or unticked. Ticking a tree value unticks
        the values above and below it: choosing Lung Neoplasms under Neoplasms narrows to it."""
        params = {key: list(values) for key, values in self._params.items()}
        current = params.get(name, [])
        if value in current:
            params[name] = [v for v in current if v != value]
        else:
            if name in ("condition", "drug_class"):
                related = self._all_ancestors(name, value)
                current = [v for v in current if v not in related and value not in self._all_ancestors(name, v)]
            params[name] = [*current, value]
        return params
