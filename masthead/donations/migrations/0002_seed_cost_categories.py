"""The cost categories every outlet starts with; editors rename, add or reorder them."""

from django.db import migrations

CATEGORIES = [
    ("Hosting", "Servers, domain names and backups."),
    ("Website subscriptions", "Specialist services the website relies on."),
    ("Photo media subscriptions", "Picture agencies and photo libraries."),
    ("Newswire services", "Agency copy and data feeds."),
    ("Marketing", "Reaching new readers."),
    ("Other", "Everything else."),
]


def seed(apps, schema_editor):
    CostCategory = apps.get_model("donations", "CostCategory")
    for order, (name, description) in enumerate(CATEGORIES, start=1):
        CostCategory.objects.get_or_create(
            name=name, defaults={"description": description, "sort_order": order * 10}
        )


def unseed(apps, schema_editor):
    CostCategory = apps.get_model("donations", "CostCategory")
    CostCategory.objects.filter(
        name__in=[name for name, _description in CATEGORIES], costs__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("donations", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
