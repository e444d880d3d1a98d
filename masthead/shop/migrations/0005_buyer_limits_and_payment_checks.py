"""Limits per buyer (units of one item per order, unpaid orders per network and per email),
the mailbox each order's address reaches (for per-customer limits), tracking links that
are web addresses only, and the history kind for payment events that do not match.

Existing orders get their mailbox from their email, as the shop now writes it.
"""

import django.core.validators
from django.db import migrations, models

from masthead.core.ratelimit import mailbox


def fill_mailboxes(apps, schema_editor):
    Order = apps.get_model("shop", "Order")
    for order in Order.objects.only("pk", "email").iterator():
        Order.objects.filter(pk=order.pk).update(mailbox=mailbox(order.email)[:254])


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0004_order_event_kinds"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="client_network",
            field=models.CharField(blank=True, db_index=True, max_length=64),
        ),
        migrations.AddField(
            model_name="order",
            name="mailbox",
            field=models.CharField(blank=True, db_index=True, max_length=254),
        ),
        migrations.AddField(
            model_name="shopsettings",
            name="max_units_per_item",
            field=models.PositiveIntegerField(
                default=10,
                help_text="For items whose stock is tracked; items made to order are not limited.",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(99),
                ],
                verbose_name="most units of one item per order",
            ),
        ),
        migrations.AddField(
            model_name="shopsettings",
            name="max_unpaid_orders_per_email",
            field=models.PositiveIntegerField(
                default=3,
                help_text="How many orders holding stock may wait for payment at once for one email.",
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="unpaid orders per email address",
            ),
        ),
        migrations.AddField(
            model_name="shopsettings",
            name="max_unpaid_orders_per_network",
            field=models.PositiveIntegerField(
                default=3,
                help_text="How many orders holding stock may wait for payment at once from one IP address (for IPv6, one /64 network).",
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="unpaid orders per internet connection",
            ),
        ),
        migrations.AlterField(
            model_name="orderevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("checkout_started", "Checkout started"),
                    ("checkout_failed", "Checkout could not be opened"),
                    ("checkout_replaced", "Replaced by a newer checkout"),
                    ("checkout_abandoned", "Payment page left"),
                    ("hold_expired", "Time to pay ran out"),
                    ("payment_settling", "Payment being processed"),
                    ("payment_other_checkout", "Payment for another checkout"),
                    ("paid", "Paid"),
                    ("paid_late", "Paid after the hold ran out"),
                    ("paid_late_sold_out", "Paid after the items sold out"),
                    ("amount_mismatch", "Amount paid differs from the total"),
                    ("payment_mismatch", "Payment event not matching the order"),
                    ("payment_failed", "Payment attempt failed"),
                    ("dispute_opened", "Dispute opened"),
                    ("confirmation_resent", "Confirmation sent again"),
                    ("dispatched", "Dispatched"),
                    ("refund_requested", "Refund asked"),
                    ("refund_refused", "Refund refused"),
                    ("refunds_confirmed", "Refunds confirmed"),
                    ("cancelled", "Cancelled"),
                    ("print_not_configured", "Print on demand not configured"),
                    ("print_submitted", "Sent for printing"),
                    ("print_refused", "Printing refused"),
                    ("print_status", "Printing status changed"),
                    ("note", "Note"),
                ],
                max_length=30,
            ),
        ),
        migrations.AlterField(
            model_name="shipment",
            name="tracking_url",
            field=models.URLField(
                blank=True,
                max_length=500,
                validators=[django.core.validators.URLValidator(schemes=["http", "https"])],
                verbose_name="tracking link",
            ),
        ),
        migrations.RunPython(fill_mailboxes, migrations.RunPython.noop),
    ]
