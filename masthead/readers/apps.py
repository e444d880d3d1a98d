from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReadersConfig(AppConfig):
    """One reader identity across newsletters, support and orders: passwordless sign-in,
    the account page, and the reader's data rights (a copy of their data, erasure)."""

    name = "masthead.readers"
    label = "readers"
    verbose_name = _("Readers")

    def ready(self):
        from masthead.readers import wiring

        wiring.connect()
