"""``manage.py check --deploy`` warnings about taking money: none at all (no provider set
up, so the site asks for nothing), or play money (the demo provider allowed, so readers
could "pay" on a page that charges nothing). Registered from ``masthead.payments.wiring``."""

from django.conf import settings
from django.core.checks import Tags, Warning

from masthead.payments.availability import payments_configured


def check_payment_provider(app_configs=None, **kwargs):
    """Warn when readers cannot pay (no provider) or pay with play money (demo allowed)."""
    if not payments_configured():
        return [
            Warning(
                "No payment provider is set up: donate prompts and the shop's Pay button "
                "are hidden, and the donate page says payments are not set up.",
                hint="Set PAYMENTS_PROVIDER=stripe with STRIPE_SECRET_KEY and "
                "STRIPE_WEBHOOK_SECRET.",
                id="masthead.payments.W001",
            )
        ]
    if settings.MASTHEAD_ALLOW_DEMO_PAYMENTS:
        return [
            Warning(
                "MASTHEAD_ALLOW_DEMO_PAYMENTS is on: the demo provider takes pretend "
                "payments that charge nobody.",
                hint="Unset MASTHEAD_ALLOW_DEMO_PAYMENTS and set up Stripe.",
                id="masthead.payments.W002",
            )
        ]
    return []


TAGS = (Tags.security,)
