"""Whether this outlet can take money at all.

A production outlet that has not chosen a provider runs with ``PAYMENTS_PROVIDER=demo`` and
the demo provider switched off (``MASTHEAD_ALLOW_DEMO_PAYMENTS``), so every checkout would
fail. Reader pages ask here first and leave out the donate prompts and the pay button, or say
plainly that payments are not set up, rather than lead a reader to an error; the deploy check
(``masthead.payments.checks``) tells the operator.
"""

from django.conf import settings


def payments_configured():
    """True when a checkout can be opened: Stripe is configured (settings refuse to start
    with it half-configured), or the demo provider is allowed here."""
    if settings.PAYMENTS_PROVIDER == "demo":
        return bool(settings.MASTHEAD_ALLOW_DEMO_PAYMENTS)
    return True
