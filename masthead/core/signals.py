"""Connections to Wagtail's and Django's own events: what changes the site, empties the
page cache once the change is committed."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

from masthead.core.cache import invalidate_pages


def _invalidate_after_commit(**kwargs):
    transaction.on_commit(invalidate_pages)


def _invalidate_for_site_content(sender, **kwargs):
    if sender._meta.app_label in {"core", "publishing", "wagtailimages", "taggit"} or issubclass(
        sender, Page
    ):
        _invalidate_after_commit()


def connect():
    page_published.connect(_invalidate_after_commit, dispatch_uid="masthead-cache-published")
    page_unpublished.connect(_invalidate_after_commit, dispatch_uid="masthead-cache-unpublished")
    post_page_move.connect(_invalidate_after_commit, dispatch_uid="masthead-cache-moved")
    post_delete.connect(_invalidate_for_site_content, dispatch_uid="masthead-cache-deleted")
    post_save.connect(_invalidate_for_site_content, dispatch_uid="masthead-cache-saved")
