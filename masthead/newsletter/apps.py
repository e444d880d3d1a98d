from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    """Subscribers, consent records, newsletters, campaigns and the sending engine."""

    name = "masthead.newsletter"
    label = "newsletter"
    verbose_name = "Newsletter"

    def ready(self):
        from masthead.newsletter import signals

        signals.connect()
