"""The Ghost importer: a Ghost 5 export with Lexical bodies, a Ghost 4 export with Mobiledoc,
Ghost's HTML as the fallback, sections, tags, authors, images, dates, redirects, re-runs,
dry runs and bad files. Fixtures in fixtures/ghost/ are written to Ghost's export format;
the pictures are made with Pillow."""

import datetime
import io
import json
from pathlib import Path

import feedparser
import pytest
from PIL import Image as PillowImage
from wagtail.contrib.redirects.models import Redirect
from wagtail.images import get_image_model
from wagtail.models import Page

from masthead.publishing.models import ArticlePage, AuthorPage, StandardPage
from masthead.transfer.importing import ImportFileError, run_import
from masthead.transfer.models import SourceRecord
from tests.publishing.factories import make_site_tree

GHOST = Path(__file__).parent / "fixtures" / "ghost"
UTC = datetime.UTC
Image = get_image_model()


def jpeg(colour):
    buffer = io.BytesIO()
    PillowImage.new("RGB", (80, 60), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def tree(db):
    return make_site_tree()


@pytest.fixture
def images_dir(tmp_path):
    """A copy of the Ghost site's content/images folder ("missing.jpg" is not in it)."""
    folder = tmp_path / "images"
    (folder / "2024" / "03").mkdir(parents=True)
    (folder / "2020" / "05").mkdir(parents=True)
    (folder / "2024" / "03" / "quay.jpg").write_bytes(jpeg((20, 80, 140)))
    (folder / "2024" / "03" / "harbour.jpg").write_bytes(jpeg((140, 80, 20)))
    (folder / "2020" / "05" / "market.jpg").write_bytes(jpeg((60, 140, 60)))
    return folder


def notes(report, kind="approximated"):
    return [f"{note.item}: {note.reason}" for note in getattr(report, kind)]


def ghost5(images_dir, **options):
    return run_import(
        "ghost",
        [GHOST / "ghost5-export.json"],
        options={"images_dir": str(images_dir), "site": "https://bay.example", **options},
    )


@pytest.mark.django_db
def test_a_ghost_5_export_with_lexical_bodies(client, tree, images_dir):
    report = ghost5(images_dir)

    article = ArticlePage.objects.get(slug="mooring-plan")
    assert article.live
    assert article.get_parent().specific.title == "Harbour"  # the primary tag
    assert sorted(article.tags.names()) == ["Transport"]  # the internal #tag left out
    assert [author.title for author in article.author_list] == ["Rosa Penhale", "Tom Ashby"]
    assert article.first_published_at == datetime.datetime(2024, 3, 11, 7, 15, tzinfo=UTC)
    assert article.last_published_at == datetime.datetime(2024, 3, 12, 9, 30, tzinfo=UTC)
    assert article.standfirst == "The east quay gets visitor berths and a year-round slipway."
    assert article.hero_image is not None  # the original of Ghost's size/w1200 copy
    assert article.hero_alt_text == "The harbour at dawn"
    assert article.hero_caption == "Photo: Harbour board"
    types = [block.block_type for block in article.body]
    assert types[:3] == ["paragraph", "heading", "paragraph"]
    assert "image" in types and "embed" in types
    image_block = next(block for block in article.body if block.block_type == "image")
    assert image_block.value["caption"] == "The east quay at low tide."
    assert image_block.value["alt_text"] == "Boats at the east quay"
    text = str(article.body.render_as_block())
    assert "<b>new mooring plan</b>" in text or "<strong>new mooring plan</strong>" in text
    assert "<i>east quay</i>" in text or "<em>east quay</em>" in text
    assert "Visitor berths move north" in text
    assert "https://example.org/minutes" in text
    # A link to another Ghost post is a path here, which its redirect answers.
    assert 'href="/library-winter-hours/"' in text
    assert "Public comments close on 30 April." in text
    assert "Tide table below." in text
    assert "onclick" not in text and "<script" not in text and "alert(" not in text
    assert "Old HTML that should not be used" not in text

    members_only = ArticlePage.objects.get(slug="library-winter-hours")
    assert members_only.get_parent().specific.title == "Community"
    assert "Members can borrow e-books all season." in str(members_only.body.render_as_block())
    draft = ArticlePage.objects.get(slug="ferry-fares")
    assert not draft.live
    email_only = ArticlePage.objects.get(slug="letter-only")
    assert not email_only.live
    about = StandardPage.objects.get(slug="about")
    assert about.live and about.get_parent().pk == tree.home.pk
    assert about.introduction == "Who we are."
    html_only = ArticlePage.objects.get(slug="html-only")
    html_text = str(html_only.body.render_as_block())
    assert "Written before the new editor." in html_text and "onerror" not in html_text

    # Authors are the people who wrote something; the site's owner wrote nothing.
    assert set(AuthorPage.objects.values_list("title", flat=True)) == {
        "Rosa Penhale",
        "Tom Ashby",
    }
    assert AuthorPage.objects.get(title="Rosa Penhale").website == "https://example.org/rosa"

    # Old addresses go to the new pages.
    response = client.get("/mooring-plan/")
    assert response.status_code == 301
    assert response["Location"] == article.url
    assert client.get(article.url).status_code == 200

    # The feed dates the article as Ghost did.
    feed = feedparser.parse(client.get("/feed/").content)
    entry = next(entry for entry in feed.entries if entry.title == article.title)
    assert entry.published_parsed[:5] == (2024, 3, 11, 7, 15)

    data = report.as_dict()
    assert data["counts"]["post"] == {"created": 5}
    assert data["counts"]["page"] == {"created": 1}
    assert data["counts"]["author"] == {"created": 2}
    assert data["failed"] == []
    approximated = "\n".join(notes(report))
    assert "internal tags left out: #featured-home" in approximated
    assert "signup card was left out" in approximated
    assert "was for members readers only on Ghost" in approximated
    assert "sent by email only on Ghost: imported as a draft" in approximated
    assert "members-only divider was dropped" in approximated
    assert "its code injection (scripts) was left out" in approximated
    # The newest featured post leads the home page; the older one is only noted.
    assert tree.home.specific_class.objects.get(pk=tree.home.pk).lead_story_id == article.pk
    assert "featured on Ghost: made the home page's lead story" in approximated
    assert "Old post with only HTML (post 65f0a1b2c3d4e5f601000006): featured on Ghost, but" in (
        approximated
    )


@pytest.mark.django_db
def test_a_re_run_updates_and_never_duplicates(tree, images_dir):
    ghost5(images_dir)
    counts = (
        Page.objects.count(),
        Redirect.objects.count(),
        Image.objects.count(),
        SourceRecord.objects.count(),
    )
    assert counts[2] == 2

    report = ghost5(images_dir)

    assert (
        Page.objects.count(),
        Redirect.objects.count(),
        Image.objects.count(),
        SourceRecord.objects.count(),
    ) == counts
    assert report.as_dict()["counts"]["post"] == {"updated": 5}
    assert report.as_dict()["counts"]["author"] == {"updated": 2}

    # A section mapping given on a later run moves the article; its old address follows.
    ghost5(images_dir, section_map={"harbour": "Waterfront"})
    moved = ArticlePage.objects.get(slug="mooring-plan")
    assert moved.get_parent().specific.title == "Waterfront"
    assert Redirect.objects.get(old_path="/mooring-plan").redirect_page_id == moved.pk
    assert ArticlePage.objects.count() == 5


@pytest.mark.django_db
def test_a_ghost_4_export_with_mobiledoc(client, tree, images_dir):
    report = run_import(
        "ghost", [GHOST / "ghost4-export.json"], options={"images_dir": str(images_dir)}
    )

    market = ArticlePage.objects.get(slug="market-returns")
    assert market.get_parent().specific.title == "Town Life"
    assert [author.title for author in market.author_list] == ["Ines Mabey"]  # author_id
    assert market.hero_image is None  # missing.jpg is not in the folder: noted, not fatal
    text = str(market.body.render_as_block())
    assert "Saturday" in text and "<br" in text
    assert "https://example.org/rota" in text
    assert "Arrive early" in text and "<ol>" in text
    # The Markdown card as Ghost rendered it, from the post's html.
    assert "as Ghost rendered them" in text
    assert "open = 08:00" in text
    assert "It is the heart of the town." in text
    assert [block.block_type for block in market.body].count("image") == 1

    fair = ArticlePage.objects.get(slug="summer-fair")
    assert fair.go_live_at == datetime.datetime(2099, 7, 1, 9, 0, tzinfo=UTC)
    assert not fair.live
    broken = ArticlePage.objects.get(slug="broken")
    assert "The rendered HTML saves the day." in str(broken.body.render_as_block())

    approximated = "\n".join(notes(report))
    assert "an unknown unknown-widget card was left out" in approximated
    assert "the mobiledoc field is not JSON" in approximated
    skipped = "\n".join(notes(report, "skipped"))
    assert "missing.jpg" in skipped


@pytest.mark.django_db
def test_a_dry_run_reports_and_changes_nothing(tree, images_dir):
    before = (Page.objects.count(), Image.objects.count(), SourceRecord.objects.count())

    report = run_import(
        "ghost",
        [GHOST / "ghost5-export.json"],
        options={"images_dir": str(images_dir)},
        dry_run=True,
    )

    assert report.dry_run
    assert report.as_dict()["counts"]["post"] == {"created": 5}
    assert (Page.objects.count(), Image.objects.count(), SourceRecord.objects.count()) == before
    assert not Redirect.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"db": [{"meta": {}, "data": {"posts": [', "is not a JSON file"),
        (b"\xff\xfe not text", "is not a JSON file"),
        (b'{"posts": []}', "This is not a Ghost export"),
        (b'{"db": [{"data": {"posts": {"id": 1}}}]}', "posts are not a list"),
        (b'{"db": [{"data": {"posts": [{"title": "no id"}]}}]}', "a post without an id"),
        (b'{"db": [{"data": {"posts": [], "tags": "x"}}]}', "tags are not a list"),
    ],
)
def test_a_bad_export_is_refused_whole_and_changes_nothing(tmp_path, tree, content, message):
    path = tmp_path / "export.json"
    path.write_bytes(content)
    before = Page.objects.count()

    with pytest.raises(ImportFileError, match=message):
        run_import("ghost", [path])

    assert Page.objects.count() == before
    assert not SourceRecord.objects.exists()


@pytest.mark.django_db
def test_a_lexical_body_that_is_not_a_document_falls_back_to_ghosts_html(tmp_path, tree):
    export = json.loads((GHOST / "ghost5-export.json").read_text())
    post = export["db"][0]["data"]["posts"][2]
    post["lexical"] = json.dumps({"root": "not an object"})
    post["html"] = "<p>The notes, as Ghost rendered them.</p>"
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))

    report = run_import("ghost", [path])

    draft = ArticlePage.objects.get(slug="ferry-fares")
    assert "The notes, as Ghost rendered them." in str(draft.body.render_as_block())
    assert "lexical field has no root" in "\n".join(notes(report))
    assert report.failed == []
