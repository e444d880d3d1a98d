from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared pieces: site settings, base templates, page cache, shared blocks."""

    name = "masthead.core"
    label = "core"
    verbose_name = "Masthead core"

    def ready(self):
        from masthead.core import wiring

        wiring.connect()
