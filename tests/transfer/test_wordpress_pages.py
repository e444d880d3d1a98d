"""The shared page helpers (masthead.transfer.pages) and old-URL redirects
(masthead.transfer.redirects) that every importer calls."""

import datetime

import pytest
from wagtail.contrib.redirects.models import Redirect

from masthead.publishing.models import ArticlePage, SectionPage, StandardPage
from masthead.transfer import pages
from masthead.transfer.importing import Importer
from masthead.transfer.redirects import old_path
from tests.publishing.factories import make_site_tree

UTC = datetime.UTC


class _Importer(Importer):
    source = "test"


@pytest.fixture
def tree():
    return make_site_tree()


def _save(importer, section, author, **overrides):
    fields = {
        "title": "Ferry timetable changes",
        "slug": "ferry-timetable",
        "standfirst": "The winter timetable starts next week.",
        "body": [("paragraph", "<p>Boats will run every forty minutes.</p>")],
        "published_at": datetime.datetime(2019, 5, 4, 9, 30, tzinfo=UTC),
        "status": "published",
        "section": section,
        "authors": [author],
        "tags": ["Transport", "transport", " Ferries "],
        "old_urls": ["https://old.example/2019/05/04/ferry-timetable/", "/?p=41"],
    }
    fields.update(overrides)
    return pages.save_article(importer, "post", "41", **fields)


@pytest.mark.django_db
def test_save_article_publishes_with_original_dates_and_redirects(client, tree):
    importer = _Importer([])
    author, created = pages.author_for("Rae Lindgren", importer=importer, source_id="rae")
    assert created
    page, created = _save(importer, tree.section, author)
    assert created
    page = ArticlePage.objects.get(pk=page.pk)
    assert page.live
    assert page.first_published_at == datetime.datetime(2019, 5, 4, 9, 30, tzinfo=UTC)
    assert page.last_published_at == page.first_published_at
    assert sorted(page.tags.names()) == ["Ferries", "Transport"]
    assert page.author_list == [author]
    assert page.revisions.count() == 1

    response = client.get("/?p=41")
    assert response.status_code == 301
    assert response["Location"] == page.url
    response = client.get("/2019/05/04/ferry-timetable/")
    assert response.status_code == 301
    assert response["Location"] == page.url
    assert client.get(page.url).status_code == 200
    # the home page itself, and its listings' ?page=, are not redirected
    assert client.get("/").status_code == 200

    # a re-run updates the same page and its redirects, no duplicates
    again, created = _save(importer, tree.section, author, title="Ferry timetable changed")
    assert not created and again.pk == page.pk
    assert ArticlePage.objects.count() == 1
    assert Redirect.objects.count() == 2
    assert importer.report.counts == {"post:created": 1, "post:updated": 1}
    assert ArticlePage.objects.get(pk=page.pk).title == "Ferry timetable changed"


@pytest.mark.django_db
def test_draft_and_scheduled(tree):
    importer = _Importer([])
    author, _ = pages.author_for("Rae Lindgren")
    draft, _ = pages.save_article(
        importer, "post", "1", title="Draft", slug="draft", standfirst="", body=[],
        published_at=None, status="draft", section=tree.section, authors=[author],
        old_urls=["/?p=1"],
    )  # fmt: skip
    draft.refresh_from_db()
    assert not draft.live and draft.first_published_at is None
    assert draft.standfirst == "Draft"
    assert not Redirect.objects.exists()
    future = datetime.datetime.now(UTC) + datetime.timedelta(days=3)
    scheduled, _ = pages.save_article(
        importer, "post", "2", title="Later", slug="later", standfirst="Soon.", body=[],
        published_at=future, go_live_at=future, status="scheduled", section=tree.section,
        authors=[author],
    )  # fmt: skip
    scheduled.refresh_from_db()
    assert not scheduled.live
    assert scheduled.go_live_at == future
    assert scheduled.revisions.get().approved_go_live_at == future


@pytest.mark.django_db
def test_slug_clash_gets_a_suffix_and_a_note(tree):
    importer = _Importer([])
    _save(importer, tree.section, pages.author_for("A B")[0])
    second, _ = pages.save_article(
        importer, "post", "42", title="Other", slug="ferry-timetable", standfirst="x",
        body=[], published_at=None, status="published", section=tree.section,
    )  # fmt: skip
    assert second.slug == "ferry-timetable-2"
    assert "ferry-timetable-2" in importer.report.approximated[0].reason


@pytest.mark.django_db
def test_sections_authors_and_standard_pages(tree):
    assert pages.section_for("news") == tree.section
    assert pages.section_for("NEWS") == tree.section
    assert pages.section_for("Culture", create=False) is None
    culture = pages.section_for("Culture")
    assert isinstance(culture, SectionPage) and culture.live
    assert pages.default_section() == tree.section
    importer = _Importer([])
    page, _created = pages.save_article(
        importer, "page", "7", title="About us", slug="about", standfirst="Who we are.",
        body=[("paragraph", "<p>We are a small team.</p>")], published_at=None,
        status="published", section=tree.home, page_class=StandardPage, old_urls=["/about-us/"],
    )  # fmt: skip
    assert isinstance(page, StandardPage) and page.introduction == "Who we are."
    assert Redirect.objects.get().old_path == "/about-us"


def test_standfirst_from():
    assert pages.standfirst_from("<p>Short &amp; sweet.</p>") == ("Short & sweet.", False)
    body = "<p>" + "First sentence here. " * 30 + "</p>"
    text, truncated = pages.standfirst_from("", body)
    assert not truncated and len(text) <= 300 and text.endswith(".")
    text, truncated = pages.standfirst_from("word " * 100)
    assert truncated and len(text) <= 300 and text.endswith("…")


def test_old_path():
    assert old_path("https://old.example/2019/05/a-post/") == "/2019/05/a-post"
    assert old_path("https://old.example/?p=12") == "/?p=12"
    assert old_path("https://old.example/") is None
    assert old_path("") is None
    assert old_path("javascript:alert(1)") is None
