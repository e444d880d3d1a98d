"""Everything the newsletter plugs into elsewhere, connected once from
``NewsletterConfig.ready()``: bounces and complaints from anymail's tracking webhooks, the
periodic start of due campaigns (and restart of stalled ones), the hourly purge of sign-ups
never confirmed and of old consent evidence (IP address, browser), the page-cache
invalidation for its lists, its share of the demo, and its section of the reader's account
with its share of their personal data."""

from anymail.signals import tracking

from masthead.audience import reports as audience_reports
from masthead.audience.desk import register_desk_panel
from masthead.core.cache_invalidation import invalidate_pages_on_change
from masthead.core.demo import register_demo_part
from masthead.core.metrics import register_collector, register_webhook_endpoint
from masthead.core.scheduler import register_periodic_job
from masthead.core.slots import register_slot
from masthead.newsletter import (
    account,
    campaign_links,
    campaigns,
    consent,
    demo,
    desk,
    metrics,
    reader_data,
    services,
)
from masthead.newsletter.models import Newsletter
from masthead.readers import registry as readers

SIGNUP_FORM = "newsletter/includes/signup_form.html"


def article_signup_position(context):
    """After how many paragraphs an article shows the sign-up form, as the site's
    newsletter settings say (none where there is no request)."""
    request = context.get("request")
    if request is None:
        return 0
    return services.newsletter_settings(request).article_signup_after_paragraph


def connect():
    """Connect the newsletter to anymail's tracking signal and core's registries."""
    tracking.connect(consent.handle_tracking_event, dispatch_uid="masthead-newsletter-tracking")
    register_periodic_job("send-due-campaigns", campaigns.send_due_campaigns)
    register_periodic_job(
        "newsletter.purge-unconfirmed", services.purge_unconfirmed_subscribers, every=3600
    )
    register_periodic_job(
        "newsletter.clear-consent-evidence", services.clear_old_consent_evidence, every=3600
    )
    # The lists are on cached pages (the newsletter page, every sign-up form); subscribers
    # and their consent are reader activity and never are.
    invalidate_pages_on_change(Newsletter)
    register_demo_part(
        "newsletter",
        build=demo.build_demo_part,
        remove=demo.remove_demo,
        is_present=demo.demo_is_present,
    )
    # /metrics: the send rate, and the ESPs' bounce webhooks that fail.
    register_collector("newsletter", metrics.collect)
    register_webhook_endpoint("newsletter:anymail")
    # The reader's account: "Your newsletters", and the newsletter's share of their data.
    readers.register_account_section(account.section)
    readers.register_personal_data(reader_data.share)
    # The Audience dashboards' campaign figures: deliveries and counted clicks.
    audience_reports.register_campaign_source(campaign_links.campaign_facts)
    # Campaigns sending or scheduled on the newsroom's desk (the admin's home).
    register_desk_panel(desk.CAMPAIGNS_PANEL)
    readers.register_not_reader_data(
        "newsletter.NewsletterSettings", "the outlet's own sender address"
    )
    # The sign-up forms in the footer, on the home page and inside articles (each place
    # keeps them live: masthead.core.slots).
    register_slot(
        "footer_signup", SIGNUP_FORM, context={"form_id": "footer-signup", "source": "footer"}
    )
    register_slot("home_signup", SIGNUP_FORM, context={"form_id": "home-signup", "source": "home"})
    register_slot(
        "article_inline",
        "newsletter/includes/article_inline.html",
        position=article_signup_position,
    )
