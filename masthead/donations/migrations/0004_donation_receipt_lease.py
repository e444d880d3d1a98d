from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0003_recurring_provider_updated_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="donation",
            name="receipt_lease_expires_at",
            field=models.DateTimeField(
                blank=True,
                help_text=(
                    "While the receipt is being sent: when the sender's claim on it runs out. "
                    "A claim left behind by a sender that died is taken up again after that."
                ),
                null=True,
            ),
        ),
        migrations.AddIndex(
            model_name="donation",
            index=models.Index(
                condition=models.Q(("receipt_lease_expires_at__isnull", False)),
                fields=["receipt_lease_expires_at"],
                name="donations_receipt_claims",
            ),
        ),
    ]
