"""The newsletter's share of the demo outlet: the lists readers can join."""

from wagtail.models import Site

from masthead.newsletter.models import Newsletter, NewsletterSettings

DEMO_NEWSLETTERS = [
    (
        "daily-briefing",
        "Daily briefing",
        "The day's local stories, every weekday morning at seven.",
    ),
    ("weekly-digest", "Weekly digest", "The week's best reporting and analysis, on Saturdays."),
    (
        "campaign-news",
        "Campaign news",
        "Occasional news about our fundraising and events. A few times a year.",
    ),
]


def demo_is_present():
    return Newsletter.objects.filter(slug=DEMO_NEWSLETTERS[0][0]).exists()


def build_demo_part():
    """Create the demo newsletters and the sign-up wording; say what was built."""
    for order, (slug, name, description) in enumerate(DEMO_NEWSLETTERS):
        Newsletter.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "description": description, "sort_order": order},
        )
    site = Site.objects.get(is_default_site=True)
    settings = NewsletterSettings.for_site(site)
    settings.from_name = "The Riverside Ledger"
    settings.postal_address = "The Riverside Ledger, 4 Quay Street, Wennmouth (a fictional town)"
    settings.save()
    return f"Built {len(DEMO_NEWSLETTERS)} demo newsletters."


def remove_demo():
    """Delete the demo newsletters (with their subscriptions and campaigns' links)."""
    Newsletter.objects.filter(slug__in=[slug for slug, _name, _text in DEMO_NEWSLETTERS]).delete()
