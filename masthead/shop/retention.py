"""How long the shop keeps a buyer's personal data, and how it removes it.

- Orders never paid lose the reader's email, name, address and phone once a checkout has
  ended unpaid for ``SHOP_UNPAID_RETENTION_DAYS``; what was ordered, the amounts and the
  country stay for the shop's figures.
- Paid orders keep them for ``SHOP_ORDER_ADDRESS_YEARS`` (UK accounting records are kept
  for 6 years), then are anonymised the way an erasure anonymises them
  (``anonymise_orders``): the figures, items and country stay; the buyer, the parcels'
  tracking, refund reasons and every free text or personal value in the history go.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from masthead.core.retention import years_before
from masthead.shop.models import Order, OrderEvent, OrderRefund, Shipment

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

# Orders anonymised per run of the periodic job (the rest wait for the next run).
BATCH = 500

# History particulars that are free text (an editor's note or reason, a provider's error)
# or that lead to the parcel: removed on erasure. Amounts, currencies, item lists, kinds and
# provider references stay, for the accounts.
EVENT_FREE_TEXT = ("text", "reason", "error", "tracking_number", "tracking_url")


# What identifies a buyer if it turns up in a history particular. The town and region alone
# do not, and would match product names ("Riverside map poster").
IDENTIFYING_FIELDS = tuple(name for name in PERSONAL_FIELDS if name not in ("city", "region"))


def _identifiers(order_rows):
    """The identifying values of the orders, lower case, for finding them in the history."""
    values = set()
    for row in order_rows:
        for name in IDENTIFYING_FIELDS:
            value = (row.get(name) or "").strip().lower()
            if len(value) >= 3:
                values.add(value)
    return values


def _scrubbed(value, identifiers):
    """A history particular without anything personal in it."""
    if isinstance(value, str):
        lowered = value.lower()
        return "" if any(item in lowered for item in identifiers) else value
    if isinstance(value, list):
        return [_scrubbed(item, identifiers) for item in value]
    if isinstance(value, dict):
        return {key: _scrubbed(item, identifiers) for key, item in value.items()}
    return value


def scrub_history(order_ids, identifiers):
    """Remove free text, tracking and any personal value from the orders' history."""
    for event in OrderEvent.objects.filter(order_id__in=order_ids):
        parameters = {
            key: ("" if key in EVENT_FREE_TEXT else _scrubbed(value, identifiers))
            for key, value in (event.parameters or {}).items()
        }
        if parameters != event.parameters:
            OrderEvent.objects.filter(pk=event.pk).update(parameters=parameters)


def anonymise_orders(order_ids, now=None):
    """Remove the buyer from the orders ``order_ids``, keeping what the accounts need (see
    the module docstring); they are no longer linked to a reader. Returns how many orders
    changed."""
    now = now or timezone.now()
    rows = list(Order.objects.filter(pk__in=order_ids).values(*PERSONAL_FIELDS))
    changed = Order.objects.filter(pk__in=order_ids).update(
        **dict.fromkeys(PERSONAL_FIELDS, ""),
        reader=None,
        personal_data_erased_at=now,
        updated_at=now,
    )
    Shipment.objects.filter(order_id__in=order_ids).update(tracking_number="", tracking_url="")
    OrderRefund.objects.filter(order_id__in=order_ids).update(reason="")
    scrub_history(order_ids, _identifiers(rows))
    return changed


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


def anonymise_old_orders(now=None):
    """Anonymise the paid orders made more than ``SHOP_ORDER_ADDRESS_YEARS`` years ago that
    still hold their buyer's details, a batch at a time. Returns how many changed; running
    it again changes nothing."""
    now = now or timezone.now()
    cutoff = years_before(now, settings.SHOP_ORDER_ADDRESS_YEARS)
    due = list(
        Order.objects.filter(
            created_at__lt=cutoff,
            paid_at__isnull=False,
            personal_data_erased_at__isnull=True,
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    return anonymise_orders(due, now) if due else 0
