from django.apps import AppConfig


class PublishingConfig(AppConfig):
    """The publication: home, section, article and author pages, feeds and corrections."""

    name = "masthead.publishing"
    label = "publishing"
    verbose_name = "Publishing"

    def ready(self):
        from masthead.core.scheduler import register_periodic_job
        from masthead.publishing.services import publish_due_pages

        register_periodic_job("publish-due-pages", publish_due_pages)
