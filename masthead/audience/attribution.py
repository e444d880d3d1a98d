"""Attribution: which page a reader acted on, which article brought them there, and how
their visit began, stored with each sign-up, gift and order as a ``Conversion``.

The evidence comes with the form, never from a cookie: the counting script fills hidden
inputs on every ``form[data-attribution]`` (``mh_page``: this page's path, ``mh_from``: the
same-site page before it, ``mh_ref``: an external referrer, ``mh_query``: this page's query
string, which carries ``utm_*`` and ``mh_campaign``). None of it is trusted: every field is
truncated and checked, a path counts as an article only when it is the URL of a live
``ArticlePage`` of this site, and a campaign id only when it is a positive number. What the
form leaves out (no script ran, or the visit began several pages before) is looked up in
the counter's own hits of the same day-long visitor id in the last half hour, server-side.

Domain apps call :func:`capture` in the view that receives the form, :func:`record` when
the thing is started (a pending gift, an order awaiting payment, a sign-up awaiting its
confirmation) and :func:`complete` when it counts (paid, confirmed), from webhook or task
code with no request. ``record`` is idempotent on (source, reference, kind), so a replayed
form or event changes nothing; ``audience`` never imports the apps that call it.
"""

import hashlib
import ipaddress
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import IntegrityError, transaction
from django.utils import timezone
from wagtail.models import Site

from masthead.audience import counting
from masthead.audience.models import Conversion, Hit, ReferrerKind
from masthead.core.ratelimit import client_ip
from masthead.publishing.models import ArticlePage

MAX_QUERY = 2000
ARTICLE_CACHE_SECONDS = 300
# How far back the counter's hits of this visitor are looked at when the form says nothing
# of the visit: a visit, in the usual analytics sense, ends after half an hour without a hit.
VISIT_WINDOW = timedelta(minutes=30)


@dataclass(frozen=True)
class Attribution:
    """What one form post says about the visit behind it, already checked."""

    acted_path: str = ""
    article_id: int | None = None
    entry_referrer: str = ""
    entry_referrer_kind: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    campaign_id: int | None = None
    site_id: int = 0

    def as_dict(self):
        """A plain dict, for keeping an attribution in a session between checkout steps."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        """An attribution kept with :meth:`as_dict`; empty for anything malformed."""
        if not isinstance(data, dict):
            return cls()
        try:
            return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})
        except TypeError:
            return cls()

    def or_else(self, earlier):
        """This attribution, with the article and visit filled in from ``earlier`` (an
        attribution captured at an earlier step of the same flow) where this one has none."""
        if earlier is None:
            return self
        visit_known = bool(self.entry_referrer or self.utm_source or self.campaign_id)
        return Attribution(
            acted_path=self.acted_path or earlier.acted_path,
            article_id=self.article_id or earlier.article_id,
            entry_referrer=self.entry_referrer if visit_known else earlier.entry_referrer,
            entry_referrer_kind=(
                self.entry_referrer_kind if visit_known else earlier.entry_referrer_kind
            ),
            utm_source=self.utm_source if visit_known else earlier.utm_source,
            utm_medium=self.utm_medium if visit_known else earlier.utm_medium,
            utm_campaign=self.utm_campaign if visit_known else earlier.utm_campaign,
            campaign_id=self.campaign_id if visit_known else earlier.campaign_id,
            site_id=self.site_id or earlier.site_id,
        )


def clean_path(value):
    """A site path from a form field (no host, no query), or "" if it is not one."""
    try:
        return counting.clean_path(str(value or "").strip())
    except counting.HitRefused:
        return ""


def _site(request):
    try:
        return Site.find_for_request(request)
    except DisallowedHost:  # An odd Host header: attribution must never break a form.
        return None


def article_for_path(site, path):
    """The id of the live ArticlePage at ``path`` on ``site``, or None; cached briefly, as
    every form post asks."""
    if site is None or not path:
        return None
    digest = hashlib.sha256(f"{site.pk}:{path}".encode()).hexdigest()[:32]
    key = f"audience:article-path:{digest}"
    cached = cache.get(key)
    if cached is not None:
        return cached or None
    root_path = site.root_page.url_path
    url_path = root_path + path.lstrip("/")
    if not url_path.endswith("/"):
        url_path += "/"
    found = (
        ArticlePage.objects.live().filter(url_path=url_path).values_list("pk", flat=True).first()
    )
    cache.set(key, found or 0, ARTICLE_CACHE_SECONDS)
    return found


def _visit_fields(request):
    """The entry referrer (grouped as the hit counter groups it) and the campaign fields."""
    data = request.POST
    try:
        hosts = counting.own_hosts(request)
    except DisallowedHost:
        hosts = set()
    referrer, kind = counting.group_referrer(str(data.get("mh_ref", ""))[:MAX_QUERY], hosts)
    if kind == ReferrerKind.INTERNAL:
        referrer, kind = "", ReferrerKind.DIRECT
    try:
        campaign = counting.campaign_fields(str(data.get("mh_query", ""))[:MAX_QUERY])
    except counting.HitRefused:
        campaign = {"campaign_id": None}
    campaign_id = campaign.pop("campaign_id", None) or None
    if campaign_id and kind == ReferrerKind.DIRECT:
        kind = ReferrerKind.NEWSLETTER
    return {
        "entry_referrer": referrer,
        "entry_referrer_kind": kind if (referrer or campaign_id) else "",
        "campaign_id": campaign_id,
        "utm_source": campaign.get("utm_source", ""),
        "utm_medium": campaign.get("utm_medium", ""),
        "utm_campaign": campaign.get("utm_campaign", ""),
    }


def _recent_hits(request, site_id):
    """This visitor's hits of the last VISIT_WINDOW, as the counter recorded them (the same
    day-long visitor id), or none for a browser that asked not to be tracked."""
    if counting.asked_not_to_be_tracked(request.META):
        return Hit.objects.none()
    try:
        ip = str(ipaddress.ip_address(client_ip(request) or ""))
    except ValueError:
        ip = ""
    now = timezone.now()
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    visitor = counting.visitor_id(site_id, ip, user_agent, now)
    return Hit.objects.filter(site_id=site_id, visitor=visitor, at__gte=now - VISIT_WINDOW)


def _from_hits(request, site_id, article_id, visit):
    """What the form did not say, from the counter's hits: the last article this visitor
    viewed, and the entry of their visit (the latest hit that came from another site, a
    campaign or UTM-tagged link). The form always comes first."""
    hits = _recent_hits(request, site_id)
    if article_id is None:
        articles = ArticlePage.objects.live().values("pk")
        article_id = (
            hits.filter(page_id__in=articles).order_by("-at").values_list("page_id", flat=True)
        ).first()
    if not (visit["entry_referrer"] or visit["utm_source"] or visit["campaign_id"]):
        entry = (
            hits.exclude(
                referrer_kind__in=[ReferrerKind.DIRECT, ReferrerKind.INTERNAL],
                campaign_id__isnull=True,
                utm_source="",
                utm_medium="",
                utm_campaign="",
            )
            .order_by("-at")
            .first()
        )
        if entry is not None:
            visit = {
                "entry_referrer": entry.referrer,
                "entry_referrer_kind": entry.referrer_kind,
                "campaign_id": entry.campaign_id,
                "utm_source": entry.utm_source,
                "utm_medium": entry.utm_medium,
                "utm_campaign": entry.utm_campaign,
            }
    return article_id, visit


def capture(request):
    """The Attribution a form post carries (see the module docstring); fields that are
    missing, malformed or hostile are left out, never guessed. What the form does not say
    (no script ran, or the visit began pages ago) is taken from this visitor's recent hits
    when the counter has them."""
    site = _site(request)
    site_id = site.pk if site else 0
    acted_path = clean_path(request.POST.get("mh_page"))
    from_path = clean_path(request.POST.get("mh_from"))
    article_id = article_for_path(site, acted_path) or article_for_path(site, from_path)
    visit = _visit_fields(request)
    if site is not None:
        article_id, visit = _from_hits(request, site_id, article_id, visit)
    return Attribution(acted_path=acted_path, article_id=article_id, site_id=site_id, **visit)


def record(request_or_attribution, kind, source, reference, amount=0, currency=""):
    """Store the Conversion of ``kind`` for the thing ``source`` + ``reference`` (e.g.
    ``"donations.Donation"`` and its reference), started now and not yet completed.

    Takes a request (captured here) or an Attribution. Idempotent: a second call for the
    same (source, reference, kind) changes nothing and returns the stored row.
    """
    if kind not in Conversion.Kind.values:
        raise ValueError(f"Unknown conversion kind {kind!r}")
    if amount < 0:
        raise ValueError("A conversion's amount cannot be negative")
    attribution = request_or_attribution
    if not isinstance(attribution, Attribution):
        attribution = capture(request_or_attribution) if attribution is not None else Attribution()
    defaults = {
        **attribution.as_dict(),
        "started_at": timezone.now(),
        "amount": amount,
        "currency": (currency or "").upper()[:3],
    }
    try:
        with transaction.atomic():
            conversion, _created = Conversion.objects.get_or_create(
                source=source[:60], reference=str(reference)[:64], kind=kind, defaults=defaults
            )
    except IntegrityError:
        conversion = Conversion.objects.get(
            source=source[:60], reference=str(reference)[:64], kind=kind
        )
    return conversion


def attribution_of(source, reference):
    """The Attribution stored with the conversion(s) of ``source`` + ``reference``, for a
    second conversion that follows from the first (the newsletter box ticked at checkout),
    or None when there is none."""
    stored = (
        Conversion.objects.filter(source=source[:60], reference=str(reference)[:64])
        .order_by("pk")
        .values(*Attribution.__dataclass_fields__)
        .first()
    )
    return Attribution(**stored) if stored else None


def complete(source, reference, kind=None, amount=None, when=None):
    """Mark the conversion(s) of ``source`` + ``reference`` completed (paid, confirmed), once:
    a later call keeps the first time. ``amount`` (minor units) replaces the recorded amount
    when given. Returns how many conversions this call completed."""
    rows = Conversion.objects.filter(
        source=source[:60], reference=str(reference)[:64], completed_at__isnull=True
    )
    if kind is not None:
        rows = rows.filter(kind=kind)
    changes = {"completed_at": when or timezone.now()}
    if amount is not None:
        changes["amount"] = max(int(amount), 0)
    return rows.update(**changes)


def refunded(source, reference, kept, kind=None):
    """Money went back: the conversion(s) of ``source`` + ``reference`` now count ``kept``
    (minor units, what the outlet keeps); a full refund (``kept`` 0) withdraws them, since
    a gift or an order given back is no longer one. Idempotent, and safe in any order with
    ``complete()``. Returns how many conversions changed."""
    rows = Conversion.objects.filter(source=source[:60], reference=str(reference)[:64])
    if kind is not None:
        rows = rows.filter(kind=kind)
    if kept <= 0:
        # One DELETE: QuerySet.delete() would send post_delete, on which core empties the
        # page cache for any model; no page shows a conversion.
        return rows._raw_delete(rows.db)
    return rows.exclude(amount=kept).update(amount=kept)
