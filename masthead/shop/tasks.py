"""The shop's background tasks: the emails a reader gets about an order, sending print-on-
demand lines to the provider, ending a payment page early, and asking the provider for a
claimed refund. The services enqueue them only after their transaction commits; each is
safe to run twice (the email is claimed, the provider is asked with an idempotency key)."""

import logging

from django_tasks import task

from masthead.payments import services as payments
from masthead.payments.providers.base import PaymentProviderError
from masthead.shop import emails, print_on_demand, refunds

logger = logging.getLogger("masthead.shop")


@task()
def send_confirmation_task(order_id):
    """The order confirmation (sent at most once)."""
    return emails.send_confirmation(order_id)


@task()
def send_dispatch_task(shipment_id):
    """The dispatch email for one shipment (sent at most once)."""
    return emails.send_dispatch(shipment_id)


@task()
def send_refund_task(order_id):
    """The refund email (each confirmed refund announced once)."""
    return emails.send_refund(order_id)


@task()
def send_cancellation_task(order_id, reason="", refunded=0):
    """The cancellation email."""
    return emails.send_cancellation(order_id, reason, refunded)


@task()
def submit_print_on_demand_task(order_id):
    """Send a paid order's print-on-demand lines to the provider. Safe to run again: the
    provider is asked first whether it already has the order."""
    return print_on_demand.submit_order(order_id)


@task()
def end_provider_checkout_task(provider_name, checkout_id):
    """End a checkout at the provider; one that is no longer open (paid, expired) is left
    as it is."""
    try:
        payments.expire_checkout(checkout_id, provider_name=provider_name)
    except (PaymentProviderError, payments.PaymentsUnavailable) as error:
        logger.info("Checkout %s was not ended: %s", checkout_id, error)


@task()
def request_refund_task(refund_id):
    """Ask the provider for a claimed refund (one the shop made itself, or one whose asker
    died) and, when that completed a cancellation, email the reader about it. True when
    the provider took the refund now."""
    outcome = refunds.request(refund_id)
    if outcome.cancelled:
        send_cancellation_task.enqueue(
            outcome.refund.order_id, outcome.refund.reason, outcome.refund.amount
        )
    return outcome.requested
