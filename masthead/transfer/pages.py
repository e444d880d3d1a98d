"""What every importer does to make pages: sections, authors, tags and articles, created
or updated by the item's source record, so that a re-run updates instead of duplicating.

The interface (every function works on the default Wagtail site's home page)::

    home_page() -> HomePage
    default_section(preferred=None) -> SectionPage
        ``preferred`` (a title or slug) if given, else the first existing section, else a
        new "News" section.
    section_for(title_or_slug, *, create=True) -> SectionPage or None
        the section under the home page with that slug or title (case-insensitive), made
        and published when missing and ``create``.
    author_index() -> AuthorIndexPage (made as "Authors" when the site has none)
    author_for(name, *, slug=None, bio="", role="", website="", user=None,
               importer=None, source_id=None) -> (AuthorPage, created)
        found by the importer's record of kind "author" and ``source_id``, else by slug
        under the index, else made; ``bio`` (HTML) sanitised.
    tag_names(names) -> list of unique tag names (trimmed, at most 100 characters)
    standfirst_from(excerpt, body_html) -> (text, truncated)
        the excerpt as plain text, else the body's first sentences, within 300 characters.
    unique_slug(parent, slug, exclude=None) -> (slug, changed)
    save_article(importer, kind, source_id, *, title, slug, standfirst, body,
                 published_at, status, go_live_at=None, section, authors=(), tags=(),
                 hero_image=None, old_urls=(), page_class=ArticlePage,
                 extra_fields=None, modified_at=None, label=None) -> (page, created)

    remember_new(importer, kind, source_id, obj)
        ``importer.remember`` in one INSERT, for an item ``find()`` has just not found.
    remember_new_many(importer, [(kind, source_id, obj), ...])
        the same for several, in one INSERT.

An import runs inside ``masthead.core.cache_invalidation.deferred()``: the page cache is
emptied once at the end, not at every page, image and tag saved.

``save_article`` creates (under ``section``, which for a ``StandardPage`` is its parent
page) or updates the page recorded for ``(kind, source_id)``, saves a revision and then:

- ``status=ItemStatus.PUBLISHED``: publishes it, keeping ``published_at`` as its
  ``first_published_at`` and ``modified_at`` (or ``published_at``) as its
  ``last_published_at``: the feeds date items by the first, sitemaps by the second;
- ``status=ItemStatus.SCHEDULED``: publishes it with ``go_live_at`` in the future, so Wagtail's
  scheduler makes it live then (a ``go_live_at`` already past publishes it now, dated
  ``published_at``);
- ``status=ItemStatus.DRAFT``: leaves it unpublished (and unpublishes it if an earlier run had
  published it).

It counts the page in ``importer.report`` as ``kind`` "created" or "updated", notes a slug
changed to avoid a clash and a standfirst cut to 300 characters as approximated, and makes
a permanent redirect from each of ``old_urls`` (``masthead.transfer.redirects``) once the
page is published or scheduled. For a ``StandardPage`` the standfirst becomes its
introduction; authors and tags are ignored.
"""

import html
import re
from enum import StrEnum

from django.contrib.contenttypes.models import ContentType
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from modelcluster.models import get_all_child_relations
from treebeard.exceptions import PathOverflow
from wagtail.log_actions import get_active_log_context
from wagtail.models import Page, PageLogEntry, Revision, Site
from wagtail.signals import page_published

from masthead.publishing.models import (
    ArticleAuthor,
    ArticlePage,
    AuthorIndexPage,
    AuthorPage,
    HomePage,
    SectionPage,
)
from masthead.transfer.html import sanitise
from masthead.transfer.importing import transaction_cache
from masthead.transfer.models import SourceRecord
from masthead.transfer.redirects import TakenPaths, redirect_old_urls

STANDFIRST_MAX = 300
TAG_MAX = 100
SLUG_MAX = 255


class ItemStatus(StrEnum):
    """What an imported page becomes here, whatever its source called it."""

    PUBLISHED = "published"
    DRAFT = "draft"
    SCHEDULED = "scheduled"


_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def remember_new(importer, kind, source_id, obj):
    """``importer.remember()`` for an item ``importer.find()`` has just not found: one
    INSERT instead of a look-up and an INSERT in a savepoint."""
    remember_new_many(importer, [(kind, source_id, obj)])


def remember_new_many(importer, entries):
    """``remember_new`` for each ``(kind, source_id, obj)`` of ``entries``, in one INSERT."""
    SourceRecord.objects.bulk_create(
        [
            SourceRecord(
                source=importer.source,
                site=importer.site,
                kind=kind,
                source_id=str(source_id),
                content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
                object_id=str(obj.pk),
            )
            for kind, source_id, obj in entries
        ]
    )
    noted = getattr(importer, "note_remembered", None)
    if noted is not None:
        for kind, source_id, _obj in entries:
            noted(kind, source_id)


def home_page():
    site = Site.objects.get(is_default_site=True)
    return site.root_page.specific


def _home():
    home = home_page()
    if not isinstance(home, HomePage):
        raise ValueError("The default site's root page is not a Masthead home page.")
    return home


def _publish_new(parent, page):
    _add_child(parent, page)
    page.save_revision().publish()
    return page


def section_for(title_or_slug, *, create=True):
    """The section called or slugged ``title_or_slug``, made when missing and ``create``."""
    name = (title_or_slug or "").strip()
    if not name:
        return None
    home = _home()
    slug = slugify(name)[:SLUG_MAX] or "section"
    sections = SectionPage.objects.child_of(home)
    found = sections.filter(slug=slug).first() or sections.filter(title__iexact=name).first()
    if found is not None or not create:
        return found
    slug, _changed = unique_slug(home, slug)
    return _publish_new(home, SectionPage(title=name, slug=slug, show_in_menus=True))


def default_section(preferred=None):
    """``preferred`` (title or slug, made if missing), else the first section, else "News"."""
    if preferred:
        return section_for(preferred)
    first = SectionPage.objects.child_of(_home()).order_by("path").first()
    return first or section_for("News")


def author_index():
    home = _home()
    index = AuthorIndexPage.objects.child_of(home).first()
    if index is None:
        slug, _changed = unique_slug(home, "authors")
        index = _publish_new(home, AuthorIndexPage(title="Authors", slug=slug))
    return index


def author_for(
    name, *, slug=None, bio="", role="", website="", user=None, importer=None, source_id=None
):
    """The author page for ``name``: (page, created)."""
    name = (name or "").strip()[:255] or "Unknown author"
    author = None
    if importer is not None and source_id is not None:
        author = importer.find("author", source_id, AuthorPage)
    index = author_index()
    slug = (slugify(slug or name) or "author")[:SLUG_MAX]
    if author is None:
        author = AuthorPage.objects.child_of(index).filter(slug=slug).first()
    created = author is None
    if created:
        slug, _changed = unique_slug(index, slug)
        author = AuthorPage(title=name, slug=slug)
    author.title = name
    if bio:
        author.bio = sanitise(bio)
    if role:
        author.role = role[:120]
    if website and not author.website and len(website) <= 200:
        author.website = website
    if user is not None and author.user_id is None:
        author.user = user
    if created:
        _publish_new(index, author)
    else:
        author.save_revision().publish()
    if importer is not None and source_id is not None:
        importer.remember("author", source_id, author)
    return author, created


def tag_names(names):
    seen = {}
    for name in names or ():
        name = _SPACE.sub(" ", html.unescape(str(name))).strip()[:TAG_MAX]
        if name and name.lower() not in seen:
            seen[name.lower()] = name
    return list(seen.values())


def _add_tags(page, names):
    """``page.tags.add(*names)``, with the tags already found or made in the import's
    current transaction given as they are (taggit looks up by name only the others)."""
    cache = transaction_cache()
    known = {} if cache is None else cache.setdefault("tags", {})
    page.tags.add(*(known.get(name, name) for name in names))
    for tagged in page.tagged_items.all():
        known[tagged.tag.name] = tagged.tag


def plain_text(markup):
    """``markup`` without tags, entities decoded, spaces collapsed."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", markup or ""))).strip()


def standfirst_from(excerpt, body_html=""):
    """(standfirst, truncated): the excerpt, else the body's first sentences."""
    text = plain_text(excerpt)
    from_body = not text
    if from_body:
        text = plain_text(body_html)
    if len(text) <= STANDFIRST_MAX:
        return text, False
    if from_body:
        kept = ""
        for sentence in _SENTENCE_END.split(text):
            candidate = f"{kept} {sentence}".strip()
            if len(candidate) > STANDFIRST_MAX:
                break
            kept = candidate
        if kept:
            return kept, False
    cut = text[: STANDFIRST_MAX - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return f"{cut}…", True


def unique_slug(parent, slug, exclude=None):
    """``slug`` or, if a child of ``parent`` has it, ``slug-2``, ``slug-3``...: (slug,
    changed)."""
    slug = (slug or "page")[:SLUG_MAX]
    children = parent.get_children()
    if exclude is not None and exclude.pk:
        children = children.exclude(pk=exclude.pk)
    # Most slugs are free: asked for exactly (the slug's index), not by prefix (which
    # reads every child of the parent, a section's thousands during an import).
    if not children.filter(slug=slug).exists():
        return slug, False
    taken = set(children.filter(slug__startswith=slug).values_list("slug", flat=True))
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = f"{slug[: SLUG_MAX - len(suffix)]}{suffix}"
        if candidate not in taken:
            return candidate, True
        number += 1


def _add_child(parent, page, **save_options):
    """``parent.add_child(instance=page)`` as treebeard does it (parent row locked, the
    next path after the last child's, ``numchild`` counted up), but during an import
    asking for the lock and the last child only once per parent and transaction: the last
    path is kept in the import's ``transaction_cache()``, which holds only while the lock
    does. Every page this module adds or moves goes through here (or forgets the path)."""
    cache = transaction_cache()
    last_paths = {} if cache is None else cache.setdefault("last_child_paths", {})
    if parent.pk not in last_paths:
        locked = Page.objects.select_for_update().get(pk=parent.pk)
        last = locked.get_last_child() if locked.numchild else None
        last_paths[parent.pk] = last.path if last is not None else None
    last = last_paths[parent.pk]
    page.depth = parent.depth + 1
    step = Page._str2int(last[-Page.steplen :]) + 1 if last else 1
    page.path = Page._get_path(parent.path, page.depth, step)
    if len(page.path) != page.depth * Page.steplen:
        raise PathOverflow(f"{parent.title!r} has no room for another child page")
    Page.objects.filter(pk=parent.pk).update(numchild=F("numchild") + 1)
    parent.numchild += 1
    page._cached_parent_obj = parent
    page.save(**save_options)
    last_paths[parent.pk] = page.path


def _add_published(parent, page, published_at, modified_at):
    """Add ``page`` under ``parent`` already published, with its revision: what Wagtail's
    ``add_child``, ``save_revision`` and publish action do for a new page (the page saved,
    its revision, live with first and last published dates and the live revision, the
    "wagtail.create" and "wagtail.publish" log entries, the ``page_published`` signal),
    with the page saved once and updated once, and the two log entries made in one INSERT
    (Wagtail's ``log()`` checks each entry's foreign keys with a query apiece)."""
    now = timezone.now()
    # Saved first as a draft (Wagtail then checks only its title and slug, which are known
    # to be good, instead of every field and each foreign key with a query), then made live.
    page.live = False
    page.go_live_at = None
    page.locale_id = parent.locale_id
    # save_article has made the title and a slug free under the parent: Wagtail's check of
    # both (a query) is not needed, nor its look-up of whether a new page is a site's root.
    page.draft_title = page.title
    page._is_site_root = False
    # A new page's child objects (bylines, tags...) are in memory until it is saved, which
    # saves them with a look-up of the existing ones and an INSERT each, relation by
    # relation. Taken out of its memory before it is saved, they are made here in one
    # INSERT per relation (a new page has none yet); given back to it afterwards, the
    # revision's copy of the page reads them from there instead of asking the database.
    relations = get_all_child_relations(page)
    children = {
        relation: list(getattr(page, relation.get_accessor_name()).all()) for relation in relations
    }
    held = getattr(page, "_cluster_related_objects", {})
    for relation in relations:
        held.pop(relation.get_accessor_name(), None)
    _add_child(parent, page, clean=False, log_action=None)  # logged below
    for relation, objects in children.items():
        for child in objects:
            setattr(child, relation.field.name, page)
        if objects:
            relation.related_model._default_manager.bulk_create(objects)
        getattr(page, relation.get_accessor_name()).set(objects)
    revision = Revision.objects.create(
        content_object=page,
        base_content_type=page.get_base_content_type(),
        content=page.serializable_data(),
        object_str=str(page),
    )
    published = {
        "live": True,
        "live_revision": revision,
        "latest_revision": revision,
        "latest_revision_created_at": revision.created_at,
        "draft_title": page.title,
        "has_unpublished_changes": False,
        "first_published_at": published_at or now,
        "last_published_at": modified_at or published_at or now,
    }
    # Every field is the page row's: an update of the specific page's model would look its
    # row up first.
    Page.objects.filter(pk=page.pk).update(**published)
    for field, value in published.items():
        setattr(page, field, value)
    context = get_active_log_context()
    entry = {
        "page": page,
        "content_type": ContentType.objects.get_for_model(page, for_concrete_model=False),
        "label": page.get_admin_display_title(),
        "timestamp": now,
        "data": {},
        "uuid": context.uuid,
        "content_changed": True,
    }
    PageLogEntry.objects.bulk_create(
        [
            PageLogEntry(action="wagtail.create", user=context.user or page.owner, **entry),
            PageLogEntry(action="wagtail.publish", user=context.user, revision=revision, **entry),
        ]
    )
    page_published.send(sender=page.specific_class, instance=page, revision=revision)


def _save_and_publish(parent, page, created, status, published_at, modified_at):
    """Save (or add) ``page`` and publish, schedule or unpublish it through Wagtail."""
    if created:
        _add_child(parent, page)
    else:
        if page.get_parent().pk != parent.pk:
            new_slug, changed = unique_slug(parent, page.slug, exclude=page)
            if changed:
                page.slug = new_slug
                page.save(update_fields=["slug"])
            page.move(parent, pos="last-child")
            (transaction_cache() or {}).get("last_child_paths", {}).pop(parent.pk, None)
            page.refresh_from_db(fields=["path", "depth", "url_path"])
        page.save()
    revision = page.save_revision(clean=False)
    if status == ItemStatus.DRAFT:
        if page.live:
            page.unpublish()
        return
    revision.publish()
    if status == ItemStatus.PUBLISHED or not (page.go_live_at and page.go_live_at > timezone.now()):
        dated = {"last_published_at": modified_at or published_at or page.last_published_at}
        if published_at:
            dated["first_published_at"] = published_at
        type(page).objects.filter(pk=page.pk).update(**dated)
        for field, value in dated.items():
            setattr(page, field, value)


def save_article(
    importer,
    kind,
    source_id,
    *,
    title,
    slug,
    standfirst,
    body,
    published_at,
    status,
    go_live_at=None,
    section,
    authors=(),
    tags=(),
    hero_image=None,
    old_urls=(),
    page_class=ArticlePage,
    extra_fields=None,
    modified_at=None,
    label=None,
):
    """Create or update the page for ``(kind, source_id)``: (page, created). See the
    module's docstring."""
    if status not in set(ItemStatus):
        raise ValueError(f"Unknown status {status!r}; one of {', '.join(ItemStatus)}.")
    report = importer.report
    label = label or f"{title} ({kind} {source_id})"
    is_article = issubclass(page_class, ArticlePage)
    title = (title or "").strip()[:255] or "Untitled"
    page = importer.find(kind, source_id, page_class)
    created = page is None
    slug = (slugify(slug or "", allow_unicode=True) or slugify(title) or kind)[:SLUG_MAX]
    if created:
        page = page_class(title=title, slug=slug, live=False)
        new_slug, changed = unique_slug(section, slug)
        if changed:
            report.approximate(
                kind, label, f"the slug {slug!r} was taken here; the page is at {new_slug!r}"
            )
        page.slug = new_slug
    page.title = title
    standfirst = (standfirst or "").strip()
    if len(standfirst) > STANDFIRST_MAX:
        standfirst, _truncated = standfirst_from(standfirst)
        report.approximate(kind, label, "the standfirst was cut to 300 characters")
    if is_article:
        page.standfirst = standfirst or title[:STANDFIRST_MAX]
        page.hero_image = hero_image
        page.article_authors = [
            ArticleAuthor(author=author, sort_order=number)
            for number, author in enumerate(dict.fromkeys(authors))
        ]
    else:
        page.introduction = standfirst
    page.body = body
    for field, value in (extra_fields or {}).items():
        setattr(page, field, value)
    if status == ItemStatus.PUBLISHED:
        page.first_published_at = published_at or page.first_published_at
        page.go_live_at = None
    elif status == ItemStatus.SCHEDULED:
        page.go_live_at = go_live_at or published_at
    if is_article:
        page.tags.clear()
        _add_tags(page, tag_names(tags))
    if created and status == ItemStatus.PUBLISHED:
        _add_published(section, page, published_at, modified_at)
    else:
        _save_and_publish(section, page, created, status, published_at, modified_at)
    if status != ItemStatus.DRAFT and old_urls:
        sites = importer.__dict__.setdefault("_sites_by_parent", {})
        if section.pk not in sites:
            sites[section.pk] = section.get_site()
        site = sites[section.pk]
        taken = importer.__dict__.setdefault("_redirects_by_site", {})
        if site.pk not in taken:
            taken[site.pk] = TakenPaths(site)
        redirect_old_urls(old_urls, page, site, taken[site.pk])
    if created:
        remember_new(importer, kind, source_id, page)
    else:
        importer.remember(kind, source_id, page)
    report.count(kind, "created" if created else "updated")
    return page, created
