"""Sending a paid order's print-on-demand lines to the provider (Printful) and noting the
answer on the order. The provider client (``fulfilment.printful``) only talks HTTP; what its
webhooks report later is applied by ``orders.apply_fulfilment_updates``."""

from django.db import transaction

from masthead.shop import history
from masthead.shop.fulfilment.base import FulfilmentError
from masthead.shop.fulfilment.printful import PrintfulProvider
from masthead.shop.models import Order, OrderEvent, Variant


def submit_order(order_id, provider=None, *, user=None):
    """Send a paid order's print-on-demand lines to Printful, once; returns Printful's order
    id (None when Printful is not configured or the order needs nothing from it). ``user``
    is the editor who pressed "send" (``actions.SendToPrintful``), kept in the history; none
    for the task that sends a paid order.

    Safe to run again at any time (a retried task, the admin's "send again" button): an
    order already sent is found by its number, never posted twice. A refusal or network
    failure is written to the order's history and raised, so the task shows as failed.
    No transaction is open while Printful is called.
    """
    order = Order.objects.filter(pk=order_id, paid_at__isnull=False).first()
    if order is None or order.status == Order.Status.CANCELLED:
        return None
    if order.pod_order_id:
        return order.pod_order_id
    if not order.lines.filter(fulfilment=Variant.Fulfilment.PRINTFUL).exists():
        return None
    provider = provider or PrintfulProvider.from_settings()
    if not provider.api_key:
        history.record(order, OrderEvent.Kind.PRINT_NOT_CONFIGURED, user=user)
        return None
    try:
        external_id = provider.submit(order)
    except FulfilmentError as error:
        history.record(order, OrderEvent.Kind.PRINT_REFUSED, user=user, error=str(error))
        raise
    status = Order.PrintStatus.CONFIRMED if provider.confirm else Order.PrintStatus.DRAFT
    with transaction.atomic():
        updated = Order.objects.filter(pk=order.pk, pod_order_id="").update(
            pod_provider=provider.name, pod_order_id=external_id, pod_status=status
        )
        if updated:
            history.record(
                order,
                OrderEvent.Kind.PRINT_SUBMITTED,
                user=user,
                id=external_id,
                draft=not provider.confirm,
            )
    return external_id
