"""Everything donations plug into elsewhere, connected once from ``DonationsConfig.ready()``:
the payment-event handler, the periodic retry of stalled receipts and trimming of unpaid
gifts, the page-cache invalidation for costs and goals, the reader's account section and
data share (payments' too), and its share of the demo."""

from masthead.audience.desk import register_desk_panel
from masthead.core.cache_invalidation import invalidate_pages_on_change
from masthead.core.demo import register_demo_part
from masthead.core.scheduler import register_periodic_job
from masthead.core.slots import register_slot
from masthead.donations import account, demo, desk, payment_events, reader_data, retention, tasks
from masthead.donations.checkout import PURPOSE
from masthead.donations.models import CostCategory, FundingGoal, MonthlyCost
from masthead.payments.registry import register_handler
from masthead.readers.registry import register_account_section, register_personal_data

# How often each worker looks for receipts whose sender died, in seconds.
STALLED_RECEIPTS_EVERY = 60
# How often each worker trims the personal details of gifts never paid, in seconds.
TRIM_UNPAID_EVERY = 3600


DONATE_PROMPT = "donations/includes/donate_prompt.html"
FUNDING_BAR = "donations/includes/funding_bar.html"


def connect():
    """Register donations with the payments handler registry and core's registries."""
    register_handler(PURPOSE, payment_events.handle_payment_event)
    register_periodic_job(
        "donations.retry_stalled_receipts",
        tasks.retry_stalled_receipts,
        every=STALLED_RECEIPTS_EVERY,
    )
    register_periodic_job(
        "donations.trim_unpaid_gifts", retention.trim_unpaid_gifts, every=TRIM_UNPAID_EVERY
    )
    register_periodic_job(
        "donations.forget_lapsed_donors", reader_data.forget_lapsed_donors, every=24 * 3600
    )
    # Costs and goals appear on cached pages (the funding bar); donations themselves do
    # not invalidate anything, or every gift would empty the cache for every reader.
    invalidate_pages_on_change(CostCategory, FundingGoal, MonthlyCost)
    # The reader's account: "Your support", and donations' and payments' share of their data
    # (payments sits below readers and cannot register itself).
    register_account_section(account.SECTION)
    register_personal_data(reader_data.PAYMENTS_SHARE)
    register_personal_data(reader_data.DONATIONS_SHARE)
    # This month's funding and new supporters on the newsroom's desk (the admin's home).
    register_desk_panel(desk.FUNDING_PANEL)
    register_desk_panel(desk.SUPPORTERS_PANEL)
    register_demo_part(
        "donations",
        build=demo.build_demo_part,
        remove=demo.remove_demo,
        is_present=demo.demo_is_present,
    )
    # The donate prompt and the funding bar at the end of articles and on the home page
    # (masthead.core.slots).
    register_slot("article_support", DONATE_PROMPT, context={"id": "article-donate"})
    register_slot("article_funding", FUNDING_BAR, context={"id": "article-funding"})
    register_slot("home_support", DONATE_PROMPT, context={"id": "home-donate"})
    register_slot("home_funding", FUNDING_BAR, context={"id": "home-funding"})
