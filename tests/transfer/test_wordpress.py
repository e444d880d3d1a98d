"""The WordPress importer (masthead.transfer.wordpress) on a WXR file written to the spec:
what each item becomes, re-runs, redirects, dates in the feed, dry runs, bad and hostile
files, and an item that fails alone."""

import datetime
import io
import json
import os
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from PIL import Image as PillowImage
from wagtail.contrib.redirects.models import Redirect
from wagtail.images.models import Image
from wagtail.models import Page, PageViewRestriction

from masthead.publishing.models import ArticlePage, HomePage, SectionPage, StandardPage
from masthead.transfer import importing, pages, wordpress
from masthead.transfer.importing import ImportFileError, run_import
from masthead.transfer.models import ArchivedComment, SourceRecord
from tests.publishing.factories import make_site_tree
from tests.transfer.conftest import WORDPRESS

UTC = datetime.UTC
SITE = WORDPRESS / "site.xml"


@pytest.fixture
def tree():
    return make_site_tree()


def options(uploads, **more):
    return {"uploads_dir": str(uploads), "section_map": {"arts": "Culture"}, **more}


def article(source_id):
    record = SourceRecord.objects.get(source="wordpress", kind="post", source_id=source_id)
    return ArticlePage.objects.get(pk=record.object_id)


def block_types(page):
    return [block.block_type for block in page.body]


def media_files():
    found = set()
    for folder, _dirs, files in os.walk(settings.MEDIA_ROOT):
        found.update(os.path.join(folder, name) for name in files)
    return found


@pytest.mark.django_db
def test_a_wxr_file_becomes_articles_pages_sections_authors_images_and_comments(
    client, tree, wp_uploads
):
    report = run_import("wordpress", [SITE], options=options(wp_uploads))
    data = report.as_dict()
    assert data["failed"] == []
    assert data["counts"]["post"] == {"created": 5, "skipped": 1}
    assert data["counts"]["page"] == {"created": 2}
    assert data["counts"]["image"]["created"] == 2
    assert data["counts"]["nav_menu_item"] == {"skipped": 1}
    assert data["counts"]["comment"] == {"created": 2, "skipped": 2}

    # sections: "arts" mapped to a new Culture section, the rest to the first section
    culture = SectionPage.objects.get(title="Culture")
    ferry = article("101")
    gallery = article("102")
    assert ferry.get_parent().pk == tree.section.pk
    assert gallery.get_parent().pk == culture.pk
    assert any("Local news" in note["item"] for note in data["approximated"])

    # the published post: dates, standfirst, tags, byline, hero image, body blocks
    assert ferry.live
    assert ferry.first_published_at == datetime.datetime(2021, 3, 4, 9, 30, tzinfo=UTC)
    assert ferry.last_published_at == datetime.datetime(2021, 3, 5, 11, 0, tzinfo=UTC)
    assert ferry.standfirst == "Boats will run less often from April."
    assert sorted(ferry.tags.names()) == ["Council", "Ferries"]
    assert [author.title for author in ferry.author_list] == ["Mara Quinn"]
    assert ferry.hero_image.title == "Ferry at dawn"
    assert block_types(ferry) == [
        "paragraph", "heading", "paragraph", "image", "pull_quote", "block_quote", "embed",
        "embed", "paragraph",
    ]  # fmt: skip
    blocks = list(ferry.body)
    assert "every forty minutes" in blocks[0].value.source
    assert blocks[1].value["level"] == "h3"
    assert "<ul><li>First boat at 6.40am</li>" in blocks[2].value.source
    del blocks[2]
    picture = blocks[2].value
    assert picture["caption"] == "The market by the landing stage."
    assert picture["alt_text"] == "Stalls by the landing stage"
    assert picture["image"].width == 90  # the original, not the 300x200 copy it named
    assert blocks[4].value["attribution"] == "Ferry operator"
    assert blocks[5].value["url"] == "https://www.youtube.com/watch?v=ferry123"
    assert blocks[5].value["caption"] == "The crossing, filmed from the bridge."
    assert blocks[6].value["url"] == "https://twitter.com/riverside/status/1234567890"
    assert "North landing | 40 minutes" in blocks[7].value.source
    assert Image.objects.count() == 2

    # the sticky post leads the home page
    assert HomePage.objects.get().lead_story_id == ferry.pk

    # comments: approved ones only, threaded, nothing private kept, sanitised
    comments = list(ArchivedComment.objects.filter(article=ferry).order_by("posted_at"))
    assert [(c.source_id, c.parent_source_id) for c in comments] == [("501", ""), ("502", "501")]
    assert comments[0].author_url == "https://lena.example"
    assert comments[0].body.count("<p>") == 2
    assert "script" not in comments[1].body and "javascript" not in comments[1].body
    for comment in comments:
        values = " ".join(str(value) for value in vars(comment).values())
        assert "@" not in values and "192.0.2" not in values

    # the classic post: paragraphs, caption shortcode, unknown shortcode, gallery, embed
    assert block_types(gallery) == [
        "paragraph", "image", "heading", "paragraph", "image", "image", "embed", "paragraph",
        "paragraph",
    ]  # fmt: skip
    blocks = list(gallery.body)
    assert "forty paintings</em> of the river.<br/>The show runs" in blocks[0].value.source
    assert blocks[1].value["caption"] == "The ferry at dawn, one of the paintings' subjects."
    assert '[opening_hours day="saturday"]' in blocks[3].value.source.replace("&quot;", '"')
    assert blocks[6].value["url"] == "https://vimeo.com/76979871"
    last = blocks[7].value.source
    assert "script" not in last and "onclick" not in last and "javascript" not in last
    assert '<a href="https://gallery.example/catalogue">online</a>' in last
    assert blocks[8].value.source == "<p><i>The river has never looked so calm.</i></p>"
    assert gallery.standfirst.startswith("The town gallery reopened on Saturday")
    assert sorted(gallery.tags.names()) == ["Council", "Local news"]
    assert any("[opening_hours]" in note["reason"] for note in data["approximated"])

    # statuses
    draft = article("103")
    assert not draft.live and draft.first_published_at is None
    scheduled = article("104")
    assert not scheduled.live
    assert scheduled.go_live_at == datetime.datetime(2099, 6, 1, 8, 0, tzinfo=UTC)
    pending = article("105")
    assert not pending.live
    assert any("awaiting review" in note["reason"] for note in data["approximated"])
    assert any("missing.jpg" in note["item"] for note in data["skipped"])
    assert not SourceRecord.objects.filter(kind="post", source_id="106").exists()

    # pages, nested
    about = StandardPage.objects.get(title="About us")
    contact = StandardPage.objects.get(title="Contact")
    assert about.get_parent().pk == tree.home.pk and contact.get_parent().pk == about.pk
    restriction = PageViewRestriction.objects.get()
    assert restriction.page_id == contact.pk and restriction.password == "neighbours"

    # old addresses
    for old, page in [
        ("/?p=101", ferry),
        ("/2021/03/04/ferry-timetable/", ferry),
        ("/?p=102", gallery),
        ("/?page_id=201", about),
        ("/?page_id=202", contact),
    ]:
        response = client.get(old)
        assert response.status_code == 301, old
        assert response["Location"] == page.url, old
    assert client.get(response["Location"]).status_code == 200
    assert client.get("/?p=103").status_code == 200  # a draft: the home page, no redirect

    # the feed gives the original publish dates
    feed = client.get("/feed/").content.decode()
    assert "Thu, 04 Mar 2021 09:30:00 +0000" in feed
    assert "Sat, 10 Apr 2021 10:00:00 +0000" in feed


@pytest.mark.django_db
def test_each_revision_holds_its_page_as_saved(tree, wp_uploads):
    run_import("wordpress", [SITE], options=options(wp_uploads))
    pages_with_children = 0
    for page in ArticlePage.objects.live():
        assert page.live_revision_id == page.latest_revision_id
        saved = ArticlePage.objects.get(pk=page.pk).serializable_data()
        content = page.live_revision.content
        for name in ("article_authors", "tagged_items", "sources", "corrections"):
            assert content[name] == saved[name], (page.slug, name)
        pages_with_children += bool(saved["article_authors"] and saved["tagged_items"])
        for field in ("title", "slug", "path", "depth", "url_path", "standfirst"):
            assert content[field] == saved[field], (page.slug, field)
        # the body as JSON text, its keys in the order the database keeps them (PostgreSQL's
        # jsonb sorts them)
        assert json.loads(content["body"]) == json.loads(saved["body"]), page.slug
    assert pages_with_children >= 2


@pytest.mark.django_db
def test_images_are_stored_without_their_location(tree, wp_uploads):
    run_import("wordpress", [SITE], options=options(wp_uploads))
    ferry = Image.objects.get(title="Ferry at dawn")
    with ferry.open_file() as handle, PillowImage.open(io.BytesIO(handle.read())) as picture:
        exif = picture.getexif()
        assert not exif.get_ifd(0x8825)
        assert 0x010F not in exif and 0x0110 not in exif
    # stored under a name nobody guesses, with its stored size and the size Pillow read
    assert re.fullmatch(r"original_images/[0-9a-f]{16}-ferry[^/]*\.jpg", ferry.file.name)
    assert ferry.file_size == ferry.file.size
    with ferry.open_file() as handle, PillowImage.open(handle) as picture:
        assert (ferry.width, ferry.height) == picture.size


@pytest.mark.django_db
def test_a_rerun_updates_and_never_duplicates(client, tree, wp_uploads):
    run_import("wordpress", [SITE], options=options(wp_uploads))
    before = {
        "pages": ArticlePage.objects.count() + StandardPage.objects.count(),
        "sections": SectionPage.objects.count(),
        "images": Image.objects.count(),
        "redirects": Redirect.objects.count(),
        "comments": ArchivedComment.objects.count(),
        "records": SourceRecord.objects.count(),
    }
    report = run_import("wordpress", [SITE], options=options(wp_uploads)).as_dict()
    assert report["failed"] == []
    assert report["counts"]["post"] == {"updated": 5, "skipped": 1}
    assert report["counts"]["page"] == {"updated": 2}
    assert report["counts"]["comment"] == {"updated": 2, "skipped": 2}
    assert "created" not in report["counts"]["image"]  # nothing imported again
    after = {
        "pages": ArticlePage.objects.count() + StandardPage.objects.count(),
        "sections": SectionPage.objects.count(),
        "images": Image.objects.count(),
        "redirects": Redirect.objects.count(),
        "comments": ArchivedComment.objects.count(),
        "records": SourceRecord.objects.count(),
    }
    assert after == before
    assert client.get("/?p=101")["Location"] == article("101").url


@pytest.mark.django_db
def test_a_dry_run_reports_and_changes_nothing(tree, wp_uploads):
    files_before = media_files()
    report = run_import("wordpress", [SITE], options=options(wp_uploads), dry_run=True)
    data = report.as_dict()
    assert data["dry_run"] is True
    assert data["counts"]["post"] == {"created": 5, "skipped": 1}
    assert data["counts"]["image"]["created"] == 2
    assert ArticlePage.objects.count() == 0
    assert StandardPage.objects.count() == 0
    assert Image.objects.count() == 0
    assert Redirect.objects.count() == 0
    assert SourceRecord.objects.count() == 0
    assert not SectionPage.objects.filter(title="Culture").exists()
    assert media_files() == files_before


@pytest.mark.django_db
def test_wxr_1_1_is_read_too(tree, wp_uploads, tmp_path):
    older = tmp_path / "older.xml"
    older.write_text(
        SITE.read_text().replace("http://wordpress.org/export/1.2/", "http://wordpress.org/export/1.1/")
        .replace("<wp:wxr_version>1.2<", "<wp:wxr_version>1.1<"),
    )  # fmt: skip
    report = run_import("wordpress", [older], options=options(wp_uploads)).as_dict()
    assert report["counts"]["post"] == {"created": 5, "skipped": 1}
    assert article("101").standfirst == "Boats will run less often from April."


@pytest.mark.django_db
def test_malformed_xml_is_refused_with_nothing_changed(tree):
    with pytest.raises(ImportFileError, match="not well-formed XML"):
        run_import("wordpress", [WORDPRESS / "malformed.xml"])
    assert ArticlePage.objects.count() == 0
    assert SourceRecord.objects.count() == 0


@pytest.mark.django_db
def test_another_kind_of_xml_is_refused(tree):
    with pytest.raises(ImportFileError, match="not a WordPress export"):
        run_import("wordpress", [WORDPRESS / "not-wxr.xml"])


@pytest.mark.django_db
def test_an_entity_bomb_is_refused(tree):
    with pytest.raises(ImportFileError, match="declares XML entities"):
        run_import("wordpress", [WORDPRESS / "bomb.xml"])
    assert ArticlePage.objects.count() == 0


@pytest.mark.django_db
def test_an_external_entity_is_refused_and_the_file_it_names_never_read(tree, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    hostile = tmp_path / "xxe.xml"
    hostile.write_text(
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        '<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel>'
        "<wp:wxr_version>1.2</wp:wxr_version>"
        "<wp:base_site_url>https://xxe.example</wp:base_site_url>"
        "<item><title>&xxe;</title><wp:post_id>1</wp:post_id>"
        "<wp:post_type>post</wp:post_type><wp:status>publish</wp:status></item>"
        "</channel></rss>"
    )
    os.utime(secret, (0, 0))
    with pytest.raises(ImportFileError, match="refused") as refused:
        run_import("wordpress", [hostile])
    assert "TOP-SECRET" not in str(refused.value)
    assert ArticlePage.objects.count() == 0
    assert secret.stat().st_atime == 0  # not opened for reading


@pytest.mark.django_db
def test_a_failing_item_is_rolled_back_alone(tree, wp_uploads, monkeypatch):
    convert = wordpress.to_blocks

    def failing(html, images=None):
        blocks, notes = convert(html, images=images)
        if "gallery reopened" in html:
            raise RuntimeError("the converter broke")
        return blocks, notes

    monkeypatch.setattr(wordpress, "to_blocks", failing)
    report = run_import("wordpress", [SITE], options=options(wp_uploads)).as_dict()
    assert [note["item"] for note in report["failed"]] == [
        "post 102 'Gallery reopens with river paintings'"
    ]
    assert "the converter broke" in report["failed"][0]["reason"]
    assert not SourceRecord.objects.filter(kind="post", source_id="102").exists()
    assert article("101").live and article("104")
    assert ArticlePage.objects.count() == 4
    # the images that item had imported were rolled back with it; the rest stand
    assert Image.objects.count() == 2


@pytest.mark.django_db
def test_an_item_failing_after_its_page_was_added_leaves_the_tree_sound(
    tree, wp_uploads, monkeypatch
):
    # Items are committed in batches (here of 2) and pages placed from the last path added
    # under their parent: an item rolled back after adding its page must not leave that
    # path remembered, nor the tree's counts wrong, nor take its batch's others with it.
    monkeypatch.setattr(importing, "BATCH_SIZE", 2)
    make_redirects = pages.redirect_old_urls

    def failing(olds, page, site, taken):
        make_redirects(olds, page, site, taken)
        if page.slug == "gallery-reopens":
            raise RuntimeError("the redirects broke")

    monkeypatch.setattr(pages, "redirect_old_urls", failing)
    report = run_import("wordpress", [SITE], options=options(wp_uploads)).as_dict()
    assert [note["item"] for note in report["failed"]] == [
        "post 102 'Gallery reopens with river paintings'"
    ]
    assert not ArticlePage.objects.filter(slug="gallery-reopens").exists()
    assert not Redirect.objects.filter(old_path__contains="p=102").exists()
    assert ArticlePage.objects.count() == 4 and article("101").live and article("104")
    assert all(problems == [] for problems in Page.find_problems())
    # the next import under the same parents places its pages after the existing ones
    monkeypatch.setattr(pages, "redirect_old_urls", make_redirects)
    report = run_import("wordpress", [SITE], options=options(wp_uploads)).as_dict()
    assert report["failed"] == [] and article("102").live
    assert all(problems == [] for problems in Page.find_problems())


@pytest.mark.django_db
def test_authors_can_get_admin_users_without_a_password(tree, wp_uploads):
    run_import("wordpress", [SITE], options=options(wp_uploads, create_users=True))
    mara = get_user_model().objects.get(username="mara")
    assert not mara.has_usable_password()
    assert not mara.groups.exists() and not mara.is_staff and not mara.is_superuser
    assert article("101").author_list[0].user == mara
