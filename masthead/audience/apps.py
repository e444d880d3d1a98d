from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AudienceConfig(AppConfig):
    """Counting visits without cookies or third parties, rolling them up, attributing
    sign-ups, gifts and orders to the stories that brought them, and the newsroom's
    dashboards."""

    name = "masthead.audience"
    label = "audience"
    verbose_name = _("Audience")

    def ready(self):
        from masthead.audience import wiring

        wiring.connect()
