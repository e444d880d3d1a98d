"""Rendered fragments: the parts of pages every reader shares (header, footer, an article's
text, the home page's listings) are rendered once and reused, and every change an editor
publishes shows on the very next render, exactly as with the whole-page cache.

These run with the whole-page cache off (PAGE_CACHE_SECONDS=0), as the benchmark's
"uncached" mode does, so every response here is rendered through the fragments."""

import re
import time

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.template import Context, RequestContext, Template
from django.test import Client, RequestFactory
from wagtail.models import Page, PageViewRestriction, Site

from masthead.core import cache as page_cache
from masthead.core import fragments, page_tags
from masthead.core.models import SiteSettings
from masthead.newsletter.models import Newsletter
from masthead.publishing.models import ArticlePage, StandardPage, paginate
from tests.publishing.factories import (
    add_child,
    make_article,
    make_author,
    make_image,
    make_section,
    make_site_tree,
    publish,
)

OLD_TITLE = "Library opening hours extended"


@pytest.fixture
def client(settings):
    """A client whose server renders every page afresh: no whole-page cache."""
    settings.PAGE_CACHE_SECONDS = 0
    return Client()


@pytest.fixture
def outlet(django_capture_on_commit_callbacks):
    """A site with two sections, an author, a newsletter and three articles in News."""
    with django_capture_on_commit_callbacks(execute=True):
        tree = make_site_tree()
        tree.culture = make_section(tree.home, "Culture")
        author = make_author(tree.author_index, name="Robin Ashdown")
        Newsletter.objects.create(name="The Daily Ledger", slug="daily", is_public=True)
        tree.older = make_article(tree.section, [author], title="Ferry timetable changes")
        tree.sibling = make_article(tree.section, [author], title="Bus shelters to be replaced")
        tree.article = make_article(
            tree.section,
            [author],
            title=OLD_TITLE,
            hero_image=make_image("Reading room"),
            body=[("paragraph", f"<p>Paragraph {number}.</p>") for number in range(5)],
        )
        tree.review = make_article(tree.culture, [author], title="A season of river music")
    tree.author = author
    return tree


def body_of(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "X-Cache" not in response
    return response.content.decode()


def change_behind_the_back(article, title):
    """Change an article's headline without any signal: nothing is invalidated, so a page
    that still shows the old headline was made from a kept fragment."""
    ArticlePage.objects.filter(pk=article.pk).update(title=title)


def warm(client, *urls):
    for url in urls:
        body_of(client, url)


@pytest.mark.django_db
def test_renders_between_publications_reuse_the_fragments(client, outlet):
    warm(client, outlet.article.url, "/")
    change_behind_the_back(outlet.article, "Changed without a signal")

    assert f'<h1 class="article__headline">{OLD_TITLE}</h1>' in body_of(client, outlet.article.url)
    assert OLD_TITLE in body_of(client, "/")


@pytest.mark.django_db
def test_publishing_an_edit_shows_the_new_headline_on_every_page(
    client, outlet, django_capture_on_commit_callbacks
):
    pages = [outlet.article.url, outlet.section.url, "/", outlet.sibling.url]
    warm(client, *pages)
    assert OLD_TITLE in body_of(client, outlet.sibling.url)

    article = ArticlePage.objects.get(pk=outlet.article.pk)
    article.title = "Library to open on Sundays"
    with django_capture_on_commit_callbacks(execute=True):
        article.save_revision().publish()

    for url in pages:
        body = body_of(client, url)
        assert "Library to open on Sundays" in body
        assert OLD_TITLE not in body


@pytest.mark.django_db
def test_saving_a_draft_leaves_readers_with_the_published_page(
    client, outlet, django_capture_on_commit_callbacks
):
    warm(client, outlet.article.url)
    article = ArticlePage.objects.get(pk=outlet.article.pk)
    article.title = "A headline still being written"
    with django_capture_on_commit_callbacks(execute=True):
        article.save_revision()

    body = body_of(client, outlet.article.url)
    assert OLD_TITLE in body
    assert "A headline still being written" not in body


@pytest.mark.django_db
def test_unpublishing_removes_the_article_from_every_listing(
    client, outlet, django_capture_on_commit_callbacks
):
    warm(client, outlet.article.url, outlet.section.url, "/", outlet.sibling.url)

    with django_capture_on_commit_callbacks(execute=True):
        ArticlePage.objects.get(pk=outlet.article.pk).unpublish()

    assert client.get(outlet.article.url).status_code == 404
    for url in (outlet.section.url, "/", outlet.sibling.url):
        assert OLD_TITLE not in body_of(client, url)


@pytest.mark.django_db
def test_a_new_section_and_a_new_page_appear_in_every_header_and_footer(
    client, outlet, django_capture_on_commit_callbacks
):
    warm(client, outlet.article.url, "/", outlet.review.url)

    with django_capture_on_commit_callbacks(execute=True):
        make_section(outlet.home, "Sport")
        add_child(outlet.home, StandardPage(title="Contact the newsroom", slug="contact"))

    for url in (outlet.article.url, "/", outlet.review.url):
        body = body_of(client, url)
        assert '<a href="/sport/">Sport</a>' in body
        assert '<a href="/contact/">Contact the newsroom</a>' in body


@pytest.mark.django_db
def test_each_page_has_its_own_place_highlighted_in_the_shared_header(client, outlet):
    """One header is kept per highlighted section, not one for every page."""
    news_article = body_of(client, outlet.article.url)
    news = body_of(client, outlet.section.url)
    culture_article = body_of(client, outlet.review.url)
    home = body_of(client, "/")

    assert '<a href="/news/" aria-current="true">News</a>' in news_article
    assert '<a href="/culture/">Culture</a>' in news_article
    assert '<a href="/news/" aria-current="page">News</a>' in news
    assert '<a href="/culture/" aria-current="true">Culture</a>' in culture_article
    assert '<a href="/news/">News</a>' in culture_article
    assert "aria-current" not in home.split('<main id="main"')[0]


@pytest.mark.django_db
def test_each_page_of_a_listing_has_its_own_fragments(
    client, outlet, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(paginate, "__defaults__", (2,))
    first = body_of(client, outlet.section.url)
    second = body_of(client, outlet.section.url + "?page=2")

    assert "<title>News | Masthead</title>" in first
    assert "<title>News (page 2) | Masthead</title>" in second
    assert OLD_TITLE in first and OLD_TITLE not in second
    assert "Ferry timetable changes" in second and "Ferry timetable changes" not in first


@pytest.mark.django_db
def test_saving_site_settings_changes_header_footer_and_title_at_once(
    client, outlet, django_capture_on_commit_callbacks
):
    warm(client, "/", outlet.article.url)

    site_settings = SiteSettings.for_site(outlet.site)
    site_settings.outlet_name = "The Riverside Ledger"
    with django_capture_on_commit_callbacks(execute=True):
        site_settings.save()

    for url in ("/", outlet.article.url):
        body = body_of(client, url)
        assert '<span class="brand__name">The Riverside Ledger</span>' in body
        assert '<h2 id="footer-outlet" class="site-footer__name">The Riverside Ledger</h2>' in body
        assert "The Riverside Ledger</title>" in body


@pytest.mark.django_db
def test_editing_an_author_changes_the_byline_on_their_articles(
    client, outlet, django_capture_on_commit_callbacks
):
    warm(client, outlet.article.url, "/")

    author = outlet.author
    author.title = "Robin Ashdown-Vale"
    with django_capture_on_commit_callbacks(execute=True):
        publish(author)

    for url in (outlet.article.url, "/"):
        assert "Robin Ashdown-Vale</a>" in body_of(client, url)


@pytest.mark.django_db
def test_renaming_a_picture_changes_the_alt_text_it_gives_articles(
    client, outlet, django_capture_on_commit_callbacks
):
    assert 'alt="Reading room"' in body_of(client, outlet.article.url)

    image = outlet.article.hero_image
    image.title = "The reading room after the refit"
    with django_capture_on_commit_callbacks(execute=True):
        image.save()

    body = body_of(client, outlet.article.url)
    assert 'alt="The reading room after the refit"' in body
    assert 'alt="Reading room"' not in body


@pytest.mark.django_db
def test_making_a_page_or_its_section_private_applies_at_once(
    client, outlet, django_capture_on_commit_callbacks
):
    warm(client, outlet.article.url, outlet.sibling.url)

    with django_capture_on_commit_callbacks(execute=True):
        PageViewRestriction.objects.create(
            page=outlet.article, restriction_type=PageViewRestriction.LOGIN
        )
    response = client.get(outlet.article.url)
    assert response.status_code == 302
    assert response["Location"].startswith("/_util/login/")
    assert client.get(outlet.sibling.url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        PageViewRestriction.objects.create(
            page=outlet.section, restriction_type=PageViewRestriction.LOGIN
        )
    assert client.get(outlet.sibling.url).status_code == 302


@pytest.mark.django_db
def test_the_live_parts_follow_readers_activity_while_the_rest_is_kept(client, outlet, monkeypatch):
    """The sign-up forms are rendered for every request, inside fragments that are kept: a
    newsletter added where this process has not yet seen a new generation (here: behind the
    signals' back, as another machine's change looks until its generation is read) is offered
    once the list of newsletters is looked up again (at most a second later; at once here),
    while the rest of the page is still the kept fragment."""
    monkeypatch.setattr(fragments, "FRAGMENT_SECONDS", 0)
    warm(client, outlet.article.url)
    change_behind_the_back(outlet.article, "Changed without a signal")
    Newsletter.objects.bulk_create([Newsletter(name="Arts Weekly", slug="arts", is_public=True)])

    body = body_of(client, outlet.article.url)

    assert OLD_TITLE in body
    assert body.count("Arts Weekly") == 2  # the sign-up in the article and in the footer


@pytest.mark.django_db
def test_the_sign_up_forms_carry_this_requests_render_time(client, outlet, monkeypatch):
    warm(client, outlet.article.url)
    monkeypatch.setattr(time, "time", lambda: 2_000_000_000.0)

    body = body_of(client, outlet.article.url)

    stamps = re.findall(r'name="rendered" value="([^"]*)"', body)
    assert len(stamps) == 2
    assert all(stamp.startswith("2000000000:") for stamp in stamps)


@pytest.mark.django_db
def test_a_change_made_by_another_process_is_seen_within_a_second(client, outlet):
    warm(client, outlet.article.url)
    change_behind_the_back(outlet.article, "Changed in another process")

    # What invalidate_pages() in another worker process leaves in the shared cache.
    cache.set(page_cache.GENERATION_KEY, "a-generation-from-another-process", timeout=None)
    time.sleep(page_cache.GENERATION_CHECK_SECONDS + 0.1)

    assert "Changed in another process" in body_of(client, outlet.article.url)


@pytest.mark.django_db
def test_a_fragment_is_kept_no_longer_than_its_lifetime(client, outlet, settings):
    settings.FRAGMENT_CACHE_SECONDS = 1
    warm(client, outlet.article.url)
    change_behind_the_back(outlet.article, "Changed a while ago")
    assert OLD_TITLE in body_of(client, outlet.article.url)

    time.sleep(1.1)

    assert "Changed a while ago" in body_of(client, outlet.article.url)


@pytest.mark.django_db
def test_with_fragments_off_every_render_reads_the_database(client, outlet, settings):
    settings.FRAGMENT_CACHE_SECONDS = 0
    warm(client, outlet.article.url)
    change_behind_the_back(outlet.article, "Changed without a signal")

    assert "Changed without a signal" in body_of(client, outlet.article.url)


@pytest.mark.django_db
def test_a_signed_in_editor_sees_what_the_database_holds(client, outlet):
    warm(client, outlet.article.url)
    change_behind_the_back(outlet.article, "Changed without a signal")
    client.force_login(User.objects.create_user("editor", password="a-long-editor-password"))

    assert "Changed without a signal" in body_of(client, outlet.article.url)


@pytest.mark.django_db
def test_a_visitor_with_only_a_session_gets_the_shared_fragments(client, outlet):
    """A shopper at the checkout has a session but is nobody: their pages reuse the
    fragments every reader gets, and what they render is what every reader would get."""
    session = client.session
    session["checkout"] = {"email": "shopper@example.org"}
    session.save()
    warm(client, outlet.article.url)
    change_behind_the_back(outlet.article, "Changed without a signal")

    assert OLD_TITLE in body_of(client, outlet.article.url)
    assert OLD_TITLE in body_of(Client(), outlet.article.url)


@pytest.mark.django_db
def test_a_preview_shows_the_editors_unsaved_changes(client, outlet):
    warm(client, outlet.article.url)
    draft = ArticlePage.objects.get(pk=outlet.article.pk)
    draft.title = "A headline in preview"
    draft.standfirst = "Only the editor sees this."

    preview = draft.make_preview_request().content.decode()

    assert '<h1 class="article__headline">A headline in preview</h1>' in preview
    assert "Only the editor sees this." in preview
    assert "A headline in preview" not in body_of(client, outlet.article.url)


@pytest.mark.django_db
def test_each_site_gets_links_made_for_it(client, outlet, settings, request):
    """Two hosts serving the same pages: each gets its own absolute links."""
    settings.ALLOWED_HOSTS = ["localhost", "news.example"]
    path = outlet.article.url
    site = Site.objects.create(hostname="news.example", port=80, root_page=outlet.home)
    # Deleted again so that Wagtail forgets it (its list of sites lives in the cache, which
    # the end of the test does not roll back).
    request.addfinalizer(site.delete)

    first = client.get(path, HTTP_HOST="localhost").content.decode()
    second = client.get(path, HTTP_HOST="news.example").content.decode()

    assert f'<link rel="canonical" href="http://localhost{path}">' in first
    assert f'<link rel="canonical" href="http://news.example{path}">' in second


def render(source, context):
    return Template("{% load masthead_tags %}" + source).render(context)


@pytest.mark.django_db
def test_a_live_block_is_rendered_for_each_request_with_the_pages_context(outlet):
    source = (
        '{% fragment "test" %}<p>kept {{ kept }}</p>'
        "{% with inside=kept %}{% live %}<p>live {{ live }} [{{ inside }}]</p>{% endlive %}"
        "{% endwith %}{% endfragment %}"
    )
    request = RequestFactory().get("/")

    first = render(source, RequestContext(request, {"kept": "one", "live": "A"}))
    second = render(source, RequestContext(request, {"kept": "two", "live": "B"}))

    assert first == "<p>kept one</p><p>live A []</p>"
    assert second == "<p>kept one</p><p>live B []</p>"


@pytest.mark.django_db
def test_without_a_request_a_fragment_is_rendered_every_time(outlet):
    source = '{% fragment "test" %}{{ value }}{% endfragment %}'

    assert render(source, Context({"value": "one"})) == "one"
    assert render(source, Context({"value": "two"})) == "two"


@pytest.mark.django_db
def test_a_filter_that_changes_a_live_block_inside_a_fragment_is_an_error(outlet):
    source = '{% fragment "test" %}{% filter upper %}{% live %}x{% endlive %}{% endfilter %}'
    source += "{% endfragment %}"
    request = RequestFactory().get("/")

    with pytest.raises(Exception, match="changed by a filter"):
        render(source, RequestContext(request, {}))


def wagtail_route(site_root, path):
    """The page Wagtail's own routing serves at ``path``: each level's child found by slug
    and made specific, the last one only if live. None for a 404."""
    page = Page.objects.get(pk=site_root.pk)
    for slug in [part for part in path.split("/") if part]:
        page = page.get_children().filter(slug=slug).first()
        if page is None:
            return None
    return page.specific if page.live else None


@pytest.mark.django_db
def test_routing_serves_the_same_page_as_wagtails_own(
    client, outlet, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        about = add_child(outlet.home, StandardPage(title="About us", slug="about"))
        add_child(about, StandardPage(title="Our history", slug="history"))
        ArticlePage.objects.get(pk=outlet.older.pk).unpublish()
        moved = ArticlePage.objects.get(pk=outlet.sibling.pk)
        moved.move(outlet.culture, pos="last-child")
    paths = [
        "/",
        "/news/",
        outlet.article.url,
        "/culture/bus-shelters-to-be-replaced/",
        "/news/bus-shelters-to-be-replaced/",
        "/news/ferry-timetable-changes/",
        "/news/no-such-story/",
        "/about/",
        "/about/history/",
        "/about/no-such-page/",
        "/writers/robin-ashdown/",
        "/culture/library-opening-hours-extended/",
        "/no-such-section/library-opening-hours-extended/",
        "/news/library-opening-hours-extended/extra/",
    ]
    for path in paths:
        expected = wagtail_route(outlet.home, path)
        response = client.get(path)
        if expected is None:
            # Not found, or (the article that moved) Wagtail's redirect to where it went.
            assert response.status_code in (301, 404), path
        else:
            assert response.status_code == 200, path
            assert response.context["page"].pk == expected.pk, path
            assert type(response.context["page"]) is type(expected), path


def forget_this_process_fragments():
    """What another web process has: nothing of its own yet (the shared cache is shared)."""
    fragments.rendered_fragments.entries.clear()


@pytest.mark.django_db
def test_a_fragment_rendered_by_one_process_is_not_rendered_again_by_another(
    client, outlet, monkeypatch
):
    warm(client, outlet.article.url)
    change_behind_the_back(outlet.article, "Changed without telling anyone")
    forget_this_process_fragments()
    monkeypatch.setattr(time, "time", lambda real=time.time: real() + 5)

    body = body_of(client, outlet.article.url)

    # The article's text and header came from the shared cache, not from the database...
    assert OLD_TITLE in body
    assert "Changed without telling anyone" not in body
    # ...and the live holes inside them were filled in for this request.
    stamps = re.findall(r'name="rendered" value="([^"]*)"', body)
    assert len(stamps) == 2
    assert all(stamp.startswith(f"{int(time.time())}:") for stamp in stamps)


@pytest.mark.django_db
def test_a_publication_replaces_the_shared_fragments_too(client, outlet):
    warm(client, outlet.article.url)
    revision = outlet.article.get_latest_revision_as_object()
    revision.title = "Library opening hours extended again"
    publish(revision)
    forget_this_process_fragments()

    assert "Library opening hours extended again" in body_of(client, outlet.article.url)


@pytest.mark.django_db
def test_a_shared_fragment_whose_tag_changed_is_rendered_afresh(settings):
    settings.FRAGMENT_CACHE_SECONDS = 600
    renders = []

    def render():
        page_tags.tag("shop:product:tote")
        renders.append(1)
        return f"<p>render {len(renders)}</p>"

    share = fragments.Share(dump=lambda value: value, load=lambda data: data, version="t")
    first = fragments.rendered_fragment(("test", "product"), render, share)
    forget_this_process_fragments()
    shared = fragments.rendered_fragment(("test", "product"), render, share)
    page_tags.invalidate("shop:product:tote")
    forget_this_process_fragments()
    after = fragments.rendered_fragment(("test", "product"), render, share)

    assert [first, shared, after] == ["<p>render 1</p>", "<p>render 1</p>", "<p>render 2</p>"]


def test_another_version_of_a_fragment_is_not_taken_from_the_shared_cache(settings):
    settings.FRAGMENT_CACHE_SECONDS = 600

    def share(version):
        return fragments.Share(dump=lambda value: value, load=lambda data: data, version=version)

    fragments.rendered_fragment(("test", "footer"), lambda: "<footer>old</footer>", share("1"))
    forget_this_process_fragments()

    value = fragments.rendered_fragment(
        ("test", "footer"), lambda: "<footer>new</footer>", share("2")
    )

    assert value == "<footer>new</footer>"


def test_a_fragment_that_cannot_be_shared_stays_in_its_process(settings):
    settings.FRAGMENT_CACHE_SECONDS = 600
    renders = []
    unshared = fragments.Share(dump=lambda value: None, load=lambda data: data, version="u")

    def render():
        renders.append(1)
        return "<aside>parts</aside>"

    fragments.rendered_fragment(("test", "aside"), render, unshared)
    fragments.rendered_fragment(("test", "aside"), render, unshared)
    forget_this_process_fragments()
    fragments.rendered_fragment(("test", "aside"), render, unshared)

    assert len(renders) == 2


@pytest.mark.django_db
def test_a_value_readers_change_is_worked_out_again_after_a_second(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(fragments.time, "monotonic", lambda: clock[0])
    computed = []

    def compute():
        computed.append(1)
        return len(computed)

    assert fragments.site_fragment("test:funding", compute) == 1
    clock[0] += fragments.FRAGMENT_SECONDS / 2
    assert fragments.site_fragment("test:funding", compute) == 1
    clock[0] += fragments.FRAGMENT_SECONDS
    assert fragments.site_fragment("test:funding", compute) == 2


@pytest.mark.django_db
def test_a_due_value_is_computed_by_one_thread_while_the_others_wait_for_it():
    """Threads of one process that find a value due together compute it once; a value
    whose computing fails is computed by the next thread to ask."""
    import threading

    computed, started = [], threading.Event()

    def compute():
        computed.append(1)
        started.set()
        time.sleep(0.3)
        return "figures"

    answers = []
    threads = [
        threading.Thread(
            target=lambda: answers.append(fragments.site_fragment("test:busy", compute))
        )
        for _ in range(4)
    ]
    threads[0].start()
    assert started.wait(5)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert answers == ["figures"] * 4
    assert computed == [1]

    def fails():
        raise ValueError("the database is down")

    with pytest.raises(ValueError):
        fragments.site_fragment("test:failing", fails)
    assert fragments.site_fragment("test:failing", lambda: "back") == "back"


@pytest.mark.django_db
def test_a_value_only_editors_change_is_kept_until_the_next_change(monkeypatch):
    """The navigation, the settings: kept past a second, since any change an editor makes
    starts a new generation, which renews them at once; and at most EDITED_SECONDS, for a
    change made around the application."""
    clock = [1000.0]
    monkeypatch.setattr(fragments.time, "monotonic", lambda: clock[0])
    computed = []

    def compute():
        computed.append(1)
        return len(computed)

    def value():
        return fragments.site_fragment("test:navigation", compute, only_editors_change=True)

    assert value() == 1
    clock[0] += fragments.FRAGMENT_SECONDS * 10
    assert value() == 1

    page_cache.invalidate_pages()  # what any editor's change does
    assert value() == 2

    clock[0] += fragments.EDITED_SECONDS - 1
    assert value() == 2
    clock[0] += 2
    assert value() == 3
