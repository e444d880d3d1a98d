from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DonationsConfig(AppConfig):
    """Readers' one-off and monthly donations, donor self-service, receipts and the
    funding-transparency page."""

    name = "masthead.donations"
    label = "donations"
    verbose_name = _("Donations")

    def ready(self):
        from masthead.core.cache_invalidation import invalidate_pages_on_change
        from masthead.core.demo import register_demo_part
        from masthead.donations import demo, services
        from masthead.donations.models import CostCategory, FundingGoal, MonthlyCost
        from masthead.payments.registry import register_handler

        register_handler("donation", services.handle_payment_event)
        # Costs and goals appear on cached pages (the funding bar); donations themselves do
        # not invalidate anything, or every gift would empty the cache for every reader.
        invalidate_pages_on_change(CostCategory, FundingGoal, MonthlyCost)
        register_demo_part(
            "donations",
            build=demo.build_demo_part,
            remove=demo.remove_demo,
            is_present=demo.demo_is_present,
        )
