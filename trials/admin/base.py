"""Shared admin pieces: array fields curators can edit safely, read-only admins, links, cheap trial joins."""

from django import forms
from django.contrib import admin
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.forms import SimpleArrayField
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from trials.selectors import HEAVY_TRIAL_FIELDS


class LinesArrayField(SimpleArrayField):
    """One item per line: criteria, other names and synonyms often contain commas."""

    def __init__(self, base_field, **kwargs):
        kwargs.pop("delimiter", None)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4, "cols": 60}))
        super().__init__(base_field, delimiter="\n", **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            # Blank lines (and the \r of browsers' line ends) are not items.
            value = "\n".join(line.strip() for line in value.splitlines() if line.strip())
        return super().to_python(value)


class ArrayFieldsMixin:
    """Array columns as checkboxes (when their items have choices) or one item per line."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, ArrayField):
            if db_field.base_field.choices:
                return forms.TypedMultipleChoiceField(
                    choices=db_field.base_field.choices,
                    required=not db_field.blank,
                    widget=forms.CheckboxSelectMultiple,
                    label=capfirst(db_field.verbose_name),
                    help_text=db_field.help_text,
                )
            return db_field.formfield(form_class=LinesArrayField, **kwargs)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class ModelAdmin(ArrayFieldsMixin, admin.ModelAdmin):
    pass


class ReadOnlyAdmin(admin.ModelAdmin):
    """Provenance is written by imports only; curators read it (and may delete, with the permission)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def admin_link(model_name: str, pk, label) -> str:
    """Link to an object's admin page, or "-" when there is none; needs no query."""
    if pk is None:
        return "-"
    return format_html('<a href="{}">{}</a>', reverse(f"admin:trials_{model_name}_change", args=[pk]), label)


def light_trial(queryset, *related: str):
    """``queryset`` joined to its trial (and ``related``) without the trial's large columns."""
    return queryset.select_related("trial", *related).defer(*(f"trial__{name}" for name in HEAVY_TRIAL_FIELDS))


class LightTrialMixin:
    """For admins of rows that belong to a trial: the trial column costs no query and no large columns.

    The changelist skips ``list_select_related`` when the queryset already has a join, so
    ``list_select_related`` names every join and ``get_queryset`` applies them all.
    """

    list_select_related = ("trial",)
    raw_id_fields = ("trial",)

    def get_queryset(self, request):
        others = [name for name in self.list_select_related if name != "trial"]
        return light_trial(super().get_queryset(request), *others)

    @admin.display(description="trial", ordering="trial")
    def trial_link(self, obj):
        return admin_link("trial", obj.trial_id, obj.trial)


class ChangeListDeferMixin:
    """Leave ``changelist_defer`` columns out of the list page only; the change form needs them all."""

    changelist_defer: tuple[str, ...] = ()

    def get_changelist(self, request, **kwargs):
        base = super().get_changelist(request, **kwargs)
        deferred = self.changelist_defer

        class DeferringChangeList(base):
            def get_queryset(self, request, exclude_parameters=None):
                return super().get_queryset(request, exclude_parameters).defer(*deferred)

        return DeferringChangeList
