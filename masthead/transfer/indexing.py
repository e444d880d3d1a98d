"""Wagtail's reference index (which object uses which: an image's usage, a page's links)
and search index brought up to date once per batch of an import, by one task, instead of
by two tasks per object saved.

Wagtail queues ``update_reference_index_task`` for every save of a model it tracks, and
its search (``modelsearch``) ``insert_or_update_object_task`` for every save of a model
it indexes: an import would queue six or seven per post (the page, its revision, its
images), each a row in the task queue and a task run, and on SQLite each search update
recomputes a figure over the whole index. Inside ``deferred()`` (one batch of
``run_import``), in this thread only, neither is queued: Wagtail's own switch (the one
``disable_reference_index_auto_update`` sets) stops the first, and the second's receiver is
``_search_on_save``, which stands in for ``modelsearch``'s (see ``take_over_search``)
and calls it as it is outside an import. What is saved meanwhile is noted, and
``deferred`` queues one ``tasks.update_indexes_task`` for all of it once the batch
commits, which runs ``update_indexes``: the reference index updated object by object as
Wagtail's task does, the search index model by model in one bulk update per backend. An
object that is gone (an item rolled back) is skipped. (The task is handed to this module
by ``wiring``, through ``queue_updates_with``: the tasks run the importers, which use
``deferred``, so this module cannot import them.)
"""

import threading
from collections import defaultdict
from contextlib import contextmanager

from django.apps import apps
from django.db import transaction
from django.db.models.signals import post_save
from modelsearch import index
from modelsearch.backends import get_search_backends
from modelsearch.signal_handlers import post_save_signal_handler
from wagtail.models import ReferenceIndex
from wagtail.signal_handlers import reference_index_auto_update_disabled
from wagtail.tasks import update_reference_index_task

from masthead.core.search_backend import tidy_after_bulk_update

_local = threading.local()
_taken_over = []
# The task ``deferred`` queues: ``tasks.update_indexes_task``, from ``queue_updates_with``.
_update_task = {}


def queue_updates_with(task):
    """Have ``deferred`` queue ``task(referenced, searched)`` to bring the indexes up to
    date (``wiring`` hands it ``tasks.update_indexes_task``)."""
    _update_task["task"] = task


def take_over_search():
    """Connect ``_search_on_save`` instead of ``modelsearch``'s receiver for each model
    it indexes (once; ``modelsearch`` connects its receivers after this app is ready)."""
    if _taken_over:
        return
    for model in index.get_indexed_models():
        if post_save.disconnect(post_save_signal_handler, sender=model):
            post_save.connect(_search_on_save, sender=model)
            _taken_over.append(model)


def _search_on_save(sender, instance, **kwargs):
    """``modelsearch``'s receiver, or in ``deferred`` a note of what to index."""
    noted = getattr(_local, "searched", None)
    if noted is None:
        post_save_signal_handler(instance=instance, sender=sender, **kwargs)
    elif not kwargs.get("raw", False):
        noted.add(_key(sender, instance))


def note_saved(sender, instance, raw=False, **kwargs):
    """``post_save``: in ``deferred``, note an object Wagtail would have queued a
    reference index task for."""
    noted = getattr(_local, "referenced", None)
    if noted is not None and not raw and sender in ReferenceIndex.tracked_models:
        noted.add(_key(sender, instance))


def _key(model, instance):
    return (model._meta.app_label, model._meta.model_name, str(instance.pk))


@contextmanager
def deferred():
    """Inside a transaction: no index task per save in this thread; one for everything
    saved, queued when the transaction commits."""
    take_over_search()
    referenced, searched = set(), set()
    _local.referenced, _local.searched = referenced, searched
    try:
        with _reference_index_not_updated():
            yield
    finally:
        del _local.referenced, _local.searched
    if referenced or searched:
        objects = (sorted(referenced), sorted(searched))
        task = _update_task["task"]
        transaction.on_commit(lambda: task.enqueue(*objects))


@contextmanager
def _reference_index_not_updated():
    """Wagtail's ``disable_reference_index_auto_update()``, which fails on leaving when the
    work inside has already cleared the switch (the restore importer's does): the switch
    is set and then cleared, whatever it became meanwhile."""
    reference_index_auto_update_disabled.value = True
    try:
        yield
    finally:
        if getattr(reference_index_auto_update_disabled, "value", None) is not None:
            del reference_index_auto_update_disabled.value


def update_indexes(referenced, searched):
    """Update the reference index for each ``(app_label, model_name, pk)`` of
    ``referenced``, and the search index for each of ``searched``, that is still there."""
    for app_label, model_name, pk in referenced:
        model = apps.get_model(app_label, model_name)
        if model._default_manager.filter(pk=pk).exists():
            update_reference_index_task.call(app_label, model_name, pk)
    by_model = defaultdict(list)
    for app_label, model_name, pk in searched:
        by_model[apps.get_model(app_label, model_name)].append(pk)
    written = 0
    for model, pks in by_model.items():
        objects = list(model.get_indexed_objects().filter(pk__in=pks))
        if objects:
            for backend in get_search_backends(with_auto_update=True):
                backend.add_bulk(model, objects)
            written += len(objects)
    if written >= TIDY_AFTER:
        tidy_after_bulk_update()


# From how many objects written to the search index at once it is tidied at once too (on
# PostgreSQL; see ``tidy_after_bulk_update``): an import's batch is about a hundred.
TIDY_AFTER = 50
