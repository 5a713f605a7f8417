"""Where a trial runs and whom to contact: sites, central contacts and overall officials."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from trials import choices
from trials.models.trial import Trial


class Site(models.Model):
    Status = choices.RecruitmentStatus

    class CoordinatesFrom(models.TextChoices):
        SOURCE = "source", "Given by the source"
        GAZETTEER = "gazetteer", "The city's coordinates (offline gazetteer)"

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="sites")
    facility = models.CharField(max_length=500, blank=True)
    city = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=40, blank=True)
    country = models.CharField(max_length=200, blank=True, help_text="As the source wrote it")
    country_code = models.CharField("country (ISO 3166)", max_length=2, blank=True, default="")
    status = models.CharField(max_length=24, choices=Status.choices, blank=True, default="")
    latitude = models.FloatField(null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)])
    coordinates_from = models.CharField(max_length=9, choices=CoordinatesFrom.choices, blank=True, default="")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["trial", "position"]
        indexes = [
            # Country facet counts and the country filter.
            models.Index(fields=["country_code", "trial"], name="site_country_idx"),
            # "Near me": sites inside the search circle's bounding box, before the exact distance.
            models.Index(fields=["latitude", "longitude"], name="site_coordinates_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["trial", "position"], name="site_position_uniq"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="site_coordinates_valid",
            ),
        ]

    def __str__(self):
        return ", ".join(part for part in (self.facility, self.city, self.country) if part) or f"Site {self.pk}"


class Contact(models.Model):
    """A person to contact: a central contact, an overall official, or a site's contact."""

    class Kind(models.TextChoices):
        CENTRAL = "CENTRAL", "Central contact"
        OFFICIAL = "OFFICIAL", "Overall official"
        SITE = "SITE", "Site contact"

    Role = choices.ContactRole

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="contacts")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = models.CharField(max_length=300, blank=True)
    role = models.CharField(max_length=24, choices=Role.choices, blank=True, default="")
    phone = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=300, blank=True)
    affiliation = models.CharField(max_length=500, blank=True)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["trial", "kind", "position"]
        constraints = [
            # A site contact belongs to a site; central contacts and officials to the trial alone.
            models.CheckConstraint(
                condition=Q(kind="SITE", site__isnull=False) | (~Q(kind="SITE") & Q(site__isnull=True)),
                name="contact_site_matches_kind",
            ),
        ]

    def __str__(self):
        return self.name or self.email or f"Contact {self.pk}"
