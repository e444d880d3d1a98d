"""A reply's moderation is its comment's now (0005 carried each status over)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("social", "0005_comments_queue_and_roles")]

    operations = [migrations.RemoveField(model_name="reply", name="status")]
