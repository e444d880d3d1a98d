"""Link every confirmed subscriber to the Reader for its mailbox, making the Reader where
there is none: a confirmed address was verified by its owner's click. Subscribers whose
addresses reach one mailbox (``Joe@x`` and ``joe+news@x``) share one Reader, as
``readers.identity.verified`` would make them."""

from django.db import migrations

from masthead.core.ratelimit import mailbox

CONFIRMED = "confirmed"
BATCH = 500


def link_confirmed_subscribers(apps, schema_editor):
    """Find or make the Reader of each confirmed subscriber's mailbox and link the two."""
    Reader = apps.get_model("readers", "Reader")
    Subscriber = apps.get_model("newsletter", "Subscriber")
    readers = dict(Reader.objects.values_list("mailbox", "pk"))
    subscribers = (
        Subscriber.objects.filter(status=CONFIRMED, reader__isnull=True)
        .order_by("confirmed_at", "pk")
        .only("pk", "email", "name")
    )
    by_reader = {}
    for subscriber in subscribers.iterator(chunk_size=BATCH):
        box = mailbox(subscriber.email)
        if box not in readers:
            # The first confirmed address of a mailbox is the one the Reader keeps.
            readers[box] = Reader.objects.create(
                email=subscriber.email.strip().lower(), mailbox=box, name=subscriber.name[:150]
            ).pk
        by_reader.setdefault(readers[box], []).append(subscriber.pk)
    for reader_id, subscriber_ids in by_reader.items():
        Subscriber.objects.filter(pk__in=subscriber_ids).update(reader_id=reader_id)


class Migration(migrations.Migration):
    dependencies = [
        ("newsletter", "0004_reader_link_and_erasure"),
        ("readers", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(link_confirmed_subscribers, migrations.RunPython.noop, elidable=True),
    ]
