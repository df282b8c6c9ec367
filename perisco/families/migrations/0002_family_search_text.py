"""The staff's family search reads one column per family (`families.search`): add it, fill
it for the families already there and, on PostgreSQL, index it with trigrams so that
`LIKE '%word%'` does not scan the table. SQLite needs no index for a town's families."""

from collections import defaultdict

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

from perisco.families.search import search_text

INDEX = "family_search_text_trgm"


def backfill(apps, schema_editor):
    Family = apps.get_model("families", "Family")
    Guardian = apps.get_model("families", "Guardian")
    FamilyChild = apps.get_model("families", "FamilyChild")
    guardians = defaultdict(list)
    for family_id, *guardian in Guardian.objects.order_by("rank").values_list(
        "family_id", "first_name", "last_name", "email"
    ):
        guardians[family_id].append(guardian)
    children = defaultdict(list)
    for family_id, *child in FamilyChild.objects.order_by("pk").values_list(
        "family_id", "child__first_name", "child__last_name"
    ):
        children[family_id].append(child)
    families = [
        Family(pk=pk, search_text=search_text((name, number), guardians[pk], children[pk]))
        for pk, name, number in Family.objects.values_list("pk", "name", "number")
    ]
    Family.objects.bulk_update(families, ["search_text"], batch_size=500)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {INDEX} ON families_family USING gin (search_text gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("families", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="family",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        # Does nothing on databases other than PostgreSQL.
        TrigramExtension(),
        migrations.RunPython(create_index, drop_index),
    ]
