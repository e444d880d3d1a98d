from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    """Subscribers, consent records, newsletters, campaigns and the sending engine."""

    name = "masthead.newsletter"
    label = "newsletter"
    verbose_name = "Newsletter"

    def ready(self):
        from masthead.core.demo import register_demo_part
        from masthead.core.scheduler import register_periodic_job
        from masthead.newsletter import demo, signals
        from masthead.newsletter.campaigns import send_due_campaigns

        signals.connect()
        register_periodic_job("send-due-campaigns", send_due_campaigns)
        register_demo_part(
            "newsletter",
            build=demo.build_demo_part,
            remove=demo.remove_demo,
            is_present=demo.demo_is_present,
        )
