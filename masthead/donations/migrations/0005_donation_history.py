import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0004_donation_receipt_lease"),
    ]

    operations = [
        migrations.CreateModel(
            name="DonationEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("wrong_provider", "Event from another payment provider"),
                            ("amount_mismatch", "Amount differs from what was charged"),
                            ("renewal_accepted", "Refused renewal accepted"),
                            ("amount_changed", "Monthly amount changed"),
                        ],
                        max_length=30,
                    ),
                ),
                ("parameters", models.JSONField(blank=True, default=dict)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "donation",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="donations.donation",
                    ),
                ),
                (
                    "recurring",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="donations.recurringdonation",
                    ),
                ),
            ],
            options={
                "verbose_name": "donation history entry",
                "verbose_name_plural": "donation history",
                "ordering": ["created_at", "pk"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("donation__isnull", False),
                            ("recurring__isnull", False),
                            _connector="OR",
                        ),
                        name="donations_event_about_a_gift",
                    )
                ],
            },
        ),
    ]
