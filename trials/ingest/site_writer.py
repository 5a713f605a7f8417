"""Write a trial's sites and contacts (for ``trial_writer``, and ``coordinates`` for the bulk path).

A site keeps the source's coordinates when it gives them, else its city's from the offline
gazetteer; a trial's sites written again reuse what the gazetteer said for them before.
"""

from __future__ import annotations

from django.db import connection

from trials.ingest.records import TrialRecord
from trials.models import Contact, Site, Trial
from trials.vocab.places import gazetteer


def delete_sites(trial: Trial) -> dict:
    """Delete the trial's sites and their contacts; returns where the gazetteer placed them,
    {(city, country code, state): coordinates}, for the sites written anew."""
    # Contacts first, then the sites in one statement (the ORM would collect them for a cascade).
    Contact.objects.filter(trial=trial, site__isnull=False).delete()
    places = {}
    with connection.cursor() as cursor:
        cursor.execute(_DELETE_SITES_SQL, [trial.pk, Site.CoordinatesFrom.GAZETTEER, ""])
        for city, country_code, state, latitude, longitude, found in cursor.fetchall():
            places[(city, country_code, state)] = {
                "latitude": latitude,
                "longitude": longitude,
                "coordinates_from": found,
            }
    return places


# The trial's sites go; what the gazetteer said for them (a point, or nothing) comes back.
_DELETE_SITES_SQL = f"""
WITH gone AS (DELETE FROM {Site._meta.db_table} WHERE trial_id = %s
    RETURNING city, country_code, state, latitude, longitude, coordinates_from)
SELECT DISTINCT * FROM gone WHERE coordinates_from IN (%s, %s)
"""


def write_sites_and_contacts(trial: Trial, record: TrialRecord, *, people: bool, sites: bool, places=None) -> None:
    contacts = []
    if people:
        for kind, persons in (
            (Contact.Kind.CENTRAL, record.central_contacts),
            (Contact.Kind.OFFICIAL, record.officials),
        ):
            contacts += [_contact(trial, None, kind, c, i) for i, c in enumerate(persons)]
    if sites:
        contacts += _write_sites(trial, record, places or {})
    Contact.objects.bulk_create(contacts)


def _write_sites(trial: Trial, record: TrialRecord, places: dict) -> list[Contact]:
    sites = Site.objects.bulk_create(
        Site(
            trial=trial,
            facility=s.facility[:500],
            city=s.city[:200],
            state=s.state[:200],
            postal_code=s.postal_code[:40],
            country=s.country[:200],
            country_code=s.country_code or "",
            status=s.status or "",
            **coordinates(s, places),
            position=i,
        )
        for i, s in enumerate(record.sites)
    )
    contacts = []
    for site, source_site in zip(sites, record.sites, strict=True):
        contacts += [_contact(trial, site, Contact.Kind.SITE, c, i) for i, c in enumerate(source_site.contacts)]
    return contacts


def coordinates(site, places=None) -> dict:
    """The source's coordinates when it gives them, else the city's from the offline gazetteer.

    ``places`` holds what the gazetteer said for the trial's sites before (``delete_sites``):
    a site at the same place gets the same answer without reading the gazetteer's country index."""
    if site.latitude is not None and site.longitude is not None:
        return {"latitude": site.latitude, "longitude": site.longitude, "coordinates_from": Site.CoordinatesFrom.SOURCE}
    if places and (known := places.get((site.city[:200], site.country_code or "", site.state[:200]))):
        return known
    point = gazetteer().locate(site.city, site.country_code or "", site.state) if site.city else None
    if point is None:
        return {"latitude": None, "longitude": None, "coordinates_from": ""}
    return {"latitude": point[0], "longitude": point[1], "coordinates_from": Site.CoordinatesFrom.GAZETTEER}


def _contact(trial, site, kind, c, position) -> Contact:
    return Contact(
        trial=trial,
        site=site,
        kind=kind,
        name=c.name[:300],
        role=c.role or "",
        phone=c.phone[:100],
        email=c.email[:300],
        affiliation=c.affiliation[:500],
        position=position,
    )
