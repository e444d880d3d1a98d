"""Connections to Wagtail's and Django's own events: whatever changes what readers see
empties the page cache.

Each change invalidates twice: at once, so that this process (and a test, which never
commits) shows the change on its next request; and again after the commit, so that a page
another worker rendered from the data as it was before the commit is never served.

What counts as "what readers see": every page (published, unpublished, moved, deleted, or
saved directly), images (a new focal point or file changes every rendition), site
settings, sites, tags, page privacy, and whatever models an app adds with
``invalidate_pages_on_change()`` from its wiring (publishing its bylines, sources and
corrections; the newsletter its lists; donations its costs and goals; the shop its
catalogue). ``tests/core/test_cache_invalidation_coverage.py`` walks the demo outlet's cached
pages and fails for any model they read that is neither here nor justified there. The
signal handlers here are connected by ``masthead.core.wiring``.
Saving a draft does not: readers see only what is published. Reader activity (a sign-up,
a donation, an order) must never be registered here, or every reader's action would
empty the cache for everyone.
"""

import threading
from contextlib import contextmanager

from django.db import transaction
from taggit.models import Tag
from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
from wagtail.images.models import AbstractImage
from wagtail.models import Page, PageViewRestriction, Site

from masthead.core.cache import invalidate_pages

# Fields Wagtail saves on the live page row when an editor saves a draft, locks the page
# or submits it to a workflow: none of them changes what readers see.
DRAFT_BOOKKEEPING_FIELDS = frozenset(
    {
        "wagtail_admin_comments",
        "latest_revision",
        "latest_revision_created_at",
        "draft_title",
        "has_unpublished_changes",
        "locked",
        "locked_by",
        "locked_at",
    }
)

_content_models = {Tag, Site, PageViewRestriction}


def invalidate_pages_on_change(*models):
    """Empty the page cache whenever one of ``models`` is saved or deleted.

    For apps' models that appear on cached pages (a byline, a snippet shown in a sidebar,
    a product on an article), called from their wiring in ``AppConfig.ready()``.
    """
    _content_models.update(models)


def invalidate_now_and_after_commit(**kwargs):
    """Empty the page cache now and again after the commit (a signal receiver); inside
    ``deferred()``, once when it ends."""
    if getattr(_deferral, "active", False):
        _deferral.pending = True
        return
    invalidate_pages()
    transaction.on_commit(invalidate_pages, robust=True)


_deferral = threading.local()


@contextmanager
def deferred():
    """Empty the page cache once, when the block ends, instead of at every save in it.

    For bulk work (an import saves thousands of pages, images and tags, each of which would
    empty the whole cache twice). In this thread only: a request served meanwhile by another
    thread invalidates as always. Blocks nest; the outermost one invalidates."""
    outer = getattr(_deferral, "active", False)
    _deferral.active = True
    try:
        yield
    finally:
        _deferral.active = outer
        if not outer and getattr(_deferral, "pending", False):
            _deferral.pending = False
            invalidate_now_and_after_commit()


def is_content(sender):
    """Whether saving or deleting a row of ``sender`` changes what readers see."""
    return sender in _content_models or issubclass(
        sender, (Page, AbstractImage, BaseSiteSetting, BaseGenericSetting)
    )


def has_only_defaults(instance):
    """Whether every field of the settings ``instance`` but its key and site holds the
    field's default."""
    return all(
        getattr(instance, field.attname) == field.get_default()
        for field in instance._meta.concrete_fields
        if not (field.primary_key or field.name == "site")
    )


def invalidate_on_save(sender, created=False, update_fields=None, **kwargs):
    """A model was saved (Django's post_save): empty the cache if readers can see it."""
    if update_fields and update_fields <= DRAFT_BOOKKEEPING_FIELDS:
        return
    # Wagtail creates a site's settings with their defaults the first time a page asks for
    # them, in the middle of rendering it: the page already shows those defaults. Settings
    # created with anything else (the demo, an import, a script) are news.
    if (
        created
        and issubclass(sender, (BaseSiteSetting, BaseGenericSetting))
        and has_only_defaults(kwargs["instance"])
    ):
        return
    if is_content(sender):
        invalidate_now_and_after_commit()


def invalidate_on_delete(sender, **kwargs):
    """A model was deleted (Django's post_delete): empty the cache if readers saw it."""
    if is_content(sender):
        invalidate_now_and_after_commit()
