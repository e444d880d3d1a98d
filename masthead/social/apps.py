from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialConfig(AppConfig):
    """The outlet on the social web: ActivityPub actors, inboxes, outbox and delivery."""

    name = "masthead.social"
    label = "social"
    verbose_name = _("Social web")

    def ready(self):
        from masthead.social import wiring

        wiring.connect()
