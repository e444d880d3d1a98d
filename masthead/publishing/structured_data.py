"""Structured data (schema.org JSON-LD) and the social-sharing metadata of reader pages.

Search engines and social networks read these to show a story's headline, picture, date
and byline, and the outlet's name and logo.

How article types map to schema.org types:

=========  ========================  =====================================================
ours       schema.org ``@type``      why
=========  ========================  =====================================================
news       ``NewsArticle``           a straight report
opinion    ``OpinionNewsArticle``    the author's own view
analysis   ``AnalysisNewsArticle``   interpretation of the news by an expert or reporter
explainer  ``BackgroundNewsArticle`` context that helps readers understand the news
interview  ``NewsArticle``           schema.org has no interview subtype, so we add
                                     ``genre: "Interview"``
=========  ========================  =====================================================

The home page carries the outlet as an ``Organization`` (with its social accounts as
``sameAs``) and a ``WebSite`` with a ``SearchAction`` for the site's search; an author
page carries a ``ProfilePage`` about the ``Person``.
"""

from dataclasses import dataclass, field
from urllib.parse import urljoin

from django.urls import reverse
from django.utils.html import strip_tags
from wagtail.models import Site

from masthead.core.fragments import site_fragment
from masthead.core.models import SiteSettings
from masthead.core.templatetags.masthead_images import parsed_filter
from masthead.publishing.models import (
    ArticlePage,
    AuthorPage,
    HomePage,
    SectionPage,
)

SCHEMA_CONTEXT = "https://schema.org"
ARTICLE_TYPES = {
    ArticlePage.ArticleType.NEWS: "NewsArticle",
    ArticlePage.ArticleType.OPINION: "OpinionNewsArticle",
    ArticlePage.ArticleType.ANALYSIS: "AnalysisNewsArticle",
    ArticlePage.ArticleType.EXPLAINER: "BackgroundNewsArticle",
    ArticlePage.ArticleType.INTERVIEW: "NewsArticle",
}
ARTICLE_GENRES = {ArticlePage.ArticleType.INTERVIEW: "Interview"}
# Google asks for article images in 16:9, 4:3 and 1:1, at least 1200 pixels wide.
ARTICLE_IMAGE_RENDITIONS = ("fill-1200x675", "fill-1200x900", "fill-1200x1200")
SHARE_IMAGE_RENDITION = "fill-1200x630"
LOGO_RENDITION = "max-600x600"
DESCRIPTION_LENGTH = 300


def absolute(base_url, url):
    """``url`` made absolute against ``base_url``; already absolute URLs are kept."""
    return urljoin(base_url.rstrip("/") + "/", url)


def _renditions(image, specs):
    """Renditions of ``image`` for ``specs``, keyed by spec; empty when there is no image or
    its file is gone.

    Asked for together, they come in one cache lookup; they are also kept on the image, as
    the Open Graph tags and the JSON-LD of one page ask for the same ones.
    """
    if image is None:
        return {}
    known = image.__dict__.setdefault("_structured_data_renditions", {})
    missing = [spec for spec in specs if spec not in known]
    if missing:
        try:
            # Filters parsed once per process (parsing checks each operation with inspect).
            known.update(image.get_renditions(*map(parsed_filter, missing)))
        except OSError:
            # A lost image file must not take the page down; the metadata goes without it.
            known.update(dict.fromkeys(missing))
    return {spec: known[spec] for spec in specs if known[spec] is not None}


def _rendition(image, spec):
    """A rendition of ``image``, or None when there is no image or its file is gone."""
    return _renditions(image, [spec]).get(spec)


def _image_object(image, spec, base_url):
    rendition = _rendition(image, spec)
    if rendition is None:
        return None
    return {
        "@type": "ImageObject",
        "url": absolute(base_url, rendition.url),
        "width": rendition.width,
        "height": rendition.height,
    }


def _home_url(site, base_url):
    return absolute(base_url, "/") if site is None else site.root_page.get_full_url()


def organization(site_settings, site, base_url):
    """The outlet as a schema.org ``Organization``: name, address, logo and social accounts."""
    url = _home_url(site, base_url)
    data = {
        "@type": "Organization",
        "@id": f"{url}#organization",
        "name": site_settings.outlet_name,
        "url": url,
    }
    logo = _image_object(site_settings.logo, LOGO_RENDITION, base_url)
    if logo:
        data["logo"] = logo
    if site_settings.description:
        data["description"] = site_settings.description
    if site_settings.contact_email:
        data["email"] = site_settings.contact_email
    if site_settings.founding_year:
        data["foundingDate"] = str(site_settings.founding_year)
    same_as = [link for _key, _label, link in site_settings.social_links()]
    if same_as:
        data["sameAs"] = same_as
    return data


def _kept(build, site_settings, site, base_url):
    """``build(site_settings, site, base_url)``, the same on every page of a site: worked
    out once per generation per process (at most a minute, ``site_fragment``), like the
    settings it comes from. Shared by concurrent requests: read it only."""
    key = (f"publishing:{build.__name__}", site.pk if site else None, base_url, site_settings.pk)
    return site_fragment(
        key, lambda: build(site_settings, site, base_url), only_editors_change=True
    )


def kept_organization(site_settings, site, base_url):
    """``organization()``, kept (``_kept``)."""
    return _kept(organization, site_settings, site, base_url)


def website(site_settings, site, base_url):
    """The site as a schema.org ``WebSite``, with its search as a ``SearchAction``."""
    url = _home_url(site, base_url)
    search_url = absolute(url, reverse("search"))
    return {
        "@type": "WebSite",
        "@id": f"{url}#website",
        "name": site_settings.outlet_name,
        "url": url,
        "publisher": {"@id": f"{url}#organization"},
        "potentialAction": {
            "@type": "SearchAction",
            "target": {
                "@type": "EntryPoint",
                "urlTemplate": f"{search_url}?q={{search_term_string}}",
            },
            "query-input": "required name=search_term_string",
        },
    }


def kept_website(site_settings, site, base_url):
    """``website()``, kept (``_kept``): the home page's URL, which it names, took a read of
    the sites' root paths from the shared cache."""
    return _kept(website, site_settings, site, base_url)


def person(author):
    """An author as a schema.org ``Person``, linked to their page when it is live."""
    data = {"@type": "Person", "name": author.title}
    if author.live:
        data["url"] = author.get_full_url()
    return data


def article(page, site_settings, site, base_url, keywords=None):
    """An article as a schema.org ``NewsArticle`` (or the subtype for its article type).

    ``keywords`` are its tag names, when the caller has them already."""
    data = {
        "@type": ARTICLE_TYPES.get(page.article_type, "NewsArticle"),
        "headline": page.title,
        "description": page.standfirst,
        "mainEntityOfPage": {"@type": "WebPage", "@id": page.get_full_url()},
        "url": page.get_full_url(),
        "author": [person(author) for author in page.author_list],
        "publisher": kept_organization(site_settings, site, base_url),
    }
    if page.article_type in ARTICLE_GENRES:
        data["genre"] = ARTICLE_GENRES[page.article_type]
    if page.first_published_at:
        data["datePublished"] = page.first_published_at.isoformat()
        data["dateModified"] = (page.last_published_at or page.first_published_at).isoformat()
    images = [
        absolute(base_url, rendition.url)
        for rendition in _renditions(page.hero_image, ARTICLE_IMAGE_RENDITIONS).values()
    ]
    if images:
        data["image"] = images
    section = page.section
    if isinstance(section, SectionPage):
        data["articleSection"] = section.title
    if keywords is None:
        keywords = [tag.name for tag in page.tags.all()]
    if keywords:
        data["keywords"] = keywords
    return data


def profile(page, site_settings, site, base_url):
    """An author page as a schema.org ``ProfilePage`` about the ``Person``."""
    about = person(page)
    if page.role:
        about["jobTitle"] = page.role
    photo = _image_object(page.photo, "fill-400x400", base_url)
    if photo:
        about["image"] = photo
    same_as = [url for key, _label, url in page.social_links() if key != "email"]
    if same_as:
        about["sameAs"] = same_as
    about["worksFor"] = {"@id": f"{_home_url(site, base_url)}#organization"}
    return {"@type": "ProfilePage", "url": page.get_full_url(), "mainEntity": about}


def _site_of(page, request):
    """The Site ``page`` belongs to, as ``page.get_site()`` finds it, but without a query
    when it is the request's own site (already loaded, with its root page)."""
    url_parts = page.get_url_parts(request)
    if url_parts is None:
        return None
    request_site = Site.find_for_request(request)
    if request_site is not None and request_site.pk == url_parts[0]:
        return request_site
    return Site.objects.get(pk=url_parts[0])


def json_ld_for(page, request):
    """The JSON-LD documents for a page (a list, possibly empty), each with ``@context``."""
    site = _site_of(page, request) if page is not None else Site.find_for_request(request)
    specific = page.specific if page is not None else None
    return _json_ld(specific, request, site)


def _json_ld(specific, request, site, keywords=None):
    site_settings = SiteSettings.for_request(request)
    base_url = site.root_url if site is not None else request.build_absolute_uri("/")
    if isinstance(specific, ArticlePage):
        documents = [article(specific, site_settings, site, base_url, keywords)]
    elif isinstance(specific, HomePage):
        documents = [
            kept_organization(site_settings, site, base_url),
            kept_website(site_settings, site, base_url),
        ]
    elif isinstance(specific, AuthorPage):
        documents = [profile(specific, site_settings, site, base_url)]
    else:
        documents = []
    return [{"@context": SCHEMA_CONTEXT, **document} for document in documents]


@dataclass
class PageMeta:
    """Everything ``publishing/includes/meta.html`` (the ``head`` slot) puts in a page's
    ``<head>``."""

    title: str
    description: str
    canonical_url: str
    site_name: str
    og_type: str = "website"
    image_url: str = ""
    image_alt: str = ""
    published_time: str = ""
    modified_time: str = ""
    section: str = ""
    author_urls: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    feeds: list = field(default_factory=list)
    json_ld: list = field(default_factory=list)
    indexable: bool = True
    # A large card only for a picture made for sharing, not for the outlet's logo.
    twitter_card: str = "summary"


def _shorten(text, length=DESCRIPTION_LENGTH):
    text = " ".join(strip_tags(str(text or "")).split())
    if len(text) <= length:
        return text
    return text[: length - 1].rsplit(" ", 1)[0] + "…"


def _page_description(page, site_settings):
    for candidate in (
        page.search_description,
        getattr(page, "standfirst", ""),
        getattr(page, "introduction", ""),
        getattr(page, "bio", ""),
        getattr(page, "role", ""),
    ):
        if isinstance(candidate, str) and candidate.strip():
            return _shorten(candidate)
    return _shorten(site_settings.description or site_settings.strapline)


def _feed_link(title, url_name, **kwargs):
    return {"title": title, "url": reverse(url_name, kwargs=kwargs)}


def page_meta(request, page=None, title="", description="", indexable=True):
    """The metadata for the page being rendered: a Wagtail ``page``, or for other views
    (search, tags) the ``title`` and ``description`` they give, with the request's URL as
    the canonical one."""
    site_settings = SiteSettings.for_request(request)
    site_feed = _feed_link(site_settings.outlet_name, "feed_rss")
    if page is None:
        base_url = request.build_absolute_uri("/")
        return PageMeta(
            title=str(title or site_settings.outlet_name),
            description=_shorten(description or site_settings.description),
            canonical_url=request.build_absolute_uri(request.path),
            site_name=site_settings.outlet_name,
            image_url=_logo_url(site_settings, base_url),
            feeds=[site_feed],
            indexable=indexable,
        )

    page = page.specific
    site = _site_of(page, request)
    base_url = site.root_url if site is not None else request.build_absolute_uri("/")
    tags = None
    if isinstance(page, ArticlePage):
        # Looked up once for both the Open Graph tags and the JSON-LD (and the tags for the
        # article's end too): the tags, and every rendition of the hero picture in one go.
        page.prefetch_tags(request)
        tags = [tag.name for tag in page.tags.all()]
        _renditions(page.hero_image, (*ARTICLE_IMAGE_RENDITIONS, SHARE_IMAGE_RENDITION))
    meta = PageMeta(
        title=page.seo_title or page.title,
        description=_page_description(page, site_settings),
        canonical_url=page.get_full_url(request),
        site_name=site_settings.outlet_name,
        feeds=[site_feed],
        json_ld=_json_ld(page, request, site, keywords=tags),
        indexable=indexable,
    )
    if isinstance(page, ArticlePage):
        meta.og_type = "article"
        rendition = _rendition(page.hero_image, SHARE_IMAGE_RENDITION)
        if rendition is not None:
            meta.image_url = absolute(base_url, rendition.url)
            meta.image_alt = page.hero_alt
            meta.twitter_card = "summary_large_image"
        if page.first_published_at:
            meta.published_time = page.first_published_at.isoformat()
            meta.modified_time = (page.last_published_at or page.first_published_at).isoformat()
        meta.author_urls = [
            author.get_full_url(request) for author in page.author_list if author.live
        ]
        if isinstance(page.section, SectionPage):
            meta.section = page.section.title
        meta.tags = tags
    elif isinstance(page, SectionPage):
        meta.feeds.append(_feed_link(page.title, "feed_section_rss", slug=page.slug))
    elif isinstance(page, AuthorPage):
        meta.og_type = "profile"
        meta.feeds.append(_feed_link(page.title, "feed_author_rss", slug=page.slug))
        rendition = _rendition(page.photo, "fill-400x400")
        if rendition is not None:
            meta.image_url = absolute(base_url, rendition.url)
            meta.image_alt = page.title
    if not meta.image_url:
        meta.image_url = _logo_url(site_settings, base_url)
    return meta


def _logo_url(site_settings, base_url):
    """The outlet's logo as a picture for sharing. Pages that are not Wagtail pages (the
    shop, search) render their metadata for every request, so it is looked up once per
    generation per process (at most a minute), and anew after every change
    (``masthead.core.fragments``)."""
    if site_settings.logo_id is None:
        return ""

    def find():
        rendition = _rendition(site_settings.logo, LOGO_RENDITION)
        return absolute(base_url, rendition.url) if rendition is not None else ""

    return site_fragment(
        ("publishing:logo-url", site_settings.pk, site_settings.logo_id, base_url),
        find,
        only_editors_change=True,
    )
