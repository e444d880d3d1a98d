"""The demo outlet command, its content files and the bulk-article generator."""

import shutil
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from wagtail.images import get_image_model
from wagtail.models import Page, Revision, Site

from masthead.core.models import SOCIAL_NETWORKS, SiteSettings
from masthead.publishing.demo.loader import (
    BLOCK_FIELDS,
    CONTENT_DIR,
    Block,
    DemoContentError,
    load_demo_content,
    load_generator_words,
    read_article,
)
from masthead.publishing.models import (
    ArticleCorrection,
    ArticlePage,
    AuthorIndexPage,
    AuthorPage,
    CorrectionsPage,
    HomePage,
    SectionPage,
    StandardPage,
)

BODY_BLOCK_TYPES = {
    "paragraph",
    "heading",
    "image",
    "pull_quote",
    "block_quote",
    "embed",
    "statistic",
    "callout",
    # The shop's share of the demo puts a product block in two articles.
    "product",
}


@pytest.fixture(autouse=True)
def demo_media(settings, tmp_path):
    """Write the demo's pictures to a throwaway folder, and hash passwords quickly."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def home_page():
    return Site.objects.get(is_default_site=True).root_page


def counts():
    return {
        "pages": Page.objects.count(),
        "articles": ArticlePage.objects.live().count(),
        "images": get_image_model().objects.count(),
        "users": get_user_model().objects.count(),
        # The home page is not demo content: it keeps its history and gains a revision
        # (the new lead story) on every build.
        "revisions": Revision.objects.exclude(object_id=str(home_page().pk)).count(),
    }


@pytest.mark.django_db
def test_demo_content_builds_the_whole_outlet():
    output = run("demo_content")

    assert "Built the demo outlet" in output
    home = Site.objects.get(is_default_site=True).root_page.specific
    assert SectionPage.objects.live().child_of(home).in_menu().count() >= 5
    assert AuthorIndexPage.objects.live().child_of(home).count() == 1
    authors = AuthorPage.objects.live()
    assert authors.count() >= 5
    assert all(author.photo_id and author.role and author.bio for author in authors)
    assert any("Volunteer" in author.role for author in authors)

    articles = list(ArticlePage.objects.live().specific())
    assert len(articles) >= 24
    assert {article.article_type for article in articles} == set(ArticlePage.ArticleType.values)
    assert {block.block_type for article in articles for block in article.body} == (
        BODY_BLOCK_TYPES
    )
    for article in articles:
        words = sum(len(str(block.value).split()) for block in article.body)
        assert words >= 350, article.slug
        assert 1 <= article.article_authors.count() <= 2
        assert article.hero_image.width == 1600
        assert article.hero_image.height == 900
        assert article.hero_alt_text
        assert article.hero_credit == "Illustration: The Riverside Ledger"
        assert article.tags.exists()
        assert article.live_revision_id is not None
    with_sources = [article for article in articles if article.sources.exists()]
    assert len(with_sources) > len(articles) * 3 / 4
    assert {article.section.slug for article in articles} == {
        "news",
        "local",
        "world",
        "opinion",
        "culture",
    }
    kinds = ArticleCorrection.objects.values_list("kind", "article")
    corrected = {article for kind, article in kinds if kind == "correction"}
    updated = {article for kind, article in kinds if kind == "update"}
    assert corrected and updated and corrected != updated

    dates = sorted(article.first_published_at for article in articles)
    assert (dates[-1] - dates[0]).days >= 25
    assert HomePage.objects.get(pk=home.pk).lead_story.live

    assert set(StandardPage.objects.live().child_of(home).values_list("slug", flat=True)) == {
        "about",
        "editorial-standards",
        "contact",
        "privacy",
    }
    privacy = " ".join(str(block.value) for block in StandardPage.objects.get(slug="privacy").body)
    assert "does not use advertising, tracking pixels" in privacy
    assert CorrectionsPage.objects.live().get().title == "Corrections and clarifications"

    site = Site.objects.get(is_default_site=True)
    assert site.site_name == "The Riverside Ledger"
    site_settings = SiteSettings.for_site(site)
    assert site_settings.outlet_name == "The Riverside Ledger"
    assert site_settings.logo is not None
    assert len(site_settings.social_links()) == len(SOCIAL_NETWORKS) == 8
    assert site_settings.newsletter_url == "/newsletter/"
    assert site_settings.donate_url == "/support/"

    users = get_user_model().objects
    admin = users.get(username="admin")
    editor = users.get(username="editor")
    contributor = users.get(username="contributor")
    assert admin.is_superuser and admin.email == "admin@example.com"
    assert not editor.is_superuser
    assert list(editor.groups.values_list("name", flat=True)) == ["Editors"]
    assert list(contributor.groups.values_list("name", flat=True)) == ["Contributors"]
    assert all(user.check_password("masthead-demo") for user in (admin, editor, contributor))
    assert AuthorPage.objects.get(user=contributor).title == "Gwen Allard"


@pytest.mark.django_db
def test_running_again_changes_nothing_and_reset_rebuilds_the_same_outlet():
    run("demo_content")
    before = counts()
    old_article_ids = set(ArticlePage.objects.values_list("pk", flat=True))
    pictures = {image.title: image.file_hash for image in get_image_model().objects.all()}

    again = run("demo_content")

    assert "already there" in again
    assert counts() == before

    reset = run("demo_content", "--reset")

    assert "Removed the existing demo content" in reset
    assert counts() == before
    assert not old_article_ids & set(ArticlePage.objects.values_list("pk", flat=True))
    assert get_user_model().objects.filter(username="admin").count() == 1
    # Seeded drawing: the rebuilt pictures are byte for byte the same.
    assert {image.title: image.file_hash for image in get_image_model().objects.all()} == pictures


@pytest.mark.django_db
def test_demo_pages_render(client):
    run("demo_content")
    article = ArticlePage.objects.get(slug="bus-route-14-consultation-opens")

    home = client.get("/")
    page = client.get(article.url)

    assert home.status_code == 200
    assert "The Riverside Ledger" in home.content.decode()
    assert page.status_code == 200
    body = page.content.decode()
    assert "Consultation opens on plan to reroute the 14 bus" in body
    assert "https://video.example/watch/bus-14-briefing" in body


@pytest.mark.django_db
def test_generate_articles_adds_exactly_that_many_live_articles(client):
    before = ArticlePage.objects.live().count()

    output = run("generate_articles", "50", "--seed", "7")

    assert "Added 50 articles" in output
    assert "articles/s" in output
    assert ArticlePage.objects.live().count() == before + 50
    assert all(len(problems) == 0 for problems in Page.find_problems())
    article = ArticlePage.objects.live().order_by("-pk").first()
    assert article.article_authors.count() >= 1
    assert article.tags.count() == 2
    assert len(article.body) >= 3
    assert client.get(article.url).status_code == 200
    assert article in list(ArticlePage.objects.live().search(article.title))


@pytest.mark.django_db
def test_generate_articles_adds_to_the_demo_and_can_reuse_images():
    run("demo_content")
    sections = set(SectionPage.objects.values_list("pk", flat=True))
    images_before = get_image_model().objects.count()

    run("generate_articles", "30", "--with-images", "--seed", "3")

    generated = ArticlePage.objects.filter(hero_credit="Illustration: generated")
    assert generated.count() == 30
    assert set(SectionPage.objects.values_list("pk", flat=True)) == sections
    assert get_image_model().objects.count() == images_before
    assert all(article.hero_image_id for article in generated)


@pytest.mark.django_db
def test_generate_articles_refuses_a_count_below_one():
    with pytest.raises(CommandError, match="positive"):
        run("generate_articles", "0")
    assert ArticlePage.objects.count() == 0


def test_every_content_file_is_read_and_parses():
    content = load_demo_content()
    words = load_generator_words()

    read = {
        CONTENT_DIR / "outlet.toml",
        CONTENT_DIR / "generated_articles.toml",
        *(CONTENT_DIR / "pages" / f"{page.slug}.txt" for page in content.standard_pages),
        *(CONTENT_DIR / "articles" / f"{article.slug}.txt" for article in content.articles),
    }
    assert {path for path in CONTENT_DIR.rglob("*") if path.is_file()} == read
    assert len(content.articles) == 26
    assert [page.slug for page in content.standard_pages] == [
        "about",
        "editorial-standards",
        "contact",
        "privacy",
    ]
    assert {article.section for article in content.articles} == {
        section.slug for section in content.sections
    }
    author_keys = {author.key for author in content.authors}
    assert {key for article in content.articles for key in article.authors} <= author_keys
    assert content.contributor_author in author_keys
    assert len(words.headlines) == 12


def test_content_names_only_blocks_the_body_offers():
    offered = set(ArticlePage.body.field.stream_block.child_blocks)
    assert set(StandardPage.body.field.stream_block.child_blocks) == offered
    content = load_demo_content()

    used = {
        block.type for page in (*content.articles, *content.standard_pages) for block in page.body
    }

    assert used <= offered
    # The demo shows every block its files can describe.
    assert used == {"paragraph", "heading", *BLOCK_FIELDS}


def test_an_article_file_reads_as_fields_and_blocks(tmp_path):
    path = tmp_path / "market-reopens.txt"
    path.write_text(
        "+++\n"
        'title = "Market reopens"\n'
        'standfirst = "Stalls are back."\n'
        'article_type = "news"\n'
        'section = "news"\n'
        'authors = ["tom"]\n'
        'tags = ["market"]\n'
        "days_ago = 2\n"
        'motif = "river"\n'
        'hero_alt_text = "A river"\n'
        'hero_caption = "The quay."\n'
        "\n"
        "[[sources]]\n"
        'title = "Notice"\n'
        'publisher = "Council"\n'
        'url = "https://council.example/notice"\n'
        "days_before = 3\n"
        "+++\n"
        "\n"
        "The market reopened\n"
        "on Saturday.\n"
        "## What changed\n"
        "::: statistic\n"
        'figure = "40"\n'
        'label = "stalls"\n'
        'source_title = "Notice"\n'
        ":::\n"
        "### Next\n"
        "More in spring.\n"
    )

    article = read_article(path)

    assert article.slug == "market-reopens"
    assert article.title == "Market reopens"
    assert article.authors == ("tom",)
    assert article.days_ago == 2
    assert article.correction is None
    assert [(source.title, source.days_before) for source in article.sources] == [("Notice", 3)]
    assert article.body == (
        Block("paragraph", "The market reopened on Saturday."),
        Block("heading", {"text": "What changed", "level": "h2"}),
        Block(
            "statistic",
            {"figure": "40", "label": "stalls", "source_title": "Notice", "source_url": ""},
        ),
        Block("heading", {"text": "Next", "level": "h3"}),
        Block("paragraph", "More in spring."),
    )


@pytest.fixture
def content_copy(tmp_path):
    """A copy of the demo content to break."""
    return shutil.copytree(CONTENT_DIR, tmp_path / "content")


def replace_in(path, old, new):
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))


def test_an_unknown_block_type_is_refused_naming_the_file_and_line(content_copy):
    path = content_copy / "articles" / "council-agrees-budget-with-council-tax-rise.txt"
    replace_in(path, "::: statistic", "::: chart")

    with pytest.raises(DemoContentError) as error:
        load_demo_content(content_copy)

    assert str(error.value) == (
        f"{path}: line 40: unknown block type 'chart'; a fenced block is one of image, "
        "pull_quote, block_quote, embed, statistic, callout"
    )


def test_a_block_missing_a_field_is_refused_naming_the_file_and_line(content_copy):
    path = content_copy / "articles" / "council-agrees-budget-with-council-tax-rise.txt"
    replace_in(path, 'figure = "£38.2m"\n', "")

    with pytest.raises(DemoContentError) as error:
        load_demo_content(content_copy)

    assert str(error.value) == f"{path}: line 40: missing field 'figure'"


def test_a_block_left_open_is_refused_naming_the_file_and_line(content_copy):
    path = content_copy / "pages" / "privacy.txt"
    text = path.read_text()
    path.write_text(text[: text.rindex(":::")])

    with pytest.raises(DemoContentError) as error:
        load_demo_content(content_copy)

    assert str(error.value) == (f"{path}: line 12: the callout block has no closing ::: line")


def test_broken_front_matter_is_refused_naming_the_file(content_copy):
    path = content_copy / "articles" / "how-council-tax-works.txt"
    replace_in(path, 'article_type = "explainer"', "article_type = explainer")

    with pytest.raises(DemoContentError) as error:
        load_demo_content(content_copy)

    assert str(error.value).startswith(f"{path}: front matter: Invalid value")


def test_a_misspelt_field_is_refused_naming_the_file(content_copy):
    path = content_copy / "outlet.toml"
    replace_in(path, 'strapline = "', 'tagline = "')

    with pytest.raises(DemoContentError) as error:
        load_demo_content(content_copy)

    assert str(error.value) == (
        f"{path}, [outlet]: unknown field 'tagline'; expected name, strapline, description, "
        "contact_email, founding_year, credit, social, newsletter_url, donate_url"
    )


def test_a_page_file_not_listed_in_the_outlet_is_refused(content_copy):
    path = content_copy / "pages" / "jobs.txt"
    shutil.copy(content_copy / "pages" / "contact.txt", path)

    with pytest.raises(DemoContentError) as error:
        load_demo_content(content_copy)

    assert str(error.value) == (
        f"{path}: not listed in standard_pages in {content_copy / 'outlet.toml'}"
    )
