"""An order's history: every service that changes an order writes what happened here, as a
kind and its particulars; the sentence is made when the history is shown
(``OrderEvent.message``), in the language of whoever reads it."""

from masthead.shop.models import OrderEvent


def record(order, kind, *, user=None, **parameters):
    """Add an event of ``kind`` (an ``OrderEvent.Kind``) to the order's history, with the
    editor who caused it (none for the reader, the provider or the shop itself).
    ``parameters`` must be JSON: amounts in minor units with their currency, never text
    already formatted or translated."""
    if user is not None and not user.is_authenticated:
        user = None
    return OrderEvent.objects.create(order=order, kind=kind, parameters=parameters, user=user)
