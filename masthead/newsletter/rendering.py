"""Turning a campaign into an email: HTML with CSS inlined, and a plain-text alternative.

A campaign is rendered once: templates and css-inline run a single time, with markers where
each reader's own parts go (their name, their newsletter, their links). Sending then only
substitutes those markers per recipient, which is what makes a large send fast.
"""

import html
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import css_inline
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from wagtail.models import Site
from wagtail.rich_text import expand_db_html

from masthead.core.models import SiteSettings
from masthead.newsletter.campaign_links import LinkRewriter
from masthead.newsletter.models import Campaign, NewsletterSettings
from masthead.publishing.models import live_articles

HERO_RENDITION = "fill-1200x675"
CARD_RENDITION = "fill-400x225"
PERSONAL_FIELDS = ("name", "newsletter", "preferences_url", "unsubscribe_url")
MARKER = "%%mh-{}%%"
MARKER_PATTERN = re.compile(r"%%mh-(" + "|".join(PERSONAL_FIELDS) + r")%%")

_inliner = css_inline.CSSInliner(load_remote_stylesheets=False)


def absolute_url(url):
    """An address a mail client can follow: site-relative URLs get SITE_URL in front."""
    if not url:
        return ""
    if url.startswith("/") and not url.startswith("//"):
        return settings.SITE_URL + url
    return url


def site_host():
    """The host name newsletters identify themselves with (List-Id, Message-ID)."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"


_RELATIVE_LINK = re.compile(r'(\s(?:href|src)=")(/(?!/)[^"]*)"')


def email_rich_text(value):
    """Rich text as email HTML: internal links expanded, and every link absolute."""
    expanded = expand_db_html(value or "")
    return _RELATIVE_LINK.sub(lambda match: f'{match[1]}{absolute_url(match[2])}"', expanded)


_LINK = re.compile(r'<a\s[^>]*href="([^"]*)"[^>]*>(.*?)</a>', re.IGNORECASE | re.DOTALL)
_BLOCK_END = re.compile(r"</(p|h[1-6]|ul|ol|blockquote)>", re.IGNORECASE)
_LIST_ITEM = re.compile(r"<li[^>]*>", re.IGNORECASE)
_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def html_to_text(value):
    """Email rich text as plain text: paragraphs kept, links written out after their words."""

    def link(match):
        # Still escaped here; the whole text is unescaped once at the end.
        words = strip_tags(match[2]).strip()
        url = match[1]
        return url if not words or words == url else f"{words} ({url})"

    value = _LINK.sub(link, value)
    value = _BLOCK_END.sub("\n\n", value)
    value = _LIST_ITEM.sub("- ", value)
    value = _LINE_BREAK.sub("\n", value)
    text = html.unescape(strip_tags(value))
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


@dataclass
class EmailArticle:
    """What an email shows of one article: headline, standfirst, image and link."""

    title: str
    standfirst: str
    url: str
    image_url: str
    image_alt: str


def email_article(article, rendition=CARD_RENDITION):
    image_url = ""
    if article.hero_image_id:
        image_url = absolute_url(article.hero_image.get_rendition(rendition).url)
    return EmailArticle(
        title=article.title,
        standfirst=article.standfirst,
        url=absolute_url(article.get_url()),
        image_url=image_url,
        image_alt=article.hero_alt,
    )


def digest_articles(campaign):
    """The digest's articles: those chosen by hand, then the latest ones up to the count."""
    chosen = list(live_articles().filter(pk__in=campaign.digest_articles.values("pk")))
    if campaign.digest_recent_count:
        recent = live_articles().exclude(pk__in=[article.pk for article in chosen])
        chosen += list(recent[: campaign.digest_recent_count])
    return chosen


@dataclass
class RenderedCampaign:
    """A campaign rendered once, ready to be personalised per recipient."""

    subject: str
    html: str
    text: str

    def __post_init__(self):
        # Format strings with a {field} per marker: personalising a message is then one
        # str.format_map per part, which matters when a campaign goes to 100,000 readers.
        self.html_format = _format_string(self.html)
        self.text_format = _format_string(self.text)

    def personalise(self, values):
        """The HTML and text for one reader; ``values`` maps each personal field to its value."""
        escaped = {key: html.escape(str(value)) for key, value in values.items()}
        return (
            self.html_format.format_map(escaped),
            self.text_format.format_map({key: str(value) for key, value in values.items()}),
        )


def _format_string(template):
    escaped = template.replace("{", "{{").replace("}", "}}")
    return MARKER_PATTERN.sub(lambda match: "{" + match[1] + "}", escaped)


def fallback_name():
    return str(_("there"))


def campaign_context(campaign, site=None):
    """Everything the email templates show, with markers in place of the personal parts."""
    site = site or Site.objects.filter(is_default_site=True).first()
    site_settings = SiteSettings.for_site(site) if site else SiteSettings()
    newsletter_settings = NewsletterSettings.for_site(site) if site else NewsletterSettings()
    article = None
    articles = []
    if campaign.kind == Campaign.Kind.ARTICLE and campaign.article_id:
        article = email_article(campaign.article.specific, HERO_RENDITION)
    elif campaign.kind == Campaign.Kind.DIGEST:
        articles = [email_article(item) for item in digest_articles(campaign)]
    intro = email_rich_text(campaign.intro)
    body = email_rich_text(campaign.body)
    return {
        "campaign": campaign,
        "outlet_name": site_settings.outlet_name,
        "site_url": settings.SITE_URL,
        "postal_address": newsletter_settings.postal_address,
        "article": article,
        "articles": articles,
        "intro_html": intro,
        "body_html": body,
        "intro_text": html_to_text(intro),
        "body_text": html_to_text(body),
        "personal": {field: MARKER.format(field) for field in PERSONAL_FIELDS},
    }


def render_campaign(campaign, site=None):
    """Render the campaign's HTML (CSS inlined) and text once, with personal markers; links
    to this site carry the campaign (and go through the click counter if it is on)."""
    context = campaign_context(campaign, site)
    html_part = _inliner.inline(render_to_string("newsletter/email/campaign.html", context))
    text_part = render_to_string("newsletter/email/campaign.txt", context)
    links = LinkRewriter(campaign)
    html_part, text_part = links.html(html_part), links.text(text_part)
    return RenderedCampaign(subject=campaign.subject, html=html_part, text=text_part)
