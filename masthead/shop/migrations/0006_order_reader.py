"""Orders belong to a reader: ``Order.reader`` (set when an order is paid, or when its buyer
signs in) and ``Order.personal_data_erased_at``; then every order already paid is linked to
the Reader for its address's mailbox, made if there is none yet (one Reader per mailbox, as
``masthead.readers.identity`` keeps them), together with every other order to that mailbox."""

import django.db.models.deletion
from django.db import migrations, models

from masthead.core.ratelimit import mailbox


def link_paid_orders(apps, schema_editor):
    """Find or make the Reader of every paid order's mailbox, and link every order (paid or
    not) whose mailbox has a Reader. Running it again changes nothing."""
    Order = apps.get_model("shop", "Order")
    Reader = apps.get_model("readers", "Reader")
    paid = (
        Order.objects.filter(paid_at__isnull=False)
        .exclude(email="")
        .order_by("paid_at", "pk")
        .values_list("email", "full_name")
    )
    readers = {}
    for email, full_name in paid.iterator():
        box = mailbox(email)
        if not box or box in readers:
            continue
        reader = Reader.objects.filter(mailbox=box).first()
        if reader is None:
            reader = Reader.objects.create(
                email=email.strip().lower(), mailbox=box, name=(full_name or "")[:150]
            )
        readers[box] = reader
    for order in Order.objects.filter(reader__isnull=True).exclude(email="").iterator():
        box = mailbox(order.email)
        if box not in readers:
            readers[box] = Reader.objects.filter(mailbox=box).first()
        reader = readers[box]
        if reader is not None:
            Order.objects.filter(pk=order.pk).update(reader=reader)


class Migration(migrations.Migration):
    dependencies = [
        ("readers", "0001_initial"),
        ("shop", "0005_buyer_limits_and_payment_checks"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="personal_data_erased_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="personal details erased"
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="reader",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="orders",
                to="readers.reader",
                verbose_name="reader",
            ),
        ),
        migrations.RunPython(link_paid_orders, migrations.RunPython.noop, elidable=True),
    ]
