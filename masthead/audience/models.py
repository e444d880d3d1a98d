"""What audience keeps: raw hits for a few days, their hourly and daily roll-ups, and
conversions (a sign-up, a gift, an order) with the story and the visit that led to them.

Nothing here identifies a person. A hit's ``visitor`` is a keyed hash of a secret that
changes every day (kept only in the cache, never in the database), the site, the IP address
and the user agent, so it tells two hits of one visitor apart from others on one day and
nothing else; the IP address and the user agent themselves are never stored.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReferrerKind(models.TextChoices):
    DIRECT = "direct", _("Direct")
    INTERNAL = "internal", _("This site")
    SEARCH = "search", _("Search engine")
    SOCIAL = "social", _("Social network")
    NEWSLETTER = "newsletter", _("Newsletter")
    OTHER = "other", _("Other site")


class Device(models.TextChoices):
    DESKTOP = "desktop", _("Desktop")
    MOBILE = "mobile", _("Mobile")
    TABLET = "tablet", _("Tablet")


class Hit(models.Model):
    """One page view, or one read-through (the reader reached the end of an article), as
    the hit endpoint received it. Append-only; rolled up, then deleted after
    AUDIENCE_RAW_DAYS."""

    class Kind(models.TextChoices):
        VIEW = "view", _("View")
        READ = "read", _("Read to the end")

    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=4, choices=Kind.choices, default=Kind.VIEW)
    site_id = models.PositiveIntegerField(default=0)
    path = models.CharField(max_length=500)
    page_id = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    visitor = models.CharField(
        max_length=32, blank=True, help_text=_("Blank when the browser asked not to be tracked.")
    )
    referrer = models.CharField(
        max_length=200, blank=True, help_text=_("A host, or a search engine's or network's name.")
    )
    referrer_kind = models.CharField(
        max_length=10, choices=ReferrerKind.choices, default=ReferrerKind.DIRECT
    )
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    campaign_id = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("The newsletter campaign a link came from.")
    )
    device = models.CharField(max_length=7, choices=Device.choices, default=Device.DESKTOP)
    country = models.CharField(max_length=2, blank=True)

    class Meta:
        indexes = [models.Index(fields=["visitor", "at"])]

    def __str__(self):
        return f"{self.kind} {self.path} {self.at:%Y-%m-%d %H:%M}"


class PageHour(models.Model):
    """Views, visitors and read-throughs of one page in one hour."""

    hour = models.DateTimeField()
    site_id = models.PositiveIntegerField(default=0)
    path = models.CharField(max_length=500)
    page_id = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    views = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)
    reads = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hour", "site_id", "path"], name="audience_page_hour")
        ]

    def __str__(self):
        return f"{self.path} {self.hour:%Y-%m-%d %H}h"


class PageDay(models.Model):
    """Views, unique visitors (one per visitor id per day) and read-throughs of one page on
    one day."""

    day = models.DateField()
    site_id = models.PositiveIntegerField(default=0)
    path = models.CharField(max_length=500)
    page_id = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    views = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)
    reads = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "site_id", "path"], name="audience_page_day")
        ]
        # The Audience area's permission (all figures, money included); Contributors
        # without it see their own articles' figures only.
        permissions = [("view_audience", _("Can see every article's audience figures"))]

    def __str__(self):
        return f"{self.path} {self.day}"


class ReferrerDay(models.Model):
    """Views and visitors that came from one referrer on one day."""

    day = models.DateField()
    site_id = models.PositiveIntegerField(default=0)
    referrer = models.CharField(max_length=200, blank=True)
    referrer_kind = models.CharField(max_length=10, choices=ReferrerKind.choices)
    views = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "site_id", "referrer", "referrer_kind"], name="audience_referrer_day"
            )
        ]

    def __str__(self):
        return f"{self.referrer or self.referrer_kind} {self.day}"


class CampaignDay(models.Model):
    """Views and visitors that came from one campaign on one day: a newsletter campaign
    (``campaign_id``) or a UTM source/medium/campaign."""

    day = models.DateField()
    site_id = models.PositiveIntegerField(default=0)
    campaign_id = models.PositiveIntegerField(
        default=0, help_text=_("The newsletter campaign; 0 for none.")
    )
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    views = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "day",
                    "site_id",
                    "campaign_id",
                    "utm_source",
                    "utm_medium",
                    "utm_campaign",
                ],
                name="audience_campaign_day",
            )
        ]

    def __str__(self):
        return f"{self.utm_campaign or self.campaign_id} {self.day}"


class Conversion(models.Model):
    """A reader did something that matters (signed up, gave, ordered), with the article
    they came from and the visit's entry referrer and campaign. Names no one: the thing
    done is known by its app's reference (``source`` + ``reference``)."""

    class Kind(models.TextChoices):
        SIGNUP = "signup", _("Newsletter sign-up")
        DONATION = "donation", _("One-off gift")
        MONTHLY = "monthly", _("New monthly supporter")
        ORDER = "order", _("Shop order")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    source = models.CharField(max_length=60, help_text=_("e.g. donations.Donation"))
    reference = models.CharField(max_length=64)
    started_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text=_("Confirmed, paid: when it counts.")
    )
    amount = models.PositiveIntegerField(default=0, help_text=_("In minor units."))
    currency = models.CharField(max_length=3, blank=True)
    site_id = models.PositiveIntegerField(default=0)
    acted_path = models.CharField(max_length=500, blank=True)
    article_id = models.PositiveIntegerField(
        null=True, blank=True, db_index=True, help_text=_("The last article read in the visit.")
    )
    entry_referrer = models.CharField(max_length=200, blank=True)
    entry_referrer_kind = models.CharField(max_length=10, choices=ReferrerKind.choices, blank=True)
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    campaign_id = models.PositiveIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "reference", "kind"], name="audience_conversion_once"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d}"
