import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0002_demo_states_as_choices"),
    ]

    operations = [
        migrations.CreateModel(
            name="DemoRefund",
            fields=[
                ("id", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("amount", models.PositiveBigIntegerField()),
                ("idempotency_key", models.CharField(blank=True, max_length=255)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "verbose_name": "demo refund",
            },
        ),
        migrations.AddField(
            model_name="providerevent",
            name="redaction",
            field=models.CharField(
                choices=[
                    ("none", "As received"),
                    ("device", "IP addresses and user agents removed"),
                    ("personal", "Personal details removed"),
                ],
                default="none",
                max_length=10,
                verbose_name="redaction",
            ),
        ),
        migrations.AddIndex(
            model_name="providerevent",
            index=models.Index(
                fields=["redaction", "received_at"], name="payments_event_redaction"
            ),
        ),
        migrations.AddField(
            model_name="demorefund",
            name="payment",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="refunds",
                to="payments.demopayment",
            ),
        ),
        migrations.AddConstraint(
            model_name="demorefund",
            constraint=models.UniqueConstraint(
                condition=models.Q(("idempotency_key", ""), _negated=True),
                fields=("idempotency_key",),
                name="payments_unique_demo_refund_key",
            ),
        ),
    ]
