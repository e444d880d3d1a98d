"""A large WordPress import uses a second process for the work that needs no database
(masthead.transfer.ahead): what it makes and reports must be exactly what the importer
makes alone, also when that process fails; and Wagtail's reference index is brought up to
date once per batch, and its search index too (masthead.transfer.indexing)."""

import json

import pytest
from django.db import transaction
from django_tasks.signals import task_enqueued
from wagtail.images.models import Image
from wagtail.models import Page, ReferenceIndex

from masthead.publishing.models import ArticlePage
from masthead.transfer import ahead, wordpress
from masthead.transfer.importing import run_import
from masthead.transfer.models import ArchivedComment
from tests.publishing.factories import make_article, make_site_tree
from tests.transfer.conftest import WORDPRESS

SITE = WORDPRESS / "site.xml"


class _Undo(Exception):
    pass


def options(uploads):
    return {"uploads_dir": str(uploads), "section_map": {"arts": "Culture"}}


def snapshot():
    """What the import made, without ids (the two runs give the rows different ones)."""
    images = {
        image.pk: (image.title, image.width, image.height, image.file_size, image.file.size)
        for image in Image.objects.all()
    }

    def body(page):
        blocks = json.loads(json.dumps(page.body.get_prep_value()))
        for block in blocks:
            block.pop("id", None)
            if block["type"] == "image":
                block["value"]["image"] = images[block["value"]["image"]]
        return blocks

    articles = [
        (
            page.slug,
            page.title,
            page.standfirst,
            page.live,
            page.first_published_at,
            page.get_parent().slug,
            images.get(page.hero_image_id),
            sorted(tag.name for tag in page.tags.all()),
            [byline.author.title for byline in page.article_authors.all()],
            body(page),
        )
        for page in ArticlePage.objects.order_by("slug")
    ]
    comments = sorted(
        (comment.article.slug, comment.source_id, comment.body, comment.parent_source_id)
        for comment in ArchivedComment.objects.select_related("article")
    )
    tree = sorted(Page.objects.values_list("url_path", "depth", "numchild", "live"))
    return articles, comments, tree, sorted(images.values())


def import_and_undo(uploads):
    """Import the site, note what it made and reported, then roll it all back."""
    try:
        with transaction.atomic():
            report = run_import("wordpress", [SITE], options=options(uploads)).as_dict()
            made = snapshot()
            raise _Undo
    except _Undo:
        pass
    return report, made


@pytest.mark.django_db
def test_items_prepared_ahead_become_exactly_what_the_importer_makes_alone(wp_uploads, monkeypatch):
    make_site_tree()
    alone = import_and_undo(wp_uploads)
    monkeypatch.setattr(ahead, "MIN_ITEMS", 0)
    prepared = []
    original = ahead._Ahead._take

    def taking(self, chunk, future):
        items = original(self, chunk, future)
        prepared.extend(item.prepared for item in items)
        return items

    monkeypatch.setattr(ahead._Ahead, "_take", taking)
    together = import_and_undo(wp_uploads)
    # the worker did prepare the posts' bodies and comments and read the attachments
    assert sum(1 for entry in prepared if entry and "body" in entry) == 8
    assert sum(1 for entry in prepared if entry and entry.get("images")) == 2
    assert together == alone
    report, (articles, _comments, _tree, _images) = alone
    assert report["failed"] == [] and len(articles) == 5
    # the site has an image that is not in the uploads folder: that body was converted
    # again by the importer, and the report says the image was left out
    assert any("missing.jpg" in note["item"] for note in report["skipped"])


REAL_PREPARE = wordpress.prepare_item


def prepare_failing_on_the_gallery(item, media_options):
    """A worker that breaks on one post and on both attachments."""
    if item.type == "attachment" or "gallery reopened" in item.content:
        raise RuntimeError("the worker broke")
    return REAL_PREPARE(item, media_options)


@pytest.mark.django_db
def test_an_item_the_worker_fails_on_is_imported_by_the_importer(wp_uploads, monkeypatch):
    make_site_tree()
    alone = import_and_undo(wp_uploads)
    monkeypatch.setattr(ahead, "MIN_ITEMS", 0)
    monkeypatch.setattr(wordpress, "prepare_item", prepare_failing_on_the_gallery)
    assert import_and_undo(wp_uploads) == alone


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_indexes_know_every_imported_page_and_image_once_the_batches_commit(wp_uploads):
    tree = make_site_tree()
    queued = []

    def note(sender, task_result, **kwargs):
        queued.append(task_result.task.name)

    task_enqueued.connect(note)
    try:
        run_import("wordpress", [SITE], options=options(wp_uploads))
    finally:
        task_enqueued.disconnect(note)
    # one task per batch (the site's items are one) and one for the end (its sticky post
    # made the home page's lead story), none per object saved
    assert queued.count("update_indexes_task") == 2
    assert "insert_or_update_object_task" not in queued
    assert "update_reference_index_task" not in queued
    # the search index: pages by their titles and bodies, images by their titles
    found = ArticlePage.objects.live().search("timetable")
    assert [page.slug for page in found] == ["ferry-timetable"]
    assert [image.title for image in Image.objects.search("dawn")] == ["Ferry at dawn"]
    # a page saved later, outside an import, is indexed as ever
    make_article(tree.section, title="Lighthouse keepers return")
    assert [page.title for page in ArticlePage.objects.search("lighthouse")] == [
        "Lighthouse keepers return"
    ]
    # the reference index: where each image is used
    ferry = Image.objects.get(file__contains="ferry")
    users = {
        reference.object_id
        for reference in ReferenceIndex.get_references_to(ferry)
        if reference.base_content_type.model == "page"
    }
    heroes = {
        str(pk) for pk in ArticlePage.objects.filter(hero_image=ferry).values_list("pk", flat=True)
    }
    bodies = {
        str(page.pk)
        for page in ArticlePage.objects.all()
        if any(b.block_type == "image" and b.value["image"] == ferry for b in page.body)
    }
    assert heroes | bodies
    assert users == heroes | bodies
    # and every imported page is in it as an object that refers to others
    for page in ArticlePage.objects.exclude(hero_image=None):
        assert ReferenceIndex.get_references_for_object(page).exists(), page.slug
