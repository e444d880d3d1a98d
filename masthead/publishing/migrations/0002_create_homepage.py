"""Turn Wagtail's welcome page into an empty Masthead home page, so a fresh install
is a working (empty) outlet before any content is written."""

from django.db import migrations


def create_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    HomePage = apps.get_model("publishing.HomePage")

    if HomePage.objects.exists():
        return
    content_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="publishing")
    welcome = Page.objects.filter(depth=2).order_by("path").first()
    if welcome is None:
        return
    # Turn Wagtail's welcome page into the home page in place, keeping its tree position.
    home = HomePage(page_ptr_id=welcome.pk)
    for field in Page._meta.concrete_fields:
        setattr(home, field.attname, getattr(welcome, field.attname))
    home.title = home.draft_title = "Home"
    home.content_type = content_type
    home.save()
    Site.objects.filter(is_default_site=True).update(site_name="Masthead")


def remove_homepage(apps, schema_editor):
    """Nothing to undo: the page stays, and goes when its table does."""


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0001_initial"),
        ("wagtailcore", "0002_initial_data"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_homepage, remove_homepage)]
