"""RSS 2.0 and Atom feeds for the whole site, each section and each author.

Each feed lists the latest live, public articles of the Wagtail site the request is for.
Everything an entry shows is worked out once per request in ``items()`` (as a
:class:`FeedEntry`), because Django builds one ``Feed`` instance per URL at start-up and its
``item_*`` methods never see the request.
"""

import mimetypes
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.utils.feedgenerator import Atom1Feed, Enclosure
from django.utils.translation import gettext_lazy as _
from wagtail.models import Site

from masthead.core.models import SiteSettings
from masthead.publishing.models import AuthorPage, SectionPage, live_articles

FEED_LENGTH = 30
ENCLOSURE_RENDITION = "width-1200"


@dataclass
class FeedSource:
    """What one feed request is about: the site, its settings, and the section or author."""

    site: Site
    settings: SiteSettings
    title: str
    link: str
    description: str
    articles: object


@dataclass
class FeedEntry:
    """One article as a feed shows it, with every URL already absolute."""

    title: str
    link: str
    description: str
    guid: str
    author_names: str
    published_at: datetime
    updated_at: datetime
    categories: list = field(default_factory=list)
    enclosure: Enclosure | None = None


def _site_for(request):
    site = Site.find_for_request(request)
    if site is None:
        raise Http404(_("There is no site at this address."))
    return site


def _hero_enclosure(article, root_url):
    """The hero image as an enclosure, or None when there is none or its file is missing."""
    if article.hero_image is None:
        return None
    try:
        rendition = article.hero_image.get_rendition(ENCLOSURE_RENDITION)
        length = rendition.file.size
    except OSError:
        # A lost image file (Wagtail raises an OSError) must not take the whole feed down.
        return None
    mime_type = mimetypes.guess_type(rendition.file.name)[0] or "application/octet-stream"
    return Enclosure(urljoin(root_url, rendition.url), str(length), mime_type)


def _entry(article, section, root_url, host):
    published_at = article.first_published_at
    return FeedEntry(
        title=article.title,
        link=article.get_full_url(),
        description=article.standfirst,
        # A tag URI (RFC 4151) stays the same when the article's slug or section changes.
        guid=f"tag:{host},{published_at:%Y-%m-%d}:article-{article.pk}",
        author_names=", ".join(author.title for author in article.author_list),
        published_at=published_at,
        updated_at=article.last_published_at or published_at,
        categories=([section.title] if section else []) + [tag.name for tag in article.tags.all()],
        enclosure=_hero_enclosure(article, root_url),
    )


class SiteRssFeed(Feed):
    """The latest articles of the whole site, as RSS 2.0."""

    def get_object(self, request, *args, **kwargs):
        site = _site_for(request)
        settings = SiteSettings.for_site(site)
        return FeedSource(
            site=site,
            settings=settings,
            title=settings.outlet_name,
            link=site.root_page.get_full_url(request),
            description=settings.description
            or settings.strapline
            or _("The latest articles from %(outlet)s") % {"outlet": settings.outlet_name},
            articles=live_articles().descendant_of(site.root_page),
        )

    def title(self, source):
        return source.title

    def link(self, source):
        return source.link

    def description(self, source):
        return source.description

    def subtitle(self, source):
        return source.description

    def author_name(self, source):
        # Atom wants an author for every entry; the outlet stands in where no byline is set.
        return source.settings.outlet_name

    def items(self, source):
        articles = list(source.articles.prefetch_related("tags")[:FEED_LENGTH])
        parent_paths = {article.path[: -SectionPage.steplen] for article in articles}
        sections = {page.path: page for page in SectionPage.objects.filter(path__in=parent_paths)}
        root_url = source.site.root_url
        host = source.site.hostname
        return [
            _entry(article, sections.get(article.path[: -SectionPage.steplen]), root_url, host)
            for article in articles
        ]

    def item_title(self, entry):
        return entry.title

    def item_link(self, entry):
        return entry.link

    def item_description(self, entry):
        return entry.description

    def item_guid(self, entry):
        return entry.guid

    item_guid_is_permalink = False

    def item_author_name(self, entry):
        return entry.author_names or None

    def item_pubdate(self, entry):
        return entry.published_at

    def item_updateddate(self, entry):
        return entry.updated_at

    def item_categories(self, entry):
        return entry.categories

    def item_enclosures(self, entry):
        return [entry.enclosure] if entry.enclosure else []


class SiteAtomFeed(SiteRssFeed):
    """The latest articles of the whole site, as Atom 1.0."""

    feed_type = Atom1Feed


class SectionRssFeed(SiteRssFeed):
    """The latest articles of one section, as RSS 2.0; an unknown section is a 404."""

    def get_object(self, request, slug):
        source = super().get_object(request)
        section = (
            SectionPage.objects.live()
            .public()
            .descendant_of(source.site.root_page)
            .filter(slug=slug)
            .first()
        )
        if section is None:
            raise Http404(_("There is no such section."))
        source.title = f"{section.title} | {source.settings.outlet_name}"
        source.link = section.get_full_url(request)
        source.description = section.introduction or source.description
        source.articles = source.articles.child_of(section)
        return source


class SectionAtomFeed(SectionRssFeed):
    """The latest articles of one section, as Atom 1.0."""

    feed_type = Atom1Feed


class AuthorRssFeed(SiteRssFeed):
    """The latest articles by one author, as RSS 2.0; an unknown author is a 404."""

    def get_object(self, request, slug):
        source = super().get_object(request)
        author = (
            AuthorPage.objects.live()
            .public()
            .descendant_of(source.site.root_page)
            .filter(slug=slug)
            .first()
        )
        if author is None:
            raise Http404(_("There is no such author."))
        source.title = f"{author.title} | {source.settings.outlet_name}"
        source.link = author.get_full_url(request)
        source.description = _("The latest articles by %(author)s") % {"author": author.title}
        source.articles = source.articles.filter(article_authors__author=author).distinct()
        return source


class AuthorAtomFeed(AuthorRssFeed):
    """The latest articles by one author, as Atom 1.0."""

    feed_type = Atom1Feed
