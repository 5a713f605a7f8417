"""Names the search page and API show for drug and drug class keys (facet labels, each listed
trial's drugs with their classes), kept in the process for the catalogue's version.

Drugs and classes change only with the catalogue (an import, a curator's save), which moves its
version on (``trials.search_index.catalogue_version``), so names read once serve every search of
that version: a warm search asks the database only for the version. A drug is read the first time a
search lists it (one query for all the new ones); the class tree, a few hundred rows, at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Q

from trials.models import Drug, DrugClass
from trials.search_index import catalogue_version


@dataclass(frozen=True)
class DrugClassName:
    key: str
    name: str


@dataclass(frozen=True)
class ListedDrug:
    key: str
    name: str
    classes: tuple[DrugClassName, ...]  # by name, as the drug's page lists them


class CatalogueNames:
    def __init__(self, version: int):
        self.version = version
        self._drugs: dict[str, ListedDrug | None] = {}  # None: no drug has this key
        self._class_tree: dict[str, tuple[str, str | None]] | None = None
        self._class_children: dict[str | None, list[str]] | None = None

    def drugs(self, keys) -> dict[str, ListedDrug]:
        """The drugs with these keys, with their classes (one query for those not read before)."""
        keys = list(dict.fromkeys(keys))
        missing = [key for key in keys if key not in self._drugs]
        if missing:
            found = dict.fromkeys(missing)
            in_class = Q(classes__isnull=False)
            rows = (
                Drug.objects.filter(key__in=missing)
                .annotate(
                    class_keys=ArrayAgg("classes__key", filter=in_class, order_by=("classes__name", "classes__id")),
                    class_names=ArrayAgg("classes__name", filter=in_class, order_by=("classes__name", "classes__id")),
                )
                .values_list("key", "name", "class_keys", "class_names")
            )
            for key, name, class_keys, class_names in rows:
                classes = tuple(map(DrugClassName, class_keys or (), class_names or ()))
                found[key] = ListedDrug(key, name, classes)
            self._drugs.update(found)
        return {key: self._drugs[key] for key in keys if self._drugs.get(key) is not None}

    def class_tree(self) -> dict[str, tuple[str, str | None]]:
        """Every drug class: key -> (name, parent key). One query, the first time."""
        if self._class_tree is None:
            rows = DrugClass.objects.values_list("key", "name", "parent__key")
            self._class_tree = {key: (name, parent) for key, name, parent in rows}
        return self._class_tree

    def class_children(self) -> dict[str | None, list[str]]:
        """Parent key -> its classes' keys (None -> the top level), in ``class_tree``'s order."""
        if self._class_children is None:
            children: dict[str | None, list[str]] = {}
            for key, (_, parent) in self.class_tree().items():
                children.setdefault(parent, []).append(key)
            self._class_children = children
        return self._class_children


_current: CatalogueNames | None = None


def catalogue_names(version: int | None = None) -> CatalogueNames:
    """The names of the catalogue's ``version``, by default its current one (one query, the
    version): a request that read the version once gives it."""
    global _current
    version = catalogue_version() if version is None else version
    names = _current
    if names is None or names.version != version:
        names = _current = CatalogueNames(version)
    return names


def forget() -> None:
    """Drop the names read so far (tests, whose rolled-back data never moves the version on)."""
    global _current
    _current = None
