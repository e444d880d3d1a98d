from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """Taking money: the provider interface, Stripe and the offline demo provider, the webhook
    endpoints and their event log. Domains register handlers for their purpose; this app
    imports none of them."""

    name = "masthead.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self):
        from masthead.payments import wiring

        wiring.connect()
