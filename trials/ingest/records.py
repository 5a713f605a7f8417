"""The contract between every parser and the loader: plain dataclasses, no ORM.

A value a source does not state is ``None`` (or an empty list), never a guess. Enumerated
values use ClinicalTrials.gov API v2 spellings (``trials.choices``).
"""

from __future__ import annotations

import datetime as dt
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from functools import cache


class ParseError(ValueError):
    """A source record that cannot be read; the message names the problem.

    Messages quote the value that could not be read; a huge one (a megabyte "date") is cut in
    its middle, so the message stays readable and keeps its start and its end (often the list
    of allowed values)."""

    MAX_MESSAGE = 1000

    def __init__(self, message: str = "", *args):
        if isinstance(message, str) and len(message) > self.MAX_MESSAGE:
            cut = len(message) - 800
            message = f"{message[:500]}…[{cut:,} characters left out]…{message[-300:]}"
        super().__init__(message, *args)


@dataclass(frozen=True)
class RawSource:
    """One unit of raw input: a file, an archive member, a line, or one record split out of a file.

    ``origin`` says where it came from in words a curator can follow back:
    ``studies.zip!NCT05289856.json``, ``page.json#studies[3]``, ``all.jsonl.gz:line 17``.
    """

    origin: str
    data: bytes


@dataclass(frozen=True)
class RegistryId:
    scheme: str
    value: str
    # Who issued it, when the value alone is ambiguous (the organization of an org study id).
    issuer: str = ""


@dataclass(frozen=True)
class PartialDate:
    """A date as precise as the source gave it: ``2022``, ``2022-03`` or ``2022-03-28``."""

    date: dt.date
    precision: str  # choices.DatePrecision
    type: str | None = None  # choices.ActualOrEstimated

    def iso(self) -> str:
        if self.precision == "YEAR":
            return f"{self.date.year:04d}"
        if self.precision == "MONTH":
            return f"{self.date.year:04d}-{self.date.month:02d}"
        return self.date.isoformat()


@dataclass(frozen=True)
class Organization:
    name: str
    agency_class: str | None = None


@dataclass(frozen=True)
class MeshTerm:
    mesh_id: str
    term: str
    # CT.gov lists the study's own terms (meshes) and their tree ancestors separately.
    is_ancestor: bool = False


@dataclass
class Arm:
    label: str
    type: str | None = None
    description: str = ""
    # As the source writes them, e.g. "Drug: Avelumab".
    intervention_names: list[str] = field(default_factory=list)


@dataclass
class Intervention:
    type: str | None
    name: str
    description: str = ""
    other_names: list[str] = field(default_factory=list)
    arm_labels: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    kind: str  # choices.OutcomeKind
    measure: str
    description: str = ""
    time_frame: str = ""


@dataclass
class Eligibility:
    criteria: str = ""
    inclusion: list[str] = field(default_factory=list)
    exclusion: list[str] = field(default_factory=list)
    sex: str | None = None
    minimum_age: str = ""
    maximum_age: str = ""
    min_age_years: float | None = None
    max_age_years: float | None = None
    healthy_volunteers: bool | None = None
    std_ages: list[str] = field(default_factory=list)


@dataclass
class Contact:
    name: str = ""
    role: str | None = None
    phone: str = ""
    email: str = ""
    affiliation: str = ""


@dataclass
class Site:
    facility: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""  # as written by the source
    country_code: str | None = None  # ISO 3166-1 alpha-2
    status: str | None = None  # choices.RecruitmentStatus
    latitude: float | None = None
    longitude: float | None = None
    contacts: list[Contact] = field(default_factory=list)


@dataclass
class ResponsibleParty:
    type: str | None = None  # choices.ResponsiblePartyType
    name: str = ""
    title: str = ""
    affiliation: str = ""


@dataclass
class TrialRecord:
    registry_ids: list[RegistryId] = field(default_factory=list)
    brief_title: str = ""
    official_title: str = ""
    acronym: str = ""
    brief_summary: str = ""
    detailed_description: str = ""
    keywords: list[str] = field(default_factory=list)
    overall_status: str | None = None
    why_stopped: str = ""
    phases: list[str] = field(default_factory=list)
    study_type: str | None = None
    allocation: str | None = None
    intervention_model: str | None = None
    masking: str | None = None
    primary_purpose: str | None = None
    enrollment_count: int | None = None
    enrollment_type: str | None = None
    start_date: PartialDate | None = None
    primary_completion_date: PartialDate | None = None
    completion_date: PartialDate | None = None
    first_posted_date: PartialDate | None = None
    last_update_date: PartialDate | None = None
    lead_sponsor: Organization | None = None
    collaborators: list[Organization] = field(default_factory=list)
    responsible_party: ResponsibleParty | None = None
    conditions: list[str] = field(default_factory=list)
    condition_meshes: list[MeshTerm] = field(default_factory=list)
    intervention_meshes: list[MeshTerm] = field(default_factory=list)
    arms: list[Arm] = field(default_factory=list)
    interventions: list[Intervention] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    eligibility: Eligibility | None = None
    sites: list[Site] = field(default_factory=list)
    central_contacts: list[Contact] = field(default_factory=list)
    officials: list[Contact] = field(default_factory=list)
    has_results: bool | None = None

    @property
    def label(self) -> str:
        """How a person would name this record in a message: its first registry id, else its title."""
        for rid in self.registry_ids:
            if rid.scheme == "NCT":
                return rid.value
        if self.registry_ids:
            return self.registry_ids[0].value
        return (self.brief_title or self.official_title or "untitled record")[:80]

    def global_ids(self) -> list[RegistryId]:
        from trials.choices import GLOBAL_ID_SCHEMES

        return [rid for rid in self.registry_ids if rid.scheme in GLOBAL_ID_SCHEMES]

    def arm_intervention_links(self) -> set[tuple[int, int]]:
        """Pairs (arm index, intervention index) that the source links, from either side.

        CT.gov records the link twice: an arm lists "Type: name" of its interventions and an
        intervention lists the labels of its arms. Either one is enough.
        """
        links = set()
        arm_by_label = {_fold(arm.label): i for i, arm in enumerate(self.arms)}
        by_typed_name: dict[str, int] = {}
        by_name: dict[str, int] = {}
        for j, iv in enumerate(self.interventions):
            by_name.setdefault(_fold(iv.name), j)
            if iv.type:
                by_typed_name.setdefault(_fold(f"{iv.type.replace('_', ' ')}: {iv.name}"), j)
            for label in iv.arm_labels:
                if _fold(label) in arm_by_label:
                    links.add((arm_by_label[_fold(label)], j))
        for i, arm in enumerate(self.arms):
            for written in arm.intervention_names:
                key = _fold(written)
                j = by_typed_name.get(key)
                if j is None and ":" in written:
                    j = by_name.get(_fold(written.split(":", 1)[1]))
                if j is None:
                    j = by_name.get(key)
                if j is not None:
                    links.add((i, j))
        return links

    def snapshot(self) -> dict:
        """A JSON-ready dict of every fact, for change detection between imports."""
        return _snapshot_of(self)

    @classmethod
    def from_snapshot(cls, snapshot: dict) -> TrialRecord:
        """The record a ``snapshot()`` was taken of (the inverse of ``snapshot``)."""
        return _from_json(cls, snapshot)


def _from_json(cls, data):
    """Rebuild dataclass ``cls`` from its ``_jsonable(asdict(...))`` form, by its field types."""
    return cls(**{name: convert(data[name]) for name, convert in _field_converters(cls) if name in data})


@cache
def _field_converters(cls) -> tuple:
    """(field name, JSON -> value) for each field of ``cls``: worked out once per class, since
    reading type hints costs more than rebuilding a whole record."""
    hints = typing.get_type_hints(cls)
    return tuple((f.name, _converter(hints[f.name])) for f in fields(cls))


@cache
def _converter(hint):
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    origin = typing.get_origin(hint)
    if origin is list:
        item = _converter(args[0])
        return lambda value: None if value is None else [item(v) for v in value]
    if args:  # X | None
        return _converter(args[0])
    if hint is dt.date:
        return lambda value: None if value is None else dt.date.fromisoformat(value)
    if is_dataclass(hint):
        return lambda value: None if value is None else _from_json(hint, value)
    return lambda value: value


def _snapshot_of(value):
    """``_jsonable(asdict(value))`` in one pass, with each dataclass's field names looked up once."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    # Plain values, most of a record, are taken as they are without a call each.
    if kind in (list, tuple):
        return [v if type(v) in _PLAIN else _snapshot_of(v) for v in value]
    if is_dataclass(kind):
        return {
            name: v if type(v := getattr(value, name)) in _PLAIN else _snapshot_of(v) for name in _field_names(kind)
        }
    if kind is dict:
        return {k: _snapshot_of(v) for k, v in value.items()}
    return _jsonable(value)


_PLAIN = frozenset({str, int, float, bool, type(None)})


@cache
def _field_names(cls) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
