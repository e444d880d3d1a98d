"""A gift's history for editors: refused payment events and changes of monthly amount are
written here as a kind and its particulars; the sentence is made when the history is shown
(``DonationEvent.message``), in the language of whoever reads it."""

from masthead.donations.models import DonationEvent


def record(kind, *, donation=None, recurring=None, **parameters):
    """Add an entry of ``kind`` (a ``DonationEvent.Kind``) to the history of a donation,
    a monthly supporter, or both. ``parameters`` must be JSON: amounts in minor units with
    their currency, ids, never an email address or text already formatted or translated."""
    return DonationEvent.objects.create(
        donation=donation, recurring=recurring, kind=kind, parameters=parameters
    )


def agreed_amounts(recurring):
    """Every monthly amount agreed for a supporter's subscription: the current one and each
    one it was changed from. A renewal invoice raised (or retried) before a change may be
    paid after it, at the amount agreed then."""
    previous = recurring.events.filter(kind=DonationEvent.Kind.AMOUNT_CHANGED).values_list(
        "parameters", flat=True
    )
    return sorted({recurring.amount, *(entry["previous"] for entry in previous)})


def record_amount_change(recurring, previous, by):
    """Note that a (locked) supporter's monthly amount changed from ``previous`` to its
    current amount, ``by`` "donor" (their own page) or "provider" (its update event)."""
    if previous == recurring.amount:
        return None
    return record(
        DonationEvent.Kind.AMOUNT_CHANGED,
        recurring=recurring,
        previous=previous,
        amount=recurring.amount,
        currency=recurring.currency,
        by=by,
    )
