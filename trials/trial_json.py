"""The canonical JSON of a trial: one shape for the API, exports and the trial page's data.

``trial_queryset()`` fetches everything ``trial_json()`` reads in a fixed number of queries,
whatever the number of trials (no N+1).
"""

from django.db.models import Prefetch, QuerySet

from trials.models import Arm, Contact, Intervention, SourceRecord, Trial, TrialCondition


def trial_queryset() -> QuerySet[Trial]:
    # The merged record and the search vector are read by neither the JSON nor the trial page, and
    # an export holds a chunk of 200 trials at a time: the snapshot alone is ~13 KB of JSON a trial.
    return (
        Trial.objects.defer("record_snapshot", "search_vector")
        .select_related("lead_sponsor")
        .prefetch_related(
            "registry_ids",
            "collaborators",
            Prefetch("trial_conditions", queryset=TrialCondition.objects.select_related("condition")),
            Prefetch("arms", queryset=Arm.objects.prefetch_related("interventions")),
            Prefetch("interventions", queryset=Intervention.objects.prefetch_related("drugs__classes")),
            "outcomes",
            Prefetch("sites__contacts", queryset=Contact.objects.order_by("position")),
            Prefetch("contacts", queryset=Contact.objects.filter(site__isnull=True), to_attr="trial_contacts"),
            Prefetch("sources", queryset=SourceRecord.objects.defer("raw", "snapshot").order_by("imported_at")),
        )
    )


def date_json(trial: Trial, name: str) -> dict | None:
    """One of ``Trial.DATE_FIELDS`` as JSON: the date at its precision ("2022-03") and actual/estimated."""
    value = getattr(trial, f"{name}_date")
    if value is None:
        return None
    precision = getattr(trial, f"{name}_date_precision")
    text = value.isoformat()
    if precision == "YEAR":
        text = text[:4]
    elif precision == "MONTH":
        text = text[:7]
    return {"date": text, "type": getattr(trial, f"{name}_date_type") or None}


def _org(org) -> dict | None:
    return {"name": org.name, "class": org.agency_class or None} if org else None


def _contact(c: Contact) -> dict:
    return {
        "name": c.name,
        "role": c.role or None,
        "phone": c.phone or None,
        "email": c.email or None,
        "affiliation": c.affiliation or None,
    }


def _or_none(value):
    return value if value not in ("", None) else None


def trial_json(trial: Trial) -> dict:
    """The trial as a dict of JSON types. Expects a trial from ``trial_queryset()``."""
    people = trial.trial_contacts
    return {
        "id": trial.pk,
        "registry_ids": [{"scheme": r.scheme, "value": r.value} for r in trial.registry_ids.all()],
        "brief_title": trial.brief_title,
        "official_title": _or_none(trial.official_title),
        "acronym": _or_none(trial.acronym),
        "brief_summary": _or_none(trial.brief_summary),
        "detailed_description": _or_none(trial.detailed_description),
        "keywords": trial.keywords,
        "overall_status": _or_none(trial.overall_status),
        "why_stopped": _or_none(trial.why_stopped),
        "phases": trial.phases,
        "study_type": _or_none(trial.study_type),
        "design": {
            "allocation": _or_none(trial.allocation),
            "intervention_model": _or_none(trial.intervention_model),
            "masking": _or_none(trial.masking),
            "primary_purpose": _or_none(trial.primary_purpose),
        },
        "enrollment": {"count": trial.enrollment_count, "type": _or_none(trial.enrollment_type)},
        "dates": {name: date_json(trial, name) for name in Trial.DATE_FIELDS},
        "sponsor": _org(trial.lead_sponsor),
        "collaborators": [_org(o) for o in trial.collaborators.all()],
        "responsible_party": {
            "type": _or_none(trial.responsible_party_type),
            "name": _or_none(trial.responsible_party_name),
            "title": _or_none(trial.responsible_party_title),
            "affiliation": _or_none(trial.responsible_party_affiliation),
        }
        # A saved page names the party without saying which type it is.
        if trial.responsible_party_type or trial.responsible_party_name
        else None,
        "conditions": [
            {"name": tc.condition.name, "mesh_id": _or_none(tc.condition.mesh_id), "source_term": tc.source_term}
            for tc in trial.trial_conditions.all()
        ],
        "arms": [
            {
                "label": arm.label,
                "type": _or_none(arm.type),
                "description": _or_none(arm.description),
                "interventions": [iv.name for iv in sorted(arm.interventions.all(), key=lambda iv: iv.position)],
            }
            for arm in trial.arms.all()
        ],
        "interventions": [
            {
                "type": _or_none(iv.type),
                "name": iv.name,
                "description": _or_none(iv.description),
                "other_names": iv.other_names,
                "is_placebo": iv.is_placebo,
                "drugs": [
                    {"name": d.name, "classes": [c.name for c in d.classes.all()], "resolved_by": d.via}
                    for d in sorted(iv.drugs.all(), key=lambda d: d.name.casefold())
                ],
            }
            for iv in trial.interventions.all()
        ],
        "outcomes": [
            {
                "kind": o.kind,
                "measure": o.measure,
                "description": _or_none(o.description),
                "time_frame": _or_none(o.time_frame),
            }
            for o in trial.outcomes.all()
        ],
        "eligibility": {
            "criteria": _or_none(trial.eligibility_criteria),
            "inclusion": trial.inclusion_criteria,
            "exclusion": trial.exclusion_criteria,
            "sex": _or_none(trial.sex),
            "minimum_age": _or_none(trial.minimum_age),
            "maximum_age": _or_none(trial.maximum_age),
            "min_age_years": trial.min_age_years,
            "max_age_years": trial.max_age_years,
            "healthy_volunteers": trial.healthy_volunteers,
            "std_ages": trial.std_ages,
        },
        "sites": [
            {
                "facility": _or_none(s.facility),
                "city": _or_none(s.city),
                "state": _or_none(s.state),
                "postal_code": _or_none(s.postal_code),
                "country": _or_none(s.country_code),
                "country_name": _or_none(s.country),
                "status": _or_none(s.status),
                "latitude": s.latitude,
                "longitude": s.longitude,
                "coordinates_from": _or_none(s.coordinates_from),
                "contacts": [_contact(c) for c in s.contacts.all()],
            }
            for s in trial.sites.all()
        ],
        "central_contacts": [_contact(c) for c in people if c.kind == Contact.Kind.CENTRAL],
        "officials": [_contact(c) for c in people if c.kind == Contact.Kind.OFFICIAL],
        "has_results": trial.has_results,
        "sources": [
            {
                "id": s.pk,
                "format": s.format,
                "origin": s.origin,
                "sha256": s.sha256,
                "imported_at": s.imported_at.isoformat(),
            }
            for s in trial.sources.all()
        ],
        # Which source (an id above) gave each fact, in the record's field names; a curated fact
        # was set by a curator and is kept when its sources are imported again.
        "fact_sources": trial.field_sources,
        "curated": {key: {"by": note.get("by"), "at": note.get("at")} for key, note in trial.curated_fields.items()},
    }
