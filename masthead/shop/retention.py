"""Personal data of orders that were never paid, kept no longer than needed: the reader's
email, name, address and phone go once a checkout has ended unpaid for
``SHOP_UNPAID_RETENTION_DAYS``; what was ordered, the amounts and the country stay for the
shop's figures."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from masthead.shop.models import Order

PERSONAL_FIELDS = (
    "email",
    "mailbox",
    "client_network",
    "full_name",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postcode",
    "phone",
)


def trim_unpaid_orders(now=None):
    """Blank the personal fields of orders that expired or were cancelled without ever being
    paid, once ``SHOP_UNPAID_RETENTION_DAYS`` have passed since they were made. Returns how
    many orders were trimmed; running it again changes nothing."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SHOP_UNPAID_RETENTION_DAYS)
    return (
        Order.objects.filter(
            status__in=[Order.Status.EXPIRED, Order.Status.CANCELLED],
            paid_at__isnull=True,
            created_at__lt=cutoff,
        )
        .exclude(email="", full_name="", address_line1="", phone="")
        .update(**dict.fromkeys(PERSONAL_FIELDS, ""))
    )
