"""Small builders of publishing content for tests.

Other test modules import these, so their names and arguments stay stable:

- ``make_site_tree()`` -> ``SiteTree`` with the home page, a "News" section, an author
  index and the default ``Site``;
- ``make_author(index, name="...", **fields)`` -> a live ``AuthorPage``;
- ``make_article(section, authors, **fields)`` -> a live ``ArticlePage``;
- ``make_image(title="...", width=..., height=...)`` -> a Wagtail ``Image`` made with Pillow.

Every page is saved as a revision and published, so it behaves as it would after an
editor pressed "Publish".
"""

import io
from dataclasses import dataclass

from django.core.files.images import ImageFile
from django.utils.text import slugify
from PIL import Image as PillowImage
from wagtail.images.models import Image
from wagtail.models import Site

from masthead.publishing.models import (
    ArticleAuthor,
    ArticlePage,
    AuthorIndexPage,
    AuthorPage,
    HomePage,
    SectionPage,
)


@dataclass
class SiteTree:
    """The skeleton of an outlet: its home page, one section and the author index."""

    site: Site
    home: HomePage
    section: SectionPage
    author_index: AuthorIndexPage


def publish(page):
    """Save a revision of ``page`` and publish it, as an editor would; return the page."""
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def add_child(parent, page):
    """Add ``page`` under ``parent`` and publish it."""
    parent.add_child(instance=page)
    return publish(page)


def make_site_tree(section_title="News"):
    """The home page made by the migrations, with a section and an author index under it."""
    site = Site.objects.get(is_default_site=True)
    home = HomePage.objects.get(pk=site.root_page_id)
    section = add_child(
        home,
        SectionPage(
            title=section_title,
            slug=slugify(section_title),
            introduction=f"The latest from the {section_title} desk.",
            show_in_menus=True,
        ),
    )
    author_index = add_child(home, AuthorIndexPage(title="Our writers", slug="writers"))
    return SiteTree(site=site, home=home, section=section, author_index=author_index)


def make_section(home, title, **fields):
    """Another live section under the home page, shown in the navigation by default."""
    fields.setdefault("show_in_menus", True)
    return add_child(home, SectionPage(title=title, slug=slugify(title), **fields))


def make_author(index, name="Alex Morgan", **fields):
    """A live author page under ``index``; ``fields`` sets role, bio, photo, links..."""
    fields.setdefault("role", "Reporter")
    fields.setdefault("slug", slugify(name))
    return add_child(index, AuthorPage(title=name, **fields))


def make_image(title="A test picture", width=1200, height=800, colour=(40, 90, 140)):
    """A Wagtail image of one colour, made in memory with Pillow."""
    buffer = io.BytesIO()
    PillowImage.new("RGB", (width, height), colour).save(buffer, format="PNG")
    buffer.seek(0)
    filename = f"{slugify(title) or 'image'}.png"
    return Image.objects.create(title=title, file=ImageFile(buffer, name=filename))


def make_article(section, authors=(), title="Bridge repairs to finish in spring", **fields):
    """A live article in ``section`` by ``authors`` (AuthorPages, in byline order).

    ``fields`` sets any ArticlePage field; ``body`` may be a list of (block type, value)
    pairs; ``tags`` a list of tag names. Defaults give a one-paragraph news story.
    """
    tags = fields.pop("tags", [])
    fields.setdefault("standfirst", "Work on the old river crossing is running to schedule.")
    fields.setdefault("slug", slugify(title))
    fields.setdefault("body", [("paragraph", "<p>The council said the work was on time.</p>")])
    article = ArticlePage(title=title, **fields)
    for position, author in enumerate(authors):
        # In byline order, as the editor's form numbers them: without a number, PostgreSQL
        # may give the bylines back in any order.
        article.article_authors.add(ArticleAuthor(author=author, sort_order=position))
    for tag in tags:
        article.tags.add(tag)
    section.add_child(instance=article)
    return publish(article)


def every_block_body(image, embed_url="https://video.example/watch/123"):
    """An article body that uses every block type once, in a natural order."""
    return [
        ("paragraph", "<p>The library on Mill Lane will open on Sundays from next month.</p>"),
        ("heading", {"text": "What changes", "level": "h2"}),
        (
            "image",
            {
                "image": image,
                "alt_text": "Readers at long tables in a bright reading room",
                "caption": "The reading room after its refit.",
                "credit": "Illustration: Test Desk",
            },
        ),
        ("pull_quote", {"text": "Sunday is when most people have time to read."}),
        (
            "block_quote",
            {
                "quote": "We will keep the extra hours for at least a year.",
                "attribution": "A spokesperson",
                "role": "Example Borough Libraries",
                "source_url": "https://www.example.org/statement",
            },
        ),
        (
            "embed",
            {
                "url": embed_url,
                "title": "Video tour of the reading room",
                "caption": "A tour filmed by library staff.",
            },
        ),
        (
            "statistic",
            {
                "figure": "38%",
                "label": "more visitors on weekends than on weekdays",
                "source_title": "Library footfall survey",
                "source_url": "https://www.example.org/survey",
            },
        ),
        (
            "callout",
            {
                "title": "Opening hours",
                "body": "<p>Sunday 11:00 to 16:00, from the first of the month.</p>",
                "tone": "key",
            },
        ),
    ]
