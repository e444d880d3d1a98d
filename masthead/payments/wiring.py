"""Everything payments plugs into elsewhere, connected once from ``PaymentsConfig.ready()``:
the periodic redaction of the payer's details from old provider events and checkouts, and
the deploy check that money can be taken."""

from django.core.checks import register as register_check

from masthead.core.metrics import register_webhook_endpoint
from masthead.core.scheduler import register_periodic_job
from masthead.payments import checks, retention

# How often each worker looks for provider events and checkouts to redact, in seconds.
FORGET_PAYERS_EVERY = 3600


def connect():
    """Register payments' periodic jobs with core's scheduler."""
    register_periodic_job(
        "payments.forget_payers", retention.forget_payers, every=FORGET_PAYERS_EVERY
    )
    # /metrics counts the deliveries the webhook endpoint refuses or fails.
    register_webhook_endpoint("payments:webhook")
    register_check(checks.check_payment_provider, *checks.TAGS, deploy=True)
