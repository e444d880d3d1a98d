"""The WordPress importer: a WXR export (WordPress's Tools → Export), versions 1.1 and 1.2.

    masthead import wordpress export.xml [more.xml ...] --option uploads_dir=/path/to/uploads

The file is read as a stream (``defusedxml``'s ``iterparse``, every item cleared once read),
never whole, twice: ``check()`` reads it through to validate it and count its items
(refusing anything that is not WXR, malformed XML, entity declarations, external entities
and DTD references, with nothing changed), then ``items()`` reads it again and imports.

What becomes what (``source`` "wordpress", ``site`` the file's ``wp:base_site_url``):

- ``wp:author`` → an author page under the author index (by ``author_login``), and with
  the option ``create_users`` an admin user too, with no usable password and no group;
- ``wp:category`` → a section, through the ``section_map`` option
  (``{"category-slug": "section title or slug"}``, also accepted as ``categories``); an
  unmapped category goes to the ``default_section`` option, else the site's first section
  (a post's first mapped category is its section; its other categories become tags,
  noted);
- ``post`` → an article: ``content:encoded`` to body blocks (``masthead.transfer.html``),
  ``excerpt:encoded`` to the standfirst (else the body's first sentences), ``post_tag``
  categories to tags, ``dc:creator`` to the byline, the ``_thumbnail_id`` attachment to the
  hero image, ``wp:post_date_gmt`` to the publish date and ``wp:post_modified_gmt`` to the
  last publish date;
- ``page`` → a plain page under its parent page if that was imported first, else under
  the home page;
- ``attachment`` → a Wagtail image (``masthead.transfer.media``; ``uploads_dir``, the
  site's ``wp-content/uploads`` copied here, or ``download`` to fetch by address);
- ``wp:comment`` → an ``ArchivedComment`` on its article or page (approved ones only, or
  also those held for moderation with ``include_unapproved_comments``; spam and trash
  never; no email or IP address kept), with its parent for threads;
- every other post type (menus, revisions, reusable blocks, custom types) is skipped and
  counted.

A password-protected post or page keeps its password (a Wagtail password restriction).
Statuses: ``publish`` is published, ``future`` scheduled for its date, ``draft`` a draft;
``pending`` (awaiting review) and ``private`` become drafts, noted (Masthead has no review
queue of its own for imports, nor private articles); ``trash`` and ``auto-draft`` are
skipped. Sticky posts (``wp:is_sticky``, or their ids in the ``sticky`` option): the newest
published one becomes the home page's lead story, the others are noted (the home page has
one lead). Old addresses redirect to the new pages: each item's ``link`` (its permalink),
and ``/?p=ID`` (``/?page_id=ID`` for pages) under the blog's address.

A file of at least ``masthead.transfer.ahead.MIN_ITEMS`` items is imported with a worker
process that converts the bodies, sanitises the comments and reads, checks and cleans the
attachments' files ahead (``prepare_item``), while this one writes to the database in
order; what it makes and reports is the same.

Options: ``section_map``, ``default_section``, ``create_users``, ``uploads_dir``,
``download``, ``include_unapproved_comments``, ``comments`` (false to import none),
``sticky`` (a list of post ids).
"""

import datetime
import email.utils
import re
from functools import partial
from urllib.parse import urlsplit

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse
from django.contrib.auth import get_user_model
from django.utils import timezone
from wagtail.models import PageViewRestriction

from masthead.core import cache_invalidation
from masthead.publishing.models import ArticlePage, HomePage, StandardPage
from masthead.transfer import ahead, pages
from masthead.transfer.html import sanitise, to_blocks
from masthead.transfer.importing import Importer, ImportFileError, register_importer
from masthead.transfer.media import MediaImporter, max_bytes, max_pixels, prepare_local_image
from masthead.transfer.models import ArchivedComment, SourceRecord
from masthead.transfer.pages import ItemStatus

WP_NAMESPACE = re.compile(r"^http://wordpress\.org/export/1\.\d+/$")
EXCERPT_NAMESPACE = re.compile(r"^http://wordpress\.org/export/1\.\d+/excerpt/$")
CONTENT_NAMESPACE = "http://purl.org/rss/1.0/modules/content/"
DC_NAMESPACE = "http://purl.org/dc/elements/1.1/"
SUPPORTED_VERSIONS = ("1.0", "1.1", "1.2")
# WordPress's status of a post: what it becomes here.
STATUSES = {
    "publish": ItemStatus.PUBLISHED,
    "future": ItemStatus.SCHEDULED,
    "draft": ItemStatus.DRAFT,
    "pending": ItemStatus.DRAFT,
    "private": ItemStatus.DRAFT,
}
IMPORTED_TYPES = ("post", "page", "attachment")
NULL_DATE = "0000-00-00 00:00:00"
_tag_names = {}


def local_name(tag):
    """``wp:post_id`` for ``{http://wordpress.org/export/1.2/}post_id``, and so on."""
    name = _tag_names.get(tag)
    if name is not None:
        return name
    if tag.startswith("{"):
        namespace, local = tag[1:].split("}", 1)
        if WP_NAMESPACE.match(namespace):
            name = f"wp:{local}"
        elif EXCERPT_NAMESPACE.match(namespace):
            name = f"excerpt:{local}"
        elif namespace == CONTENT_NAMESPACE:
            name = f"content:{local}"
        elif namespace == DC_NAMESPACE:
            name = f"dc:{local}"
        else:
            name = f"{{{namespace}}}{local}"
    else:
        name = tag
    _tag_names[tag] = name
    return name


def _text(element, name, default=""):
    for child in element:
        if local_name(child.tag) == name:
            return (child.text or "").strip() if name != "content:encoded" else child.text or ""
    return default


def parse_gmt(value):
    """A WXR ``YYYY-MM-DD HH:MM:SS`` in UTC, or None (empty, or WordPress's zero date)."""
    value = (value or "").strip()
    if not value or value.startswith("0000"):
        return None
    try:
        return datetime.datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=datetime.UTC)
    except ValueError:
        return None


def parse_rfc822(value):
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


class Item:
    """One ``<item>`` of the file, read into plain values so its element can be cleared."""

    def __init__(self, element):
        self.meta = {}
        self.categories = []  # (domain, nicename, name)
        self.comments = []
        values = {}
        for child in element:
            name = local_name(child.tag)
            if name == "category":
                self.categories.append(
                    (child.get("domain", ""), child.get("nicename", ""), (child.text or "").strip())
                )
            elif name == "wp:postmeta":
                key, value = _text(child, "wp:meta_key"), _text(child, "wp:meta_value")
                self.meta.setdefault(key, value)
            elif name == "wp:comment":
                self.comments.append({local_name(part.tag): part.text or "" for part in child})
            elif name not in values:
                values[name] = child.text or ""
        self.values = values
        self.id = values.get("wp:post_id", "").strip()
        self.type = values.get("wp:post_type", "").strip() or "post"
        self.status = values.get("wp:status", "").strip()
        self.title = values.get("title", "").strip()
        self.link = values.get("link", "").strip()
        self.guid = values.get("guid", "").strip()
        self.slug = values.get("wp:post_name", "").strip()
        self.creator = values.get("dc:creator", "").strip()
        self.content = values.get("content:encoded", "")
        self.excerpt = values.get("excerpt:encoded", "")
        self.parent = values.get("wp:post_parent", "0").strip()
        self.attachment_url = values.get("wp:attachment_url", "").strip()
        self.sticky = values.get("wp:is_sticky", "0").strip() == "1"
        self.date = (
            parse_gmt(values.get("wp:post_date_gmt"))
            or parse_gmt(values.get("wp:post_date"))
            or parse_rfc822(values.get("pubDate", ""))
        )
        self.modified = parse_gmt(values.get("wp:post_modified_gmt"))
        self.prepared = None  # what the worker process did ahead (prepare_item), if it did

    @property
    def label(self):
        return f"{self.type} {self.id} {self.title!r}"


@register_importer("wordpress")
class WordPressImporter(Importer):
    source = "wordpress"

    def __init__(self, paths, options=None, report=None, dry_run=False):
        super().__init__(paths, options=options, report=report, dry_run=dry_run)
        self.authors = {}  # login -> dict
        self.categories = {}  # slug -> dict
        self.attachments = {}  # id -> url
        self.blog_url = ""
        self.version = ""
        self.counts = {}
        self.media = None
        self.sticky_pages = []  # (date, page pk) of published sticky posts
        self.sticky_ids = {str(value) for value in self.options.get("sticky") or ()}
        self._sections = {}  # category slug -> (section, mapped)
        self._authors = {}  # login -> author page
        self._fresh = False  # no item of this site was ever imported before this run
        self._made = set()  # (kind, source id) recorded during this run

    # -- source records: a first import of a site asks the database nothing ------------------

    def find(self, kind, source_id, model=None):
        if self._fresh and (kind, str(source_id)) not in self._made:
            return None
        return super().find(kind, source_id, model)

    def remember(self, kind, source_id, obj):
        super().remember(kind, source_id, obj)
        self.note_remembered(kind, source_id)

    def note_remembered(self, kind, source_id):
        self._made.add((kind, str(source_id)))

    # -- reading ----------------------------------------------------------------------------

    def _events(self, path):
        """Yield ("channel", element) for each channel-level WordPress element and
        ("item", Item) for each item, clearing what has been read."""
        depth = 0
        root = channel = None
        in_item = False
        try:
            for event, element in iterparse(
                str(path), events=("start", "end"), forbid_dtd=False, forbid_entities=True,
                forbid_external=True,
            ):  # fmt: skip
                if event == "start":
                    depth += 1
                    if root is None:
                        root = element
                        if local_name(element.tag) != "rss":
                            raise ImportFileError(
                                f"{path.name if hasattr(path, 'name') else path} is not a "
                                "WordPress export (WXR): it is not an RSS file."
                            )
                    elif depth == 2 and local_name(element.tag) == "channel":
                        channel = element
                    elif depth == 3 and local_name(element.tag) == "item":
                        in_item = True
                    continue
                depth -= 1
                name = local_name(element.tag)
                if depth == 2 and name == "item":
                    in_item = False
                    yield "item", Item(element)
                    (channel if channel is not None else root).clear()
                elif depth == 2 and not in_item and name.startswith("wp:"):
                    yield "channel", element
        except ParseError as error:
            raise ImportFileError(
                f"The file is not well-formed XML ({error}); it may be cut short or not be "
                "a WordPress export. Nothing was imported."
            ) from error
        except DefusedXmlException as error:
            raise ImportFileError(
                f"The file was refused: it declares XML entities or refers to external ones "
                f"({type(error).__name__}), which a WordPress export never does and which "
                "can be used to attack the server. Nothing was imported."
            ) from error
        except OSError as error:
            raise ImportFileError(f"The file could not be read: {error}") from error

    def _channel(self, element):
        name = local_name(element.tag)
        if name == "wp:base_site_url":
            self.site = self.site or (element.text or "").strip().rstrip("/")
        elif name == "wp:base_blog_url":
            self.blog_url = self.blog_url or (element.text or "").strip().rstrip("/")
        elif name == "wp:wxr_version":
            self.version = (element.text or "").strip()
        elif name == "wp:author":
            login = _text(element, "wp:author_login")
            if login:
                self.authors[login] = {
                    "id": _text(element, "wp:author_id") or login,
                    "login": login,
                    "email": _text(element, "wp:author_email"),
                    "display_name": _text(element, "wp:author_display_name") or login,
                    "first_name": _text(element, "wp:author_first_name"),
                    "last_name": _text(element, "wp:author_last_name"),
                }
        elif name == "wp:category":
            slug = _text(element, "wp:category_nicename")
            if slug:
                self.categories[slug] = {
                    "id": _text(element, "wp:term_id") or slug,
                    "slug": slug,
                    "name": _text(element, "wp:cat_name") or slug,
                    "parent": _text(element, "wp:category_parent"),
                }

    def check(self):
        if not self.paths:
            raise ImportFileError("No file was given.")
        items = 0
        for path in self.paths:
            found_channel = False
            for kind, value in self._events(path):
                if kind == "channel":
                    found_channel = True
                    self._channel(value)
                    continue
                items += 1
                self.counts[value.type] = self.counts.get(value.type, 0) + 1
                if value.type == "attachment" and value.id and value.attachment_url:
                    self.attachments[value.id] = value.attachment_url
            if not found_channel or not self.version:
                raise ImportFileError(
                    f"{path} is not a WordPress export (WXR): it has no wp:wxr_version. "
                    "Export it from WordPress with Tools → Export."
                )
            if self.version not in SUPPORTED_VERSIONS:
                self.report.approximate(
                    "file", str(path), f"WXR version {self.version} read as 1.2"
                )
        if not self.site:
            raise ImportFileError("The export names no site (wp:base_site_url is missing).")
        self.blog_url = self.blog_url or self.site
        return len(self.authors) + len(self.categories) + items

    # -- importing --------------------------------------------------------------------------

    def items(self):
        self._fresh = not SourceRecord.objects.filter(source=self.source, site=self.site).exists()
        self.media = MediaImporter(
            self,
            uploads_dir=self.options.get("uploads_dir") or None,
            download=bool(self.options.get("download")),
            known_urls=self.attachments.values(),
        )
        with cache_invalidation.deferred():
            yield from self._items()

    def _file_items(self):
        for path in self.paths:
            for kind, item in self._events(path):
                if kind == "item":
                    yield item

    def _items(self):
        for login, author in self.authors.items():
            yield f"author {login}", self._wrap(lambda author=author: self.import_author(author))
        for slug, category in self.categories.items():
            yield (
                f"category {slug}",
                self._wrap(lambda category=category: self.import_category(category)),
            )
        items = self._file_items()
        if sum(self.counts.values()) >= ahead.MIN_ITEMS:
            media = self.media
            options = (media.uploads_dir, media.uploads_prefixes, (max_bytes(), max_pixels()))
            items = ahead.ahead(items, partial(prepare_item, media_options=options))
        for item in items:
            yield item.label, self._wrap(lambda item=item: self.import_item(item), item)

    def _wrap(self, work, item=None):
        def run():
            prepared = item.prepared if item is not None else None
            self.media.begin_item((prepared or {}).get("images"))
            try:
                work()
                self.media.fetch_first()
            except Exception:
                # what the failed item made is rolled back: forget it (it is all found again)
                self.media.forget_item()
                self._sections.clear()
                self._authors.clear()
                raise

        return run

    def import_author(self, author):
        user = None
        if self.options.get("create_users"):
            user = self._user(author)
        page, created = pages.author_for(
            author["display_name"],
            slug=author["login"],
            user=user,
            importer=self,
            source_id=author["login"],
        )
        self._authors[author["login"]] = page
        self.report.count("author", "created" if created else "updated")

    def _user(self, author):
        User = get_user_model()
        user = self.find("user", author["login"], User)
        created = user is None
        if created:
            username = author["login"][:150]
            if User.objects.filter(username=username).exists():
                self.report.approximate(
                    "user", username, "a user with this name exists already; linked to it"
                )
                user = User.objects.get(username=username)
            else:
                user = User(username=username)
                user.set_unusable_password()
        user.first_name = author["first_name"][:150]
        user.last_name = author["last_name"][:150]
        if not user.email:
            user.email = author["email"][:254]
        user.save()
        self.remember("user", author["login"], user)
        self.report.count("user", "created" if created else "updated")
        return user

    def category_section(self, slug):
        """(section, mapped) for a category: its mapped section, else the default one."""
        cached = self._sections.get(slug)
        if cached is not None:
            return cached
        mapping = self.options.get("section_map") or self.options.get("categories") or {}
        target = mapping.get(slug)
        section = pages.section_for(target) if target else None
        mapped = section is not None
        if section is None:
            section = pages.default_section(self.options.get("default_section") or None)
        if not section._state.adding:
            self._sections[slug] = (section, mapped)
        return section, mapped

    def import_category(self, category):
        section, mapped = self.category_section(category["slug"])
        if not mapped:
            self.report.approximate(
                "category",
                category["name"],
                f"not mapped to a section; its posts go to {section.title!r}",
            )
        self.remember("category", category["slug"], section)
        self.report.count("category", "mapped" if mapped else "to the default section")

    def import_item(self, item):
        if item.type not in IMPORTED_TYPES:
            self.report.count(item.type or "item", "skipped")
            return
        if item.type == "attachment":
            self.import_attachment(item)
            return
        if item.status in ("trash", "auto-draft", "inherit"):
            self.report.skip(item.type, item.label, f"its status is {item.status!r}")
            return
        status = STATUSES.get(item.status)
        if status is None:
            status = ItemStatus.DRAFT
            self.report.approximate(
                item.type, item.label, f"unknown status {item.status!r}: a draft"
            )
        elif item.status in ("pending", "private"):
            self.report.approximate(
                item.type,
                item.label,
                f"{'awaiting review' if item.status == 'pending' else 'private'} in WordPress: "
                "imported as a draft",
            )
        if status == ItemStatus.SCHEDULED and (item.date is None or item.date <= timezone.now()):
            status = ItemStatus.PUBLISHED  # its time has come: WordPress would have published it
        if item.type == "post":
            page, created = self.import_post(item, status)
        else:
            page, created = self.import_page(item, status)
        password = item.values.get("wp:post_password", "").strip()
        if password:
            PageViewRestriction.objects.update_or_create(
                page=page,
                restriction_type=PageViewRestriction.PASSWORD,
                defaults={"password": password[:255]},
            )
            self.report.approximate(
                item.type, item.label, "password-protected in WordPress: readers need the password"
            )
        if self.options.get("comments", True):
            self.import_comments(item, page, created)

    def import_attachment(self, item):
        if not item.attachment_url:
            self.report.skip("attachment", item.label, "it names no file")
            return
        image = self.media.image_for(
            item.attachment_url, title=item.title, attachment_id=item.id or None
        )
        if image is not None:
            self.report.count("attachment", "imported")

    def _image_resolver(self, item):
        def resolve(src, alt):
            if src.startswith("attachment:"):
                attachment_id = src.split(":", 1)[1]
                url = self.attachments.get(attachment_id)
                if url is None:
                    self.report.skip("image", f"attachment {attachment_id}", "not in the export")
                    return None
                return self.media.image_for(url, alt=alt, attachment_id=attachment_id)
            if src.startswith("/"):
                src = f"{self.site}{src}"
            return self.media.image_for(src, alt=alt)

        return resolve

    def old_urls(self, item):
        base = urlsplit(self.blog_url).path.rstrip("/")
        query = "page_id" if item.type == "page" else "p"
        urls = [item.link] if item.link else []
        if item.id:
            urls.append(f"{base}/?{query}={item.id}")
        if item.guid and "?" in item.guid and item.guid not in urls:
            urls.append(item.guid)
        return urls

    def _body(self, item):
        images = self._image_resolver(item)
        prepared = (item.prepared or {}).get("body")
        if prepared is None:
            blocks, notes = to_blocks(item.content, images=images)
        else:
            blocks, notes = ahead.resolve_body(item.content, prepared, images)
        for note in notes:
            self.report.approximate(item.type, item.label, note)
        return blocks

    def import_post(self, item, status):
        categories = [
            (slug, self.categories.get(slug, {}).get("name") or name or slug)
            for domain, slug, name in item.categories
            if domain == "category"
        ]
        resolved = [(slug, name, *self.category_section(slug)) for slug, name in categories]
        primary = next((entry for entry in resolved if entry[3]), None) or (
            resolved[0] if resolved else None
        )
        section = primary[2] if primary else self.category_section("")[0]
        others = [
            name
            for slug, name, _section, _mapped in resolved
            if slug != primary[0] and slug != "uncategorized"
        ]
        if others:
            self.report.approximate(
                "post", item.label, f"also in the categories {', '.join(others)}: kept as tags"
            )
        extra_tags = others
        tags = [name for domain, _nice, name in item.categories if domain == "post_tag"]
        hero = None
        thumbnail = item.meta.get("_thumbnail_id", "").strip()
        if thumbnail:
            url = self.attachments.get(thumbnail)
            if url:
                hero = self.media.image_for(url, attachment_id=thumbnail)
            else:
                self.report.skip(
                    "image", f"attachment {thumbnail}", "the featured image is not in the export"
                )
        body = self._body(item)
        self.media.fetch_first()  # the images are resolved: nothing is saved before them
        standfirst, truncated = pages.standfirst_from(item.excerpt, item.content)
        if truncated:
            self.report.approximate("post", item.label, "the excerpt was cut to 300 characters")
        authors = []
        if item.creator:
            author = self._authors.get(item.creator) or self.find("author", item.creator)
            if author is None:
                author, _created = pages.author_for(
                    item.creator, importer=self, source_id=item.creator
                )
            authors.append(author)
        page, created = pages.save_article(
            self,
            "post",
            item.id,
            title=item.title,
            slug=item.slug or item.title,
            standfirst=standfirst,
            body=body,
            published_at=item.date,
            modified_at=item.modified if status == ItemStatus.PUBLISHED else None,
            status=status,
            go_live_at=item.date if status == ItemStatus.SCHEDULED else None,
            section=section,
            authors=authors,
            tags=[*tags, *extra_tags],
            hero_image=hero,
            old_urls=self.old_urls(item) if status != ItemStatus.DRAFT else (),
            label=item.label,
        )
        if status == ItemStatus.PUBLISHED and (item.sticky or item.id in self.sticky_ids):
            self.sticky_pages.append((item.date or page.first_published_at, page.pk, item.label))
        return page, created

    def import_page(self, item, status):
        parent = None
        if item.parent and item.parent != "0":
            parent = self.find("page", item.parent, StandardPage)
            if parent is None:
                self.report.approximate(
                    "page",
                    item.label,
                    "its parent page was not imported before it: put under the home page",
                )
        parent = parent or pages.home_page()
        standfirst, _truncated = pages.standfirst_from(item.excerpt, "")
        body = self._body(item)
        self.media.fetch_first()
        return pages.save_article(
            self,
            "page",
            item.id,
            title=item.title,
            slug=item.slug or item.title,
            standfirst=standfirst,
            body=body,
            published_at=item.date,
            modified_at=item.modified if status == ItemStatus.PUBLISHED else None,
            status=status,
            go_live_at=item.date if status == ItemStatus.SCHEDULED else None,
            section=parent,
            page_class=StandardPage,
            old_urls=self.old_urls(item) if status != ItemStatus.DRAFT else (),
            label=item.label,
        )

    def import_comments(self, item, page, new_page=False):
        include_held = bool(self.options.get("include_unapproved_comments"))
        new = []
        bodies = (item.prepared or {}).get("comments")
        for number, comment in enumerate(item.comments):
            comment_id = comment.get("wp:comment_id", "").strip()
            approved = comment.get("wp:comment_approved", "").strip()
            label = f"comment {comment_id} on {item.label}"
            if approved in ("spam", "trash", "post-trashed"):
                self.report.skip("comment", label, f"marked {approved} in WordPress")
                continue
            if approved != "1" and not include_held:
                self.report.skip("comment", label, "not approved in WordPress")
                continue
            body = bodies[number] if bodies else _comment_body(comment)
            url = comment.get("wp:comment_author_url", "").strip()
            if not url.startswith(("http://", "https://")) or len(url) > 500:
                url = ""
            parent = comment.get("wp:comment_parent", "0").strip()
            values = {
                "parent_source_id": "" if parent == "0" else parent,
                "author_name": comment.get("wp:comment_author", "").strip()[:255],
                "author_url": url,
                "posted_at": parse_gmt(comment.get("wp:comment_date_gmt"))
                or parse_gmt(comment.get("wp:comment_date")),
                "body": body,
                "approved": approved == "1",
            }
            if new_page:  # nothing to update: all of them in one query below
                new.append(
                    ArchivedComment(
                        source=self.source, article=page, source_id=comment_id, **values
                    )
                )
                continue
            _archived, created = ArchivedComment.objects.update_or_create(
                source=self.source, article=page, source_id=comment_id, defaults=values
            )
            self.report.count("comment", "created" if created else "updated")
        if new:
            ArchivedComment.objects.bulk_create(new)
            self.report.count("comment", "created", len(new))

    def finish(self):
        if not self.sticky_pages:
            return
        self.sticky_pages.sort(key=lambda entry: (entry[0] is not None, entry[0]), reverse=True)
        _date, pk, label = self.sticky_pages[0]
        home = pages.home_page()
        if isinstance(home, HomePage):
            home.lead_story = ArticlePage.objects.get(pk=pk)
            home.save_revision().publish()
            self.report.approximate(
                "post", label, "sticky in WordPress: made the home page's lead story"
            )
        for _date, _pk, other in self.sticky_pages[1:]:
            self.report.approximate(
                "post",
                other,
                "sticky in WordPress, but the home page has one lead story (the newest sticky "
                "post's): imported as an ordinary article",
            )


def prepare_item(item, media_options):
    """The work on ``item`` that needs no database, done ahead by the worker process
    (``masthead.transfer.ahead``): a post's or page's body blocks (images pending) and
    its comments sanitised; an attachment's file read, checked and cleaned.
    ``media_options`` is ``(uploads_dir, uploads_prefixes, (max_bytes, max_pixels))``."""
    if item.type == "attachment":
        uploads_dir, prefixes, limits = media_options
        if not item.attachment_url or uploads_dir is None:
            return {}
        return {"images": prepare_local_image(item.attachment_url, uploads_dir, prefixes, limits)}
    if item.type not in ("post", "page"):
        return {}
    return {
        "body": ahead.prepare_body(item.content),
        "comments": [_comment_body(comment) for comment in item.comments],
    }


def _comment_body(comment):
    return sanitise(_paragraphs(comment.get("wp:comment_content", "")))


def _paragraphs(text):
    """Plain comment text as WordPress shows it: blank lines between paragraphs."""
    text = (text or "").strip()
    if "<p" in text:
        return text
    return "".join(
        "<p>{}</p>".format(chunk.strip().replace("\n", "<br>"))
        for chunk in re.split(r"\n\s*\n", text)
        if chunk.strip()
    )
