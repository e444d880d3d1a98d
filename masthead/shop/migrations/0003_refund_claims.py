"""Refunds are claimed before the payment provider is asked: a claim's status and lease, and
whether it is the refund of an order being cancelled. Refunds made before this were asked
already. An order line's fulfilment takes the variant's choices."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0002_shop_roles"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderrefund",
            name="cancels_order",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="orderrefund",
            name="lease_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="orderrefund",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Being asked of the payment provider"),
                    ("requested", "Asked of the payment provider"),
                ],
                default="requested",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="orderline",
            name="fulfilment",
            field=models.CharField(
                choices=[
                    ("outlet", "Packed by the outlet"),
                    ("printful", "Printed on demand (Printful)"),
                ],
                default="outlet",
                max_length=20,
            ),
        ),
    ]
