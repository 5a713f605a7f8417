"""A curator's save writes what the curator changed, never a stale copy of what an import changed.

The change form carries, signed, the values it was opened with (its "edit base"). On save, a
field whose posted value is still its edit-base value was not edited by the curator; if the trial
holds another value now (an import updated it while the form was open), the trial's value stays
and the field is not counted as the curator's edit. A field the curator did edit wins, is
recorded in the change log and is marked curated, as any edit. The save itself locks the trial
(``TrialAdmin.get_object``), so the comparison is made against what the import committed.
"""

import json

from django import forms
from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, QuerySet

SALT = "trials.admin.edit_base"


class _Json:
    def dumps(self, obj):
        return json.dumps(obj, cls=DjangoJSONEncoder, separators=(",", ":")).encode("latin-1")

    def loads(self, data):
        return json.loads(data.decode("latin-1"))


class EditBaseForm(forms.ModelForm):
    edit_base = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            values = {name: self[name].value() for name in self.fields if name != "edit_base"}
            self.initial["edit_base"] = signing.dumps(values, serializer=_Json, salt=SALT, compress=True)

    def clean(self):
        cleaned = super().clean()
        base = self._edit_base()
        for name in [name for name in self.changed_data if name in base]:
            if name in cleaned and _same(self._clean_base(name, base[name]), cleaned[name]):
                # Unchanged by the curator; changed by someone else since the form was opened.
                del cleaned[name]
                self.changed_data.remove(name)
        if "edit_base" in self.changed_data:
            self.changed_data.remove("edit_base")
        return cleaned

    def _edit_base(self) -> dict:
        try:
            return signing.loads(self.data.get(self.add_prefix("edit_base")) or "", serializer=_Json, salt=SALT)
        except signing.BadSignature:
            return {}  # no base (or a tampered one): every posted difference counts as the curator's

    def _clean_base(self, name, value):
        try:
            return self.fields[name].clean(value)
        except forms.ValidationError:
            return _NOT_COMPARABLE


_NOT_COMPARABLE = object()


def _same(a, b) -> bool:
    return _comparable(a) == _comparable(b)


def _comparable(value):
    if isinstance(value, QuerySet):
        return sorted(value.values_list("pk", flat=True))
    if isinstance(value, Model):
        return value.pk
    return value
