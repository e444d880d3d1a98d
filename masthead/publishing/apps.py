from django.apps import AppConfig


class PublishingConfig(AppConfig):
    """The publication: home, section, article and author pages, feeds and corrections."""

    name = "masthead.publishing"
    label = "publishing"
    verbose_name = "Publishing"

    def ready(self):
        from masthead.publishing import wiring

        wiring.connect()
