from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransferConfig(AppConfig):
    """Moving in and moving out: importers from WordPress, Ghost and Substack (and from a
    Masthead export), and the export of everything the outlet holds."""

    name = "masthead.transfer"
    label = "transfer"
    verbose_name = _("Import and export")

    def ready(self):
        from masthead.transfer import wiring

        wiring.connect()
