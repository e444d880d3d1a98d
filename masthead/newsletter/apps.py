from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsletterConfig(AppConfig):
    """Subscribers, consent records, newsletters, campaigns and the sending engine."""

    name = "masthead.newsletter"
    label = "newsletter"
    verbose_name = _("Newsletter")

    def ready(self):
        from masthead.newsletter import wiring

        wiring.connect()
