"""The trial page's timeline picture: start, primary completion and completion on one axis,
actual dates apart from estimated ones, today marked; geometry only, drawn by the template."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import pairwise

from trials import choices
from trials.models import Trial
from trials.templatetags.trial_format import partial_date_text


@dataclass(frozen=True)
class TimelineMark:
    """One milestone on the timeline; ``x`` is a percentage of the picture's width."""

    names: tuple[str, ...]
    date: dt.date
    text: str
    kind: str  # ACTUAL, ESTIMATED, or "" when the source did not say
    x: float

    @property
    def name(self) -> str:
        return " and ".join(self.names)

    @property
    def kind_label(self) -> str:
        return {"ACTUAL": "actual", "ESTIMATED": "estimated"}.get(self.kind, "")

    @property
    def anchor(self) -> str:
        """Labels run away from the nearer edge, so they stay inside the picture at any width."""
        return "start" if self.x < 50 else "end"

    @property
    def lines(self) -> list[str]:
        """The label, one short line each, so that it fits beside the mark on a 360 px screen."""
        names = [self.names[0], *(f"and {name.lower()}" for name in self.names[1:])]
        return [*names, self.text, *([self.kind_label] if self.kind_label else [])]


@dataclass(frozen=True)
class TimelineLabel:
    mark: TimelineMark
    lines: list[tuple[int, str]]  # (baseline y, text); the first line is the milestone's name
    connector: tuple[int, int]  # y1, y2 of the line from the mark to its label


_LINE = 16  # px between label baselines
_TOP = 36  # baseline of the first line above the axis (the row above it holds "Today")


@dataclass(frozen=True)
class Timeline:
    """Geometry of the timeline picture, in px down and percent across (the SVG has no viewBox, so
    its text keeps its size and its marks stay round at any width)."""

    marks: list[TimelineMark]  # in date order
    today: dt.date
    today_x: float
    today_off_scale: str  # "", "left" or "right": today is far outside the trial's dates
    years: list[tuple[int, float]]  # (year, x) of the axis ticks
    segments: list[tuple[float, float, bool]]  # (x1, x2, dashed) of the bar between marks
    axis_y: int
    labels: list[TimelineLabel]
    height: int

    @property
    def kinds(self) -> set[str]:
        return {m.kind for m in self.marks}

    @property
    def years_y(self) -> int:
        return self.height - 6

    @property
    def today_anchor(self) -> str:
        if self.today_off_scale:
            return "start" if self.today_off_scale == "left" else "end"
        return "start" if self.today_x < 50 else "end"

    @property
    def description(self) -> str:
        parts = [f"{m.name}: {m.text}" + (f" ({m.kind_label})" if m.kind_label else "") for m in self.marks]
        return "; ".join(parts) + f". Today is {date_text(self.today)}."


def date_text(day: dt.date) -> str:
    return partial_date_text(day, choices.DatePrecision.DAY)


_MILESTONES = (("start", "Study start"), ("primary_completion", "Primary completion"), ("completion", "Completion"))
_LEFT, _RIGHT = 4.0, 96.0  # the picture's margins, in percent of its width


def timeline(trial: Trial, today: dt.date) -> Timeline | None:
    """Start, primary completion and completion on a time axis, with today marked; None without dates.

    Milestones on the same date and of the same kind share one mark. When today lies far outside
    the trial's dates (a study that ended decades ago), the axis spans the trial only and today is
    an arrow at the edge, so the trial is not squeezed into a sliver. The study start is labelled
    above the line, every later milestone on its own lines below, so no two labels overlap.
    """
    found: list[tuple[str, dt.date, str, str]] = []
    for name, label in _MILESTONES:
        value = getattr(trial, f"{name}_date")
        if value is not None:
            precision = getattr(trial, f"{name}_date_precision")
            found.append((label, value, partial_date_text(value, precision), getattr(trial, f"{name}_date_type")))
    if not found:
        return None
    first, last = min(d for _, d, _, _ in found), max(d for _, d, _, _ in found)
    span = max((last - first).days, 365)
    off_scale = "left" if (first - today).days > span else "right" if (today - last).days > span else ""
    low, high = (first, last) if off_scale else (min(first, today), max(last, today))
    if (high - low).days < 60:
        low, high = low - dt.timedelta(days=90), high + dt.timedelta(days=90)

    def x(day: dt.date) -> float:
        return round(_LEFT + (_RIGHT - _LEFT) * (day - low).days / (high - low).days, 2)

    marks: list[TimelineMark] = []
    for label, day, text, kind in found:
        same = next((i for i, m in enumerate(marks) if m.date == day and m.kind == kind), None)
        if same is None:
            marks.append(TimelineMark((label,), day, text, kind, x(day)))
        else:
            marks[same] = TimelineMark((*marks[same].names, label), day, text, kind, marks[same].x)
    marks.sort(key=lambda m: m.date)
    above = marks[0] if marks[0].names[0] == "Study start" and len(marks) > 1 else None
    axis_y = _TOP + _LINE * (len(above.lines) - 1) + 22 if above else _TOP + 4
    labels = []
    if above:
        top = _TOP
        labels.append(_label(above, top, (top + _LINE * (len(above.lines) - 1) + 6, axis_y)))
    baseline = axis_y + 30
    for mark in marks[1:] if above else marks:
        labels.append(_label(mark, baseline, (axis_y, baseline - 13)))
        baseline += _LINE * len(mark.lines) + 12
    height = baseline + 16  # the last row holds the years
    segments = [(a.x, b.x, b.kind != choices.ActualOrEstimated.ACTUAL) for a, b in pairwise(marks)]
    today_x = {"left": _LEFT - 2, "right": _RIGHT + 2}.get(off_scale) or x(today)
    return Timeline(marks, today, today_x, off_scale, _year_ticks(low, high, x), segments, axis_y, labels, height)


def _label(mark: TimelineMark, first_baseline: int, connector: tuple[int, int]) -> TimelineLabel:
    return TimelineLabel(mark, [(first_baseline + _LINE * i, line) for i, line in enumerate(mark.lines)], connector)


def _year_ticks(low: dt.date, high: dt.date, x) -> list[tuple[int, float]]:
    """January 1sts inside the axis, thinned to at most six labels."""
    years = range(low.year + (low > dt.date(low.year, 1, 1)), high.year + 1)
    step = next(s for s in (1, 2, 5, 10, 20, 50) if len(years) / s <= 6)
    return [(year, x(dt.date(year, 1, 1))) for year in years if year % step == 0]


# Arms and interventions
