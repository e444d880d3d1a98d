from django.apps import AppConfig


class PublishingConfig(AppConfig):
    """The publication: home, section, article and author pages, feeds and corrections."""

    name = "masthead.publishing"
    label = "publishing"
    verbose_name = "Publishing"

    def ready(self):
        from masthead.core.demo import register_demo_part
        from masthead.core.scheduler import register_periodic_job
        from masthead.publishing.demo.builder import build_demo_part, demo_is_present, remove_demo
        from masthead.publishing.services import publish_due_pages

        register_periodic_job("publish-due-pages", publish_due_pages)
        register_demo_part(
            "publishing", build=build_demo_part, remove=remove_demo, is_present=demo_is_present
        )
