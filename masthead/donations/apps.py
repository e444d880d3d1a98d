from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DonationsConfig(AppConfig):
    """Readers' one-off and monthly donations, donor self-service, receipts and the
    funding-transparency page."""

    name = "masthead.donations"
    label = "donations"
    verbose_name = _("Donations")

    def ready(self):
        from masthead.donations import wiring

        wiring.connect()
