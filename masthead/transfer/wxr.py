"""The articles (and plain pages) as a WordPress eXtended RSS 1.2 file, so an outlet that
leaves for WordPress takes its archive along through WordPress's own importer.

What the importer reads, and what this writes:

- the channel: ``title``, ``link``, ``description``, ``language``, ``wp:wxr_version`` (1.2),
  ``wp:base_site_url`` and ``wp:base_blog_url``;
- ``wp:author`` for each author page (the login is its slug: WordPress asks the person
  importing to map or create the users), ``wp:category`` for each section and ``wp:tag``
  for each tag used by an article;
- one ``item`` per article (``wp:post_type`` post) and per plain page (page): ``title``,
  ``link``, ``pubDate``, ``dc:creator``, ``guid``, ``content:encoded`` (the body's blocks
  rendered to HTML, links and images made absolute), ``excerpt:encoded`` (the standfirst),
  ``wp:post_id`` (the page's id), ``wp:post_date`` and ``wp:post_date_gmt`` (the first
  publication, in the site's time zone and in UTC), ``wp:post_modified(_gmt)``,
  ``wp:post_name`` (the slug), ``wp:status`` (publish, future or draft), ``wp:post_parent``,
  ``wp:menu_order``, ``wp:is_sticky``, ``category`` elements with domain ``category`` or
  ``post_tag`` and their ``nicename``, and ``_thumbnail_id`` for the hero image;
- one ``item`` per image (``wp:post_type`` attachment) with ``wp:attachment_url`` (the
  original file) and ``wp:post_parent`` (the article it illustrates, when it is a hero).

Every value is escaped, and HTML goes into CDATA sections split wherever the text holds
``]]>``, so no content can break the XML. The file is written item by item.
"""

import io
import logging
import re
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.test import RequestFactory
from django.utils import timezone
from taggit.models import Tag
from wagtail.contrib.settings.context_processors import settings as settings_context
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from masthead.core.models import SiteSettings
from masthead.publishing.models import (
    ArticlePage,
    ArticlePageTag,
    AuthorPage,
    SectionPage,
    StandardPage,
)

logger = logging.getLogger(__name__)

WXR_VERSION = "1.2"
NAMESPACES = {
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wp": "http://wordpress.org/export/1.2/",
}
CHUNK = 500
# src="/..." and href="/..." in rendered HTML, made absolute for the new site to fetch.
_ROOT_RELATIVE = re.compile(r'(\s(?:src|href)=")(/(?!/))')


def cdata(text):
    text = "" if text is None else str(text)
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def wp_date(moment):
    """WordPress's "YYYY-MM-DD HH:MM:SS", in the site's time zone."""
    if moment is None:
        return "0000-00-00 00:00:00"
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def wp_date_gmt(moment):
    if moment is None:
        return "0000-00-00 00:00:00"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def absolute(html, root_url):
    return _ROOT_RELATIVE.sub(lambda match: match.group(1) + root_url + match.group(2), html)


def reader_request(site):
    """A reader's GET of the site's home, for the blocks that read the site's settings."""
    if site is None:
        return RequestFactory().get("/")
    return RequestFactory().get("/", SERVER_NAME=site.hostname, SERVER_PORT=site.port)


def render_body(page, root_url, request):
    """The page's body blocks rendered to HTML as readers see them, with absolute URLs.

    A block that cannot render outside a reader's page (none should) falls back to its
    text, so one odd block never loses the whole file."""
    parts = []
    context = {"page": page, "request": request, **settings_context(request)}
    for child in page.body:
        try:
            parts.append(str(child.render(context=context)))
        except Exception:  # a block's template failing must not lose the article
            logger.exception(
                "Block %s of page %s rendered as text in the WXR", child.block_type, page.pk
            )
            text = " ".join(child.block.get_searchable_content(child.value))
            parts.append(f"<p>{escape(text)}</p>")
    return absolute("\n".join(parts), root_url)


def status_of(page):
    if page.live:
        return "publish"
    if page.go_live_at and page.go_live_at > timezone.now():
        return "future"
    return "draft"


class _Writer:
    def __init__(self, stream):
        self.text = io.TextIOWrapper(stream, encoding="utf-8", newline="\n")

    def line(self, value, depth=0):
        self.text.write("\t" * depth + value + "\n")

    def element(self, name, value, depth, *, raw=False):
        body = value if raw else escape("" if value is None else str(value))
        self.line(f"<{name}>{body}</{name}>", depth)

    def close(self):
        self.text.flush()
        self.text.detach()


def _site():
    site = Site.objects.filter(is_default_site=True).first()
    root_url = site.root_url if site else "http://localhost"
    name, description = (site.site_name if site else "") or "", ""
    if site:
        outlet = SiteSettings.for_site(site)
        name, description = outlet.outlet_name or name, outlet.strapline
    return site, root_url.rstrip("/"), name, description


def _page_url(page, root_url):
    url = page.get_url()
    if not url:
        return root_url + "/"
    return url if url.startswith("http") else root_url + url


def write_wxr(stream, *, now=None):
    """Write the WXR file to the binary ``stream``; returns the number of items."""
    now = now or datetime.now(UTC)
    site, root_url, name, description = _site()
    request = reader_request(site)
    out = _Writer(stream)
    language = settings.LANGUAGE_CODE
    out.line('<?xml version="1.0" encoding="UTF-8" ?>')
    out.line("<!-- A WordPress eXtended RSS file of a Masthead outlet's articles. -->")
    namespaces = " ".join(f"xmlns:{key}={quoteattr(value)}" for key, value in NAMESPACES.items())
    out.line(f'<rss version="2.0" {namespaces}>')
    out.line("<channel>", 0)
    out.element("title", name, 1)
    out.element("link", root_url, 1)
    out.element("description", description, 1)
    out.element("pubDate", format_datetime(now), 1)
    out.element("language", language, 1)
    out.element("wp:wxr_version", WXR_VERSION, 1)
    out.element("wp:base_site_url", root_url, 1)
    out.element("wp:base_blog_url", root_url, 1)

    authors = {}
    for author in AuthorPage.objects.order_by("pk"):
        authors[author.pk] = author.slug
        out.line("<wp:author>", 1)
        out.element("wp:author_id", author.pk, 2)
        out.element("wp:author_login", cdata(author.slug), 2, raw=True)
        out.element("wp:author_email", cdata(author.public_email), 2, raw=True)
        out.element("wp:author_display_name", cdata(author.title), 2, raw=True)
        out.element("wp:author_first_name", cdata(""), 2, raw=True)
        out.element("wp:author_last_name", cdata(""), 2, raw=True)
        out.line("</wp:author>", 1)

    sections = {}
    for section in SectionPage.objects.order_by("pk"):
        sections[section.path] = section
        out.line("<wp:category>", 1)
        out.element("wp:term_id", section.pk, 2)
        out.element("wp:category_nicename", cdata(section.slug), 2, raw=True)
        out.element("wp:category_parent", cdata(""), 2, raw=True)
        out.element("wp:cat_name", cdata(section.title), 2, raw=True)
        out.element("wp:category_description", cdata(section.introduction), 2, raw=True)
        out.line("</wp:category>", 1)

    tag_ids = ArticlePageTag.objects.values_list("tag_id", flat=True).distinct()
    for tag in Tag.objects.filter(pk__in=tag_ids).order_by("pk"):
        out.line("<wp:tag>", 1)
        out.element("wp:term_id", tag.pk, 2)
        out.element("wp:tag_slug", cdata(tag.slug), 2, raw=True)
        out.element("wp:tag_name", cdata(tag.name), 2, raw=True)
        out.line("</wp:tag>", 1)

    # Attachments take ids after the pages', which keep their own.
    id_offset = (Page.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    hero_of = {}
    items = 0
    articles = (
        ArticlePage.objects.order_by("path")
        .select_related("hero_image")
        .prefetch_related("article_authors", "tags")
    )
    for article in articles.iterator(chunk_size=CHUNK):
        section = sections.get(article.path[: -article.steplen])
        first_author = next(iter(article.article_authors.all()), None)
        creator = authors.get(first_author.author_id) if first_author else ""
        terms = []
        if section:
            terms.append(("category", section.slug, section.title))
        terms.extend(("post_tag", tag.slug, tag.name) for tag in article.tags.all())
        meta = {}
        if article.hero_image_id:
            meta["_thumbnail_id"] = id_offset + article.hero_image_id
            hero_of.setdefault(article.hero_image_id, article.pk)
        _item(
            out,
            article,
            root_url,
            post_type="post",
            creator=creator,
            excerpt=article.standfirst,
            content=render_body(article, root_url, request),
            terms=terms,
            meta=meta,
        )
        items += 1

    for page in StandardPage.objects.order_by("path").iterator(chunk_size=CHUNK):
        _item(
            out,
            page,
            root_url,
            post_type="page",
            creator="",
            excerpt=page.introduction,
            content=render_body(page, root_url, request),
            terms=[],
            meta={},
        )
        items += 1

    for image in get_image_model().objects.order_by("pk").iterator(chunk_size=CHUNK):
        url = image.file.url
        if not url.startswith("http"):
            url = root_url + url
        out.line("<item>", 1)
        out.element("title", image.title, 2)
        out.element("link", url, 2)
        out.element("pubDate", format_datetime(image.created_at), 2)
        out.element("dc:creator", cdata(""), 2, raw=True)
        out.line(f'<guid isPermaLink="false">{escape(url)}</guid>', 2)
        out.element("description", "", 2)
        out.element("content:encoded", cdata(""), 2, raw=True)
        out.element("excerpt:encoded", cdata(getattr(image, "caption", "") or ""), 2, raw=True)
        out.element("wp:post_id", id_offset + image.pk, 2)
        out.element("wp:post_date", cdata(wp_date(image.created_at)), 2, raw=True)
        out.element("wp:post_date_gmt", cdata(wp_date_gmt(image.created_at)), 2, raw=True)
        out.element("wp:comment_status", cdata("closed"), 2, raw=True)
        out.element("wp:ping_status", cdata("closed"), 2, raw=True)
        out.element("wp:post_name", cdata(f"image-{image.pk}"), 2, raw=True)
        out.element("wp:status", cdata("inherit"), 2, raw=True)
        out.element("wp:post_parent", hero_of.get(image.pk, 0), 2)
        out.element("wp:menu_order", 0, 2)
        out.element("wp:post_type", cdata("attachment"), 2, raw=True)
        out.element("wp:post_password", cdata(""), 2, raw=True)
        out.element("wp:is_sticky", 0, 2)
        out.element("wp:attachment_url", cdata(url), 2, raw=True)
        out.line("</item>", 1)
        items += 1

    out.line("</channel>", 0)
    out.line("</rss>")
    out.close()
    return items


def _item(out, page, root_url, *, post_type, creator, excerpt, content, terms, meta):
    published = page.first_published_at or page.go_live_at or page.latest_revision_created_at
    modified = page.last_published_at or page.latest_revision_created_at or published
    link = _page_url(page, root_url)
    out.line("<item>", 1)
    out.element("title", page.title, 2)
    out.element("link", link, 2)
    out.element("pubDate", format_datetime(published) if published else "", 2)
    out.element("dc:creator", cdata(creator), 2, raw=True)
    out.line(f'<guid isPermaLink="false">{escape(root_url)}/?p={page.pk}</guid>', 2)
    out.element("description", "", 2)
    out.element("content:encoded", cdata(content), 2, raw=True)
    out.element("excerpt:encoded", cdata(excerpt), 2, raw=True)
    out.element("wp:post_id", page.pk, 2)
    out.element("wp:post_date", cdata(wp_date(published)), 2, raw=True)
    out.element("wp:post_date_gmt", cdata(wp_date_gmt(published)), 2, raw=True)
    out.element("wp:post_modified", cdata(wp_date(modified)), 2, raw=True)
    out.element("wp:post_modified_gmt", cdata(wp_date_gmt(modified)), 2, raw=True)
    out.element("wp:comment_status", cdata("closed"), 2, raw=True)
    out.element("wp:ping_status", cdata("closed"), 2, raw=True)
    out.element("wp:post_name", cdata(page.slug), 2, raw=True)
    out.element("wp:status", cdata(status_of(page)), 2, raw=True)
    out.element("wp:post_parent", 0, 2)
    out.element("wp:menu_order", 0, 2)
    out.element("wp:post_type", cdata(post_type), 2, raw=True)
    out.element("wp:post_password", cdata(""), 2, raw=True)
    out.element("wp:is_sticky", 0, 2)
    for domain, slug, term in terms:
        attributes = f"domain={quoteattr(domain)} nicename={quoteattr(slug)}"
        out.line(f"<category {attributes}>{cdata(term)}</category>", 2)
    for key, value in meta.items():
        out.line("<wp:postmeta>", 2)
        out.element("wp:meta_key", cdata(key), 3, raw=True)
        out.element("wp:meta_value", cdata(value), 3, raw=True)
        out.line("</wp:postmeta>", 2)
    out.line("</item>", 1)
