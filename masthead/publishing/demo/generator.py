"""Bulk articles for benchmarks: thousands of plausible, published ArticlePages, fast.

Headlines and bodies are put together from the words in ``content/generated_articles.toml``.

Pages are written straight into the tree in batches (paths computed here, bulk inserts,
no revision per page and no per-save signals); each batch is then added to the search
index in bulk, and the page cache is emptied once at the end.
"""

import random
import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import slugify
from taggit.models import Tag
from wagtail.images import get_image_model
from wagtail.models import Collection, Page
from wagtail.search.backends import get_search_backends

from masthead.core.cache import invalidate_pages
from masthead.publishing.demo import images
from masthead.publishing.demo.builder import default_home_page, save_image
from masthead.publishing.demo.loader import load_generator_words
from masthead.publishing.models import (
    ArticleAuthor,
    ArticlePage,
    ArticlePageTag,
    AuthorIndexPage,
    AuthorPage,
    SectionPage,
)

GENERATED_COLLECTION_NAME = "Generated articles"
REUSED_IMAGE_COUNT = 6
BATCH_SIZE = 500


@dataclass
class GenerationResult:
    """How many articles were added and how long it took."""

    articles: int
    seconds: float

    @property
    def per_second(self):
        return self.articles / self.seconds if self.seconds else 0.0


def generate_articles(count, with_images=False, seed=None):
    """Add ``count`` published articles spread across the existing sections and authors.

    Creates a News section and a Newsroom author first if the site has none.
    """
    started = time.monotonic()
    # Benchmark filler, not security; the seed only makes runs repeatable.
    rng = random.Random(seed)  # noqa: S311
    words = load_generator_words()
    sections, authors = _sections_and_authors()
    hero_images = _reusable_images() if with_images else []
    tags = [Tag.objects.get_or_create(name=name)[0] for name in words.tags]
    run = format(int(time.time() * 1000), "x")
    now = timezone.now()

    created = 0
    while created < count:
        batch = min(BATCH_SIZE, count - created)
        _add_batch(rng, words, sections, authors, hero_images, tags, run, created, batch, now)
        created += batch
    invalidate_pages()
    return GenerationResult(articles=created, seconds=time.monotonic() - started)


def _sections_and_authors():
    _site, home = default_home_page()
    sections = list(SectionPage.objects.live().child_of(home))
    if not sections:
        section = home.add_child(
            instance=SectionPage(title="News", slug="news", show_in_menus=True)
        )
        section.save_revision().publish(skip_permission_checks=True)
        sections = [section]
    authors = list(AuthorPage.objects.live().descendant_of(home))
    if not authors:
        index = AuthorIndexPage.objects.child_of(home).first()
        if index is None:
            index = home.add_child(instance=AuthorIndexPage(title="Our writers", slug="authors"))
            index.save_revision().publish(skip_permission_checks=True)
        author = index.add_child(
            instance=AuthorPage(title="Newsroom", slug="newsroom", role="Staff")
        )
        author.save_revision().publish(skip_permission_checks=True)
        authors = [author]
    return sections, authors


def _reusable_images():
    """A handful of hero images: the existing ones, or a few drawn for the purpose."""
    Image = get_image_model()
    existing = list(Image.objects.filter(width__gte=1200).order_by("pk")[:REUSED_IMAGE_COUNT])
    if existing:
        return existing
    collection = Collection.get_first_root_node().add_child(name=GENERATED_COLLECTION_NAME)
    return [
        save_image(
            collection,
            f"Generated illustration {number + 1}",
            images.hero_picture(f"generated-{number}", palette_index=number),
            f"generated-{number + 1}.jpg",
        )
        for number in range(REUSED_IMAGE_COUNT)
    ]


def _headline(rng, words):
    place = rng.choice(words.places)
    subject, _people = rng.choice(words.subjects)
    return rng.choice(words.headlines).format(
        place=place,
        subject_title=subject[0].upper() + subject[1:],
        activity=rng.choice(words.activities),
        facility=rng.choice(words.facilities),
    )


def _body(rng, words):
    place = rng.choice(words.places)
    subject, people = rng.choice(words.subjects)
    paragraphs = []
    for _ in range(rng.randint(3, 5)):
        sentences = rng.sample(words.sentences, 3)
        text = " ".join(
            sentence.format(
                subject=subject[0].upper() + subject[1:],
                people=people[0].upper() + people[1:],
                place=place,
                amount=f"{rng.randint(20, 900) * 1000:,}",
                percent=rng.randint(20, 80),
            )
            for sentence in sentences
        )
        paragraphs.append({"type": "paragraph", "value": f"<p>{escape(text)}</p>"})
    standfirst = f"{paragraphs[0]['value'][3:-4].split('. ')[0]}."
    return paragraphs, standfirst


@transaction.atomic
def _add_batch(rng, words, sections, authors, hero_images, tags, run, offset, size, now):
    articles = []
    for section in sections:
        # Re-read the section so its child count and last child are current.
        section.refresh_from_db(fields=["numchild"])
        last_child = section.get_last_child()
        section.next_step = Page._str2int(last_child.path[-Page.steplen :]) if last_child else 0
    for number in range(offset, offset + size):
        section = rng.choice(sections)
        section.next_step += 1
        headline = _headline(rng, words)
        body, standfirst = _body(rng, words)
        published_at = now - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
        article = ArticlePage(
            title=headline,
            draft_title=headline,
            slug=f"{slugify(headline)[:80]}-{run}-{number + 1}",
            standfirst=standfirst[:300],
            article_type=rng.choice(ArticlePage.ArticleType.values),
            hero_image=rng.choice(hero_images) if hero_images else None,
            hero_credit="Illustration: generated" if hero_images else "",
            body=body,
            live=True,
            has_unpublished_changes=False,
            first_published_at=published_at,
            last_published_at=published_at,
            locale_id=section.locale_id,
            # Treebeard's materialised path, computed here instead of one query per page.
            path=Page._get_path(section.path, section.depth + 1, section.next_step),
            depth=section.depth + 1,
            numchild=0,
        )
        article.set_url_path(section)
        articles.append(article)
    _insert_pages(articles)
    for section in sections:
        added = sum(1 for article in articles if article.path.startswith(section.path))
        if added:
            SectionPage.objects.filter(pk=section.pk).update(numchild=F("numchild") + added)
    ArticleAuthor.objects.bulk_create(
        ArticleAuthor(article=article, author=author, sort_order=position)
        for article in articles
        for position, author in enumerate(
            rng.sample(authors, min(len(authors), rng.choice((1, 1, 2))))
        )
    )
    ArticlePageTag.objects.bulk_create(
        ArticlePageTag(content_object=article, tag=tag)
        for article in articles
        for tag in rng.sample(tags, 2)
    )
    for backend in get_search_backends(with_auto_update=True):
        backend.add_bulk(ArticlePage, articles)


def _insert_pages(articles):
    """Insert the articles' rows in bulk: Django's bulk_create cannot write a multi-table
    child model, so the Page rows go through it and the ArticlePage rows through one
    executemany. No save signals fire; the caller indexes the pages itself."""
    page_fields = [field for field in Page._meta.concrete_fields if not field.primary_key]
    pages = Page.objects.bulk_create(
        Page(**{field.attname: getattr(article, field.attname) for field in page_fields})
        for article in articles
    )
    for article, page in zip(articles, pages, strict=True):
        article.page_ptr_id = article.id = page.pk
        article._state.adding = False
    fields = ArticlePage._meta.local_concrete_fields
    quote = connection.ops.quote_name
    # Table and column names come from the model, never from input; values are parameters.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(ArticlePage._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    rows = [
        [field.get_db_prep_save(field.pre_save(article, True), connection) for field in fields]
        for article in articles
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
