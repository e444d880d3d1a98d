"""Links in campaign emails: each link to this site carries ``mh_campaign=<campaign id>``,
so the visits (and the sign-ups, gifts and orders) a campaign brings are attributed to it;
and, when every newsletter the campaign goes to counts clicks, those links go through a
first-party redirect (``/newsletter/c/<signed token>/``) that counts a click per link.

Links to any other site are never changed: no reader is sent through a tracker, and no
third party learns anything. The redirect only goes to a URL signed into a campaign's
email at render time (its token holds the campaign and the URL, signed with the site's
key), so it can never be used as an open redirect. Clicks are counted per link, not per
reader or delivery, so nothing here says who clicked; mail scanners that follow links
inflate the count somewhat, as in every click counter.
"""

import html
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core import signing
from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from masthead.audience.reports import CampaignFacts
from masthead.newsletter.models import Campaign, CampaignLinkClick, Delivery

CAMPAIGN_PARAMETER = "mh_campaign"
CLICK_SALT = "masthead.newsletter.click"
MAX_URL = 2000

_HREF = re.compile(r'(<a\s[^>]*?href=")([^"]+)(")', re.IGNORECASE)
_TEXT_URL = re.compile(r"https?://[^\s<>\"'()]+")


class ClickLinkInvalid(Exception):
    """A click token that this site did not sign, or whose campaign is gone."""


def own_hosts():
    """The host names of this site (SITE_URL and Wagtail's sites)."""
    hosts = {urlsplit(settings.SITE_URL).hostname or ""}
    hosts.update(Site.objects.values_list("hostname", flat=True))
    hosts.discard("")
    return {host.lower() for host in hosts}


def is_own_link(url, hosts):
    """Whether ``url`` is an absolute http(s) link to this site."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and (parts.hostname or "").lower() in hosts


def tagged(url, campaign_id):
    """``url`` with ``mh_campaign=<campaign_id>`` in its query (replacing any other value)."""
    parts = urlsplit(url)
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name != CAMPAIGN_PARAMETER
    ]
    query.append((CAMPAIGN_PARAMETER, str(campaign_id)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def click_path(campaign_id, url):
    """The redirect path that counts one click on ``url`` in the campaign."""
    token = signing.dumps({"c": campaign_id, "u": url}, salt=CLICK_SALT, compress=True)
    return reverse("newsletter:click", args=[token])


def read_click_token(token):
    """(campaign id, URL) from a click token, or ClickLinkInvalid."""
    try:
        data = signing.loads(token, salt=CLICK_SALT)
    except signing.BadSignature as error:
        raise ClickLinkInvalid from error
    if not isinstance(data, dict):
        raise ClickLinkInvalid
    campaign_id, url = data.get("c"), data.get("u")
    if not isinstance(campaign_id, int) or not isinstance(url, str) or len(url) > MAX_URL:
        raise ClickLinkInvalid
    return campaign_id, url


def counts_clicks(campaign):
    """Clicks are counted only when every newsletter the campaign goes to asks for it, so
    a reader of a newsletter that does not count clicks never gets a counted link."""
    return _all_count_clicks(campaign)


def _all_count_clicks(campaign):
    newsletters = [newsletter.count_clicks for newsletter in campaign.newsletters.all()]
    return bool(newsletters) and all(newsletters)


class LinkRewriter:
    """Rewrites the links to this site in one campaign's rendered email."""

    def __init__(self, campaign):
        self.campaign_id = campaign.pk
        self.count_clicks = counts_clicks(campaign)
        self.hosts = own_hosts()

    def rewrite(self, url):
        """The link as the email carries it: tagged, and through the counter if asked;
        anything not an absolute link to this site is returned as it was."""
        if len(url) > MAX_URL or not is_own_link(url, self.hosts):
            return url
        url = tagged(url, self.campaign_id)
        if self.count_clicks:
            return settings.SITE_URL + click_path(self.campaign_id, url)
        return url

    def html(self, value):
        def replace(match):
            url = html.unescape(match[2])
            return f"{match[1]}{html.escape(self.rewrite(url))}{match[3]}"

        return _HREF.sub(replace, value)

    def text(self, value):
        def replace(match):
            # A sentence's full stop after a link is not part of it.
            url = match[0].rstrip(".,;:!?")
            return self.rewrite(url) + match[0][len(url) :]

        return _TEXT_URL.sub(replace, value)


def count_click(campaign_id, url):
    """Count one click on ``url`` in the campaign (ClickLinkInvalid if the campaign is
    gone); returns the URL to redirect to."""
    if not Campaign.objects.filter(pk=campaign_id).exists():
        raise ClickLinkInvalid
    if not is_own_link(url, own_hosts()):
        raise ClickLinkInvalid
    link, _created = CampaignLinkClick.objects.get_or_create(campaign_id=campaign_id, url=url)
    CampaignLinkClick.objects.filter(pk=link.pk).update(
        clicks=F("clicks") + 1, last_clicked_at=timezone.now()
    )
    return url


def campaign_facts(since, until, campaign_ids):
    """audience's campaign source: CampaignFacts for the campaigns that started sending
    between ``since`` and ``until`` and those named in ``campaign_ids``."""
    campaigns = list(
        Campaign.objects.filter(
            Q(started_at__gte=since, started_at__lt=until) | Q(pk__in=list(campaign_ids))
        )
        .prefetch_related("newsletters")
        .order_by("pk")
    )
    ids = [campaign.pk for campaign in campaigns]
    deliveries = dict(
        Delivery.objects.filter(campaign_id__in=ids, sent_at__isnull=False)
        .values("campaign_id")
        .annotate(count=Count("pk"))
        .values_list("campaign_id", "count")
    )
    clicks = dict(
        CampaignLinkClick.objects.filter(campaign_id__in=ids)
        .values("campaign_id")
        .annotate(total=Sum("clicks"))
        .values_list("campaign_id", "total")
    )
    return [
        CampaignFacts(
            campaign_id=campaign.pk,
            name=campaign.subject,
            sent_at=campaign.started_at,
            deliveries=deliveries.get(campaign.pk, 0),
            clicks=clicks.get(campaign.pk, 0),
            clicks_counted=_all_count_clicks(campaign),
        )
        for campaign in campaigns
    ]
