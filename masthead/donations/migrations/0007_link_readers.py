"""Link the gifts made before readers existed to their Reader: every address that paid a
gift or started a monthly gift has been verified, so it gets a Reader (one per mailbox,
found if another app's migration made it first), and every donation and monthly gift under
that mailbox is linked to it."""

from django.db import migrations

from masthead.core.ratelimit import mailbox

PAID = ("paid", "refunded")


def _verified_addresses(Donation, RecurringDonation):
    """The first address seen for each verified mailbox, oldest gift first."""
    addresses = {}
    paid = Donation.objects.filter(status__in=PAID).exclude(email="").order_by("pk")
    started = RecurringDonation.objects.filter(started_at__isnull=False).exclude(email="")
    for row in [*paid.only("email"), *started.order_by("pk").only("email")]:
        addresses.setdefault(mailbox(row.email), row.email.strip().lower())
    return addresses


def link_readers(apps, schema_editor):
    Reader = apps.get_model("readers", "Reader")
    Donation = apps.get_model("donations", "Donation")
    RecurringDonation = apps.get_model("donations", "RecurringDonation")
    readers = {}
    for box, address in _verified_addresses(Donation, RecurringDonation).items():
        readers[box], _created = Reader.objects.get_or_create(
            mailbox=box, defaults={"email": address}
        )
    for model in (Donation, RecurringDonation):
        for row in model.objects.filter(reader__isnull=True).exclude(email="").only("email"):
            reader = readers.get(mailbox(row.email))
            if reader is not None:
                model.objects.filter(pk=row.pk).update(reader=reader)


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0006_reader_links"),
        ("readers", "0001_initial"),
    ]

    operations = [migrations.RunPython(link_readers, migrations.RunPython.noop, elidable=True)]
