from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DonationsConfig(AppConfig):
    """Readers' one-off and monthly donations, donor self-service, receipts and the
    funding-transparency page."""

    name = "masthead.donations"
    label = "donations"
    verbose_name = _("Donations")

    def ready(self):
        from masthead.core.signals import invalidate_pages_on_change
        from masthead.donations import services
        from masthead.donations.models import CostCategory, FundingGoal, MonthlyCost
        from masthead.payments.registry import register_handler

        register_handler("donation", services.handle_payment_event)
        # Costs and goals appear on cached pages (the funding bar); donations themselves do
        # not invalidate anything, or every gift would empty the cache for every reader.
        invalidate_pages_on_change(CostCategory, FundingGoal, MonthlyCost)
