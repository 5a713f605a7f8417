import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat


def key_classes_and_drugs(apps, schema_editor):
    """Key existing drug classes, drugs and conditions with the vocabulary's name key; rows whose
    names now fold together ("Keytruda®" and "KEYTRUDA") become one, keeping every link."""
    from trials.vocab.keys import name_key

    DrugClass = apps.get_model("trials", "DrugClass")
    Drug = apps.get_model("trials", "Drug")
    Links = apps.get_model("trials", "Intervention_drugs")
    taken = set()
    for drug_class in DrugClass.objects.order_by("pk"):
        key = name_key(drug_class.name).replace(" ", "_") or f"class_{drug_class.pk}"
        while key in taken:
            key = f"{key}_{drug_class.pk}"
        taken.add(key)
        DrugClass.objects.filter(pk=drug_class.pk).update(key=key)
    # Old keys may equal other drugs' new keys: clear them all first.
    Drug.objects.update(key=Concat(Value("__rekey_"), Cast("id", CharField())))
    kept: dict[str, int] = {}
    for drug in Drug.objects.order_by("pk"):
        key = name_key(drug.name)[:300] or f"drug {drug.pk}"
        if key in kept:
            keep = kept[key]
            linked = set(Links.objects.filter(drug_id=keep).values_list("intervention_id", flat=True))
            Links.objects.filter(drug_id=drug.pk, intervention_id__in=linked).delete()
            Links.objects.filter(drug_id=drug.pk).update(drug_id=keep)
            drug.delete()
        else:
            kept[key] = drug.pk
            Drug.objects.filter(pk=drug.pk).update(key=key, name_keys=[key])
    Condition = apps.get_model("trials", "Condition")
    TrialCondition = apps.get_model("trials", "TrialCondition")
    Condition.objects.update(key=Concat(Value("__rekey_"), Cast("id", CharField())))
    kept = {}
    for condition in Condition.objects.order_by("pk"):
        key = name_key(condition.name)[:500] or f"condition {condition.pk}"
        if key in kept:
            TrialCondition.objects.filter(condition_id=condition.pk).update(condition_id=kept[key])
            if condition.mesh_id and not Condition.objects.filter(pk=kept[key]).exclude(mesh_id="").exists():
                mesh_id = condition.mesh_id
                condition.delete()
                Condition.objects.filter(pk=kept[key]).update(mesh_id=mesh_id)
            else:
                condition.delete()
        else:
            kept[key] = condition.pk
            Condition.objects.filter(pk=condition.pk).update(key=key)


class Migration(migrations.Migration):
    dependencies = [("trials", "0002_sources_curation_uploads")]

    operations = [
        migrations.AddField(
            model_name="condition",
            name="mapped_by_curator",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="condition",
            name="search_text",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="drug",
            name="needs_review",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="drug",
            name="search_text",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="drug",
            name="via",
            field=models.CharField(
                choices=[
                    ("curated", "Curated mechanism table"),
                    ("dictionary", "Drug-name dictionary"),
                    ("mesh", "MeSH"),
                    ("study_mesh", "The study's own MeSH terms"),
                    ("inn_stem", "INN stem (provisional)"),
                    ("unresolved", "Not in the vocabulary"),
                    ("curator", "Set by a curator"),
                ],
                default="unresolved",
                max_length=10,
                verbose_name="resolved by",
            ),
        ),
        migrations.AddField(
            model_name="drugclass",
            name="key",
            field=models.CharField(default="", help_text="The vocabulary's key, e.g. pd1_inhibitor", max_length=200),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="drugclass",
            name="source",
            field=models.CharField(
                choices=[
                    ("curated", "Curated mechanism table"),
                    ("mesh", "MeSH pharmacological action"),
                    ("curator", "Added by a curator"),
                ],
                default="curator",
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="drugclass",
            name="name",
            field=models.CharField(max_length=200),
        ),
        migrations.AddField(
            model_name="intervention",
            name="is_placebo",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="site",
            name="coordinates_from",
            field=models.CharField(
                blank=True,
                choices=[
                    ("source", "Given by the source"),
                    ("gazetteer", "The city's coordinates (offline gazetteer)"),
                ],
                default="",
                max_length=9,
            ),
        ),
        migrations.AddIndex(
            model_name="drug",
            index=models.Index(fields=["via", "needs_review"], name="drug_resolution_idx"),
        ),
        migrations.AddField(
            model_name="condition",
            name="aliases",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=500), blank=True, default=list, editable=False, size=None
            ),
        ),
        migrations.AddField(
            model_name="drug",
            name="name_keys",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=300), blank=True, default=list, editable=False, size=None
            ),
        ),
        migrations.AddIndex(
            model_name="condition",
            index=django.contrib.postgres.indexes.GinIndex(fields=["aliases"], name="condition_aliases_gin"),
        ),
        migrations.AddIndex(
            model_name="drug",
            index=django.contrib.postgres.indexes.GinIndex(fields=["name_keys"], name="drug_name_keys_gin"),
        ),
        migrations.RunPython(key_classes_and_drugs, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="drugclass",
            name="key",
            field=models.CharField(help_text="The vocabulary's key, e.g. pd1_inhibitor", max_length=200, unique=True),
        ),
    ]
