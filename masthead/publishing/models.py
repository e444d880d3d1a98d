"""The publication's pages: home, sections, articles, authors, plain pages and corrections."""

import copy
import functools
import time
from collections import defaultdict

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connection, models
from django.db.models import DEFERRED, Count, F, Prefetch, Window
from django.db.models.expressions import Col
from django.db.models.lookups import In
from django.db.models.query import ModelIterable
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, PageChooserPanel
from wagtail.api import APIField
from wagtail.blocks import StreamValue
from wagtail.fields import RichTextField, StreamField
from wagtail.images import get_image_model
from wagtail.images.api.fields import ImageRenditionField
from wagtail.models import Orderable, Page, PageManager, PageViewRestriction
from wagtail.query import PageQuerySet
from wagtail.search import index

from masthead.core.blocks import PARAGRAPH_FEATURES, BodyBlock
from masthead.core.cache import LocalPages, current_generation, sees_the_database
from masthead.core.fragments import fragment_seconds, site_fragment
from masthead.core.page_urls import ServedUrlMixin
from masthead.core.prepared import PreparedQuery, prepare_foreign_key

ARTICLES_PER_PAGE = 20
# The columns of an article that a listing's card uses (``article_card`` in publishing_tags,
# the home page's lead story): its tree place and URL, what it shows, and what Wagtail reads
# of any page it lists (its type, its locale).
CARD_COLUMNS = (
    "path",
    "depth",
    "live",
    "title",
    "slug",
    "url_path",
    "content_type",
    "locale",
    "first_published_at",
    "standfirst",
    "article_type",
    "hero_image",
    "hero_alt_text",
)
# The renditions of hero pictures that listings show: article cards
# (``publishing_tags.CARD_PICTURE``) and the home page's lead story
# (publishing/home_page.html).
CARD_RENDITIONS = ("fill-400x267|format-webp", "fill-800x533|format-webp")
LEAD_RENDITIONS = tuple(
    f"format-{image_format}|fill-{size}"
    for image_format in ("webp", "jpeg")
    for size in ("640x400", "960x600", "1440x900")
)


def paginate(request, queryset, per_page=ARTICLES_PER_PAGE):
    """One page of a listing from ``?page=``; a page that is not a number or out of range is
    a 404."""
    paginator = Paginator(queryset, per_page)
    try:
        return paginator.page(request.GET.get("page", 1))
    except (PageNotAnInteger, EmptyPage) as error:
        raise Http404(_("There is no such page of results.")) from error


def with_hero_renditions(articles, specs=CARD_RENDITIONS):
    """``articles`` (an ``ArticleQuerySet``) for a listing of cards: what a card shows
    besides the article's own columns (its hero picture with that picture's ``specs``
    renditions, its byline's authors) is fetched for the whole listing at once, when the
    first card needs it (``ListingBatch``). ``specs`` must name every rendition the page
    shows of those pictures: one missing from it is looked up (or made) again."""
    return articles.for_cards(specs)


class ListingBatch:
    """The articles one query of a listing read, which fetch their cards' pictures (with
    their renditions) and authors together, in two queries, when the first card asks for
    either (``ArticlePage.card_image``, ``ArticlePage.author_list``). Both are prepared
    queries (``masthead.core.prepared``): compiled once per process, not per listing.

    Cards are rendered fragments (``masthead.core.fragments``): a card kept from an earlier
    render needs neither, so a listing whose cards are all kept asks for nothing beyond
    its articles, where fetching them up front cost more than the rest of the page."""

    def __init__(self, articles, specs):
        self.articles = articles
        self.specs = specs
        self.fetched = False
        self.rest_read = False

    def fetch(self):
        if self.fetched:
            return
        self.fetched = True
        hero_image = ArticlePage._meta.get_field("hero_image")
        articles = [article for article in self.articles if not hero_image.is_cached(article)]
        pictures = pictures_with_renditions(
            {article.hero_image_id for article in articles} - {None}, self.specs
        )
        for article in articles:
            hero_image.set_cached_value(article, pictures.get(article.hero_image_id))
        self.fetch_bylines()

    def read_rest(self):
        """Every column of the articles but their text, for those a listing read for its cards
        (``CARD_COLUMNS``) and that lack them: in one query, when something asks one of them
        for a column a card does not show."""
        if self.rest_read:
            return
        self.rest_read = True
        deferred = {article: article.get_deferred_fields() - {"body"} for article in self.articles}
        lacking = [article for article in self.articles if deferred[article]]
        if not lacking:
            return
        wanted = set().union(*(deferred[article] for article in lacking))
        columns = [f.attname for f in ArticlePage._meta.concrete_fields if f.attname in wanted]
        rows = ArticlePage.objects.filter(pk__in=[article.pk for article in lacking]).values(
            "pk", *columns
        )
        rows = {row.pop("pk"): row for row in rows}
        for article in lacking:
            row = rows.get(article.pk, {})
            for attname in deferred[article]:
                if attname in row:
                    article.__dict__[attname] = row[attname]

    def fetch_bylines(self, links=None):
        """Each article's ``author_list``, its authors from those this process keeps
        (``kept_authors``). Prefetching the links with their authors built an author page for
        every link (a few on each card): about a seventh of a cold home page. That is still
        how the first listing after a change reads them (one query, and the authors are then
        kept); later listings read the links alone, as ids, and any author not yet kept.
        ``links``: the articles' (article id, author id) pairs in byline order, when the
        caller has read them already (``read_article_children``)."""
        articles = [article for article in self.articles if "author_list" not in article.__dict__]
        if not articles:
            return
        ids = [article.pk for article in articles]
        kept = kept_authors()
        authors_of = defaultdict(list)
        if kept or links is not None:
            for article_id, author_id in _byline_links(ids) if links is None else links:
                authors_of[article_id].append(author_id)
            missing = {pk for ids in authors_of.values() for pk in ids} - kept.keys()
            if missing:
                for author in _authors_by_id(missing):
                    kept[author.pk] = author
        else:
            for link in _byline_links_with_authors(ids):
                kept.setdefault(link.author_id, link.author)
                authors_of[link.article_id].append(link.author_id)
        for article in articles:
            article.__dict__["author_list"] = [
                kept[pk] for pk in authors_of[article.pk] if pk in kept
            ]


def _rendition_model():
    return get_image_model().get_rendition_model()


# The queries of a listing's batch, compiled once per process (masthead.core.prepared).
_renditions_of = PreparedQuery(
    lambda ids, specs: _rendition_model().objects.filter(image_id__in=ids, filter_spec__in=specs)
)
_pictures_by_id = PreparedQuery(lambda ids: get_image_model().objects.filter(pk__in=ids))
_byline_links = PreparedQuery(
    lambda ids: (
        ArticleAuthor.objects.filter(article_id__in=ids)
        .order_by("sort_order", "pk")
        .values_list("article_id", "author_id")
    )
)
_byline_links_with_authors = PreparedQuery(
    lambda ids: (
        ArticleAuthor.objects.filter(article_id__in=ids)
        .order_by("sort_order", "pk")
        .select_related("author")
    )
)
_authors_by_id = PreparedQuery(lambda ids: AuthorPage.objects.filter(pk__in=ids))


def pictures_with_renditions(ids, specs):
    """``{id: image}`` for the pictures ``ids`` names, each with its ``specs`` renditions
    prefetched as Wagtail's ``prefetch_renditions()`` does: two queries. (Reading the
    renditions with their pictures joined was one query, but built a picture for every
    rendition: twice as long for a home page's cards.)"""
    if not ids:
        return {}
    rendition_image = _rendition_model()._meta.get_field("image")
    pictures = {picture.pk: picture for picture in _pictures_by_id(ids)}
    renditions = defaultdict(list)
    for rendition in _renditions_of(list(pictures), specs) if pictures else ():
        picture = pictures[rendition.image_id]
        rendition_image.set_cached_value(rendition, picture)
        renditions[picture.pk].append(rendition)
    for pk, picture in pictures.items():
        picture.prefetched_renditions = renditions[pk]
    return pictures


class PendingRows:
    """The rows of articles a listing knows only by id, read together, in one query, when
    anything asks one of them for more than its id (``ArticleQuerySet.pending``).
    ``under``: the (path, depth, id) of the page whose articles the listing's queryset is,
    when that is all it is (``site_articles``): the rows are then read by a prepared query."""

    def __init__(self, queryset, articles, under=None):
        self.queryset = queryset
        self.articles = articles
        self.under = under
        self.read = False

    def read_rows(self):
        if self.read:
            return
        self.read = True
        # Not ``in_bulk``, which matches the ids in the article table (``in_page_table``).
        ids = [article.pk for article in self.articles]
        if self.under is not None:
            found = _card_rows_under(*self.under, ids, using=self.queryset.db)
        else:
            found = self.queryset.order_by().filter(in_page_table(ids))
        rows = {row.pk: row for row in found}
        for article in self.articles:
            row = rows.get(article.pk)
            if row is None:
                continue  # gone from the queryset since: read alone, as Django would
            for field in row._meta.concrete_fields:
                if field.attname in row.__dict__ and field.attname not in article.__dict__:
                    article.__dict__[field.attname] = row.__dict__[field.attname]


def kept_authors():
    """``{id: AuthorPage}``: the authors this process has read for bylines. Authors are few
    and on every listing, so they are kept like the outlet's sections
    (``ArticlePage.section``): until any page changes (a new generation, which renaming or
    unpublishing an author makes), and at most a minute. Readers fill it in;
    the pages are shared by concurrent requests, so read them only."""
    return site_fragment("publishing:authors-by-id", dict, only_editors_change=True)


class ArticleQuerySet(PageQuerySet):
    """Wagtail's page queryset, able to read articles for a listing of cards."""

    _card_renditions = None
    # The (path, depth, id) of the page whose live articles these are, on a queryset that
    # ``site_articles`` made and nothing has changed since: never copied to a clone, which
    # may filter, slice or annotate.
    _under = None

    def for_cards(self, specs=CARD_RENDITIONS):
        """These articles for cards: see ``with_hero_renditions``."""
        # A picture joined by select_related() would not get its renditions; the
        # ListingBatch fetches what was prefetched.
        clone = self.select_related(None).prefetch_related(None)
        # A card reads only the columns it shows (never the article's text, whose JSON
        # would be parsed): a third of an article's columns, each of which cost a listing's
        # every row its conversion and its attribute. Anything asking a card for another
        # column reads the rest of every row of the listing at once (``ListingBatch.read_rest``).
        clone = clone.only(*CARD_COLUMNS)
        clone._card_renditions = tuple(specs)
        return clone

    def _clone(self):
        clone = super()._clone()
        clone._card_renditions = self._card_renditions
        return clone

    def pending(self, ids):
        """The articles ``ids`` names, in that order, for a listing of cards (``for_cards``)
        whose ids are already known (a search's ranking found them with this queryset's
        filters): each knows its id alone and reads its row, with every other card's in
        one query, only when asked for more (``PendingRows``). A card is a rendered
        fragment keyed on the article's id (``masthead.core.fragments``), so a page of
        results whose cards are all kept reads no article at all. None for a queryset not
        read for cards."""
        if self._card_renditions is None or self._fields is not None:
            return None
        model = self.model
        pk_name = model._meta.pk.attname
        articles = [model.from_db(self.db, [pk_name], [pk]) for pk in ids]
        rows = PendingRows(self._chain(), articles, self._under)
        batch = ListingBatch(articles, self._card_renditions)
        for article in articles:
            article.__dict__["pending_rows"] = rows
            article.listing_batch = batch
        return articles

    def ids_subquery(self):
        """The SQL and parameters of a subquery of these articles' ids (a search's filter,
        ``masthead.core.search_ranked``): prepared for a queryset of ``site_articles``,
        compiled by Django otherwise."""
        if self._under is not None:
            return _article_ids_under.sql_with_params(*self._under, using=self.db)
        return self.order_by().values("pk").query.sql_with_params()

    def _fetch_all(self):
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._card_renditions is not None and self._iterable_class is ModelIterable:
            batch = ListingBatch(self._result_cache, self._card_renditions)
            for article in self._result_cache:
                article.listing_batch = batch


def kept_sections():
    """``{path: SectionPage}``: the outlet's sections, looked up once per generation per
    process (at most a minute) and anew after every change (``masthead.core.fragments``). Shared by
    concurrent requests: read them only."""
    return site_fragment(
        "publishing:sections-by-path",
        lambda: {section.path: section for section in SectionPage.objects.all()},
        only_editors_change=True,
    )


def any_view_restriction():
    """Whether any page of the outlet is private (has a view restriction): looked up once per
    generation per process (at most a minute), and anew after any change to page privacy (a
    new generation, see ``masthead.core.cache_invalidation``)."""
    return site_fragment(
        "publishing:any-view-restriction",
        PageViewRestriction.objects.exists,
        only_editors_change=True,
    )


def public(pages):
    """``pages.public()``, without its query for the outlet's view restrictions (one per
    listing) while the outlet has none."""
    return pages.public() if any_view_restriction() else pages


def live_articles():
    """Every published, public article, newest first, with what listings show."""
    return public(_live_articles())


def site_articles(root, specs=CARD_RENDITIONS):
    """``live_articles()`` below ``root`` (a site's root page), read for cards
    (``with_hero_renditions``). While no page is private, the queryset is built once per
    process (``_site_articles_kept``) and a search's ids and a page of its results' rows
    are read through prepared queries (``ArticleQuerySet.ids_subquery``, ``PendingRows``),
    which Django compiled on every search (about a tenth of a cold search page)."""
    if any_view_restriction():
        return with_hero_renditions(live_articles().descendant_of(root), specs)
    under = (root.path, root.depth, root.pk)
    key = (*under, tuple(specs))
    template = _site_articles_kept.get(key)
    if template is None:
        template = with_hero_renditions(_live_articles().descendant_of(root), specs)
        if len(_site_articles_kept) < MAX_SITE_ARTICLES_KEPT:
            _site_articles_kept[key] = template
    # A copy (as a class-based view copies its ``queryset``): the kept one is never run.
    articles = template._chain()
    articles._under = under
    return articles


# ``site_articles``' querysets, built once per process for each root and renditions: a
# queryset is a chain of a dozen copies to build (a twentieth of a cold search page), and
# only the root's place in the tree changes it. Never evaluated, only copied.
_site_articles_kept = {}
MAX_SITE_ARTICLES_KEPT = 64


def _live_articles():
    """``live_articles()`` before the privacy check: what prepared queries build on, used
    while no page is private (``any_view_restriction``)."""
    return (
        ArticlePage.objects.live()
        .select_related("hero_image")
        # The bylines' links and their authors in one query for the whole listing.
        .prefetch_related(Prefetch("article_authors", queryset=_links_with_authors()))
        .order_by("-first_published_at", "-pk")
    )


def _links_with_authors():
    return ArticleAuthor.objects.select_related("author")


def route_to_child(parent, request, path_components, child_model=None):
    """Wagtail's ``Page.route`` in one query per level instead of two.

    Wagtail finds the child by its slug as a plain ``Page`` and then fetches it again as
    its own type. Here the type is known first, so the child comes in its own type at once:
    ``child_model`` when every child has that type (a section holds only articles), or else
    from the parent's children's types (a handful of rows, looked up once per generation per
    process, at most a minute, and anew after every change, see
    ``masthead.core.fragments``). Whatever this does not find (a page of another type, one
    added a moment ago) goes the usual way, so the answer is always Wagtail's own.
    """
    if not path_components:
        return Page.route(parent, request, path_components)
    slug = path_components[0]
    if child_model is None:
        child_model = child_type(parent, slug)
    child = None
    if child_model is not None:
        try:
            child = child_model.objects.child_of(parent).get(slug=slug)
        except (child_model.DoesNotExist, child_model.MultipleObjectsReturned):
            child = None
    if child is None or child.specific_class is not type(child):
        return Page.route(parent, request, path_components)
    # As Wagtail does: the child knows its parent without asking the database.
    child._cached_parent_obj = parent
    return child.route(request, path_components[1:])


def child_type(parent, slug):
    """The model of ``parent``'s child page at ``slug``, or None (no such child a moment
    ago). The parent's children's types are looked up once per generation per process (at
    most a minute), and anew after every change (``masthead.core.fragments``)."""
    types = site_fragment(
        ("publishing:child-types", parent.pk),
        lambda: dict(Page.objects.child_of(parent).values_list("slug", "content_type_id")),
        only_editors_change=True,
    )
    content_type_id = types.get(slug)
    if content_type_id is None:
        return None
    return ContentType.objects.get_for_id(content_type_id).model_class()


def route_to_article(home, request, path_components):
    """Route ``section/article/`` from the home page in one query, or None to route it
    level by level.

    A section routes to its articles by slug alone (``SectionPage.route``), so the article
    at ``section/slug/`` is the one whose ``url_path``, which Wagtail keeps in step with
    every slug and move, is the home page's followed by both."""
    if len(path_components) != 2 or child_type(home, path_components[0]) is not SectionPage:
        return None
    url_path = f"{home.url_path}{path_components[0]}/{path_components[1]}/"
    article = _remembered_article(url_path) if not sees_the_database(request) else None
    if article is None:
        # The slug narrows it down by its index; the path picks the section's one.
        found = _article_at(path_components[1], url_path, home.depth + 2)
        if len(found) != 1:
            return None
        article = found[0]
        if article.specific_class is not ArticlePage or not article.path.startswith(home.path):
            return None
        article = _remember_article(url_path, article)
    # Shown on its own page: its tags, bylines, sources and corrections in one query.
    article.read_children_together = True
    return article.route(request, [])


# With its hero picture: one round trip fewer, which PostgreSQL feels.
_article_at = PreparedQuery(
    lambda slug, url_path, depth: ArticlePage.objects.filter(
        slug=slug, url_path=url_path, depth=depth
    ).select_related("hero_image")[:2]
)


# Articles routed to, by URL path, for this page-cache generation (see below).
_routed_articles = LocalPages(settings.FRAGMENT_CACHE_ENTRIES)


def _remember_article(url_path, article):
    """Keep ``article`` (as read from the database, never served) for the next requests of
    its path, and return a copy of it for this one.

    While rendered fragments are kept (``masthead.core.fragments``), an article page's text
    comes from one and its route was most of what was left of it: a query for the article's
    row, whose building cost more than the query. The row is the one the generation's
    fragments were rendered from, so it is kept as they are, until the generation changes
    (every publication, unpublication, edit or move, and every change of privacy; each
    process sees a new generation within ``GENERATION_CHECK_SECONDS``, as the page cache
    does) and at most ``FRAGMENT_CACHE_SECONDS``. With rendered fragments off it is read
    afresh, and so it is for signed-in users."""
    seconds = fragment_seconds()
    if seconds > 0:
        _routed_articles.put(current_generation(), url_path, (time.time() + seconds, article))
    return _request_copy(article)


def _remembered_article(url_path):
    """A copy, for this request, of the article kept for ``url_path``; None if none is."""
    if fragment_seconds() <= 0:
        return None
    entry = _routed_articles.get(current_generation(), url_path)
    return _request_copy(entry[1]) if entry is not None else None


def _request_copy(article):
    """A copy of a kept article for one request: what the request caches on it (its tags,
    its section, the blocks of its text) stays with that request."""
    clone = copy.copy(article)  # with its own cache of related rows
    clone.body = StreamValue(article.body.stream_block, list(article.body.raw_data), is_lazy=True)
    # And its own copy of the picture read with it, on which a render keeps renditions.
    picture = clone._state.fields_cache.get("hero_image")
    if picture is not None:
        clone._state.fields_cache["hero_image"] = copy.copy(picture)
    return clone


class ViewRestrictionsMixin:
    """Wagtail checks every page it serves for view restrictions (privacy) on the page and
    its ancestors, with two queries. Most outlets have no private page at all: while none
    exists, the answer is known without asking. Whether any exists is looked up once per
    generation per process (at most a minute) and anew after any change to page privacy (a
    new generation, see ``masthead.core.cache_invalidation``); once one exists, every page is
    checked as Wagtail does."""

    def get_view_restrictions(self):
        if not any_view_restriction():
            # Known to be empty, so iterating it (Wagtail's check) compiles no SQL either.
            restrictions = PageViewRestriction.objects.none()
            restrictions._result_cache = []
            return restrictions
        return super().get_view_restrictions()


class HomePage(ServedUrlMixin, ViewRestrictionsMixin, Page):
    """The front page: the lead story, the latest articles, a rail per section, and the
    newsletter and donate calls to action."""

    lead_story = models.ForeignKey(
        "publishing.ArticlePage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Leave empty to lead with the newest article."),
    )
    newsletter_heading = models.CharField(
        max_length=120, default="Sign up to our newsletter", blank=True
    )
    newsletter_text = models.CharField(
        max_length=300,
        default="The day's stories in your inbox. You can unsubscribe at any time.",
        blank=True,
    )
    donate_heading = models.CharField(max_length=120, default="Support our journalism", blank=True)
    donate_text = models.CharField(
        max_length=300,
        default="We are funded by our readers. Please consider a donation to keep us going.",
        blank=True,
    )

    content_panels = [
        *Page.content_panels,
        PageChooserPanel("lead_story", "publishing.ArticlePage"),
        MultiFieldPanel(
            [FieldPanel("newsletter_heading"), FieldPanel("newsletter_text")],
            heading=_("Newsletter call to action"),
        ),
        MultiFieldPanel(
            [FieldPanel("donate_heading"), FieldPanel("donate_text")],
            heading=_("Donate call to action"),
        ),
    ]
    api_fields = [APIField("lead_story")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "publishing.SectionPage",
        "publishing.AuthorIndexPage",
        "publishing.StandardPage",
        "publishing.CorrectionsPage",
    ]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("home page")

    def route(self, request, path_components):
        return route_to_article(self, request, path_components) or route_to_child(
            self, request, path_components
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Looked up only when the template shows them: when the home page's listings come
        # from a rendered fragment (masthead.core.fragments), not at all.
        listings = SimpleLazyObject(self.listings)
        context["lead_story"] = SimpleLazyObject(lambda: listings["lead_story"])
        context["latest_articles"] = SimpleLazyObject(lambda: listings["latest_articles"])
        context["section_rails"] = SimpleLazyObject(lambda: listings["section_rails"])
        return context

    def listings(self):
        """The lead story, the latest articles and the section rails.

        Two queries for all of them: the ids and paths of the newest articles, from which
        the latest and each section's newest few are picked, then those articles' rows.
        (Ranking every article within its section with a window function cost more than
        the rest of the listings.) A section with too few among the newest (one that
        publishes rarely) has its own few found by one more query."""
        specs = (*CARD_RENDITIONS, *LEAD_RENDITIONS)
        # Built once if at all (the prepared queries serve while no page is private), so the
        # privacy check behind public() runs once for every listing.
        articles_here = functools.cache(
            lambda: with_hero_renditions(live_articles().descendant_of(self), specs)
        )
        # Whether a page is private, asked once for the whole listing.
        private = any_view_restriction()
        sections = self._sections(private)
        latest_ids, rail_ids = self._newest_ids(articles_here, sections, private)
        chosen = {*latest_ids, *(pk for ids in rail_ids.values() for pk in ids)}
        if not chosen:
            rows = {}
        elif private:
            rows = articles_here().in_bulk(chosen)
        else:
            found = _articles_under(self.path, self.depth, self.pk, sorted(chosen))
            rows = {article.pk: article for article in found}
        articles = [rows[pk] for pk in latest_ids if pk in rows]
        rails = [
            (section, [rows[pk] for pk in rail_ids[section.path] if pk in rows])
            for section in sections
        ]
        # The editors' choice, as read for the listings when it is among them (it is then
        # live), or else read alone.
        lead = rows.get(self.lead_story_id)
        if lead is None and self.lead_story_id is not None:
            found = _article_by_id(self.lead_story_id)
            lead = found[0] if found and found[0].live else None
        if lead is None and articles:
            lead = articles[0]
        # Every card of the page, the lead story's too, fetches its picture and byline in
        # one batch (``ListingBatch``).
        listed = {article.pk: article for article in rows.values()}
        if lead is not None:
            listed.setdefault(lead.pk, lead)
        batch = ListingBatch(list(listed.values()), (*CARD_RENDITIONS, *LEAD_RENDITIONS))
        for article in batch.articles:
            article.listing_batch = batch
        return {
            "lead_story": lead,
            "latest_articles": [article for article in articles if article != lead][:12],
            "section_rails": rails,
        }

    # How many of the newest articles the latest and the rails are picked from.
    NEWEST_READ = 100

    def _sections(self, private):
        """The home page's live, public sections, in the editors' order: those this process
        keeps (``kept_sections``) while no page is ``private``."""
        if private:
            return list(public(SectionPage.objects.live().child_of(self)))
        return [
            section
            for path, section in sorted(kept_sections().items())
            if section.live and section.depth == self.depth + 1 and path.startswith(self.path)
        ]

    def _newest_ids(self, articles_here, sections, private, latest=13, per_section=4):
        """The ids of the ``latest`` newest articles, and of each section's ``per_section``
        newest (``{section path: [id, ...]}``), newest first. ``articles_here()`` is the
        queryset of the articles listed, which a prepared query stands for while no page is
        ``private``."""
        read = max(self.NEWEST_READ, latest)
        if private:
            newest = list(articles_here().values_list("pk", "path", "depth")[:read])
        else:
            article_type = ContentType.objects.get_for_model(ArticlePage).pk
            newest = _newest_under(read)(self.path, self.depth, article_type)
        prefix = (self.depth + 1) * Page.steplen
        rail_ids = {section.path: [] for section in sections}
        for pk, path, depth in newest:
            ids = rail_ids.get(path[:prefix]) if depth == self.depth + 2 else None
            if ids is not None and len(ids) < per_section:
                ids.append(pk)
        if len(newest) == read:  # else every article was read
            for section in sections:
                if len(rail_ids[section.path]) < per_section:
                    rail_ids[section.path] = list(
                        articles_here().child_of(section).values_list("pk", flat=True)[:per_section]
                    )
        return [pk for pk, _path, _depth in newest[:latest]], rail_ids


def _under(path, depth, pk):
    """Live articles below the page at ``path`` (``descendant_of``, with Wagtail's own
    conditions), for prepared queries."""
    articles = _live_articles()
    return articles.filter(articles.descendant_of_q(Page(path=path, depth=depth, pk=pk)))


def in_page_table(ids):
    """A filter of articles by ``ids`` matched in Wagtail's page table, where a listing's
    other conditions are: Django matches ``pk__in`` or ``id__in`` in the article table, and
    PostgreSQL then read every page to join the two (a home page's 21 rows: 0.5 ms of
    execution instead of 0.09; a search's 20 results: 1 ms instead of 0.1)."""
    return In(Col(Page._meta.db_table, Page._meta.pk), ids)


_articles_under = PreparedQuery(
    lambda path, depth, pk, ids: with_hero_renditions(
        _under(path, depth, pk).filter(in_page_table(ids)),
        (*CARD_RENDITIONS, *LEAD_RENDITIONS),
    )
)
_article_by_id = PreparedQuery(lambda pk: ArticlePage.objects.filter(pk=pk))
# ``site_articles``' ids, and the rows of those of them that ``ids`` names, for cards.
_article_ids_under = PreparedQuery(
    lambda path, depth, pk: _under(path, depth, pk).order_by().values("pk")
)
_card_rows_under = PreparedQuery(
    lambda path, depth, pk, ids: (
        with_hero_renditions(_under(path, depth, pk)).order_by().filter(in_page_table(ids))
    )
)


# Beyond this, a tag page's number is past the end of any listing.
MAX_WINDOWED_OFFSET = 2**31


class ArticlesWithTag:
    """The live articles below ``root`` that carry a tag (``tagged``: a query of their ids),
    newest first, for a ``Paginator`` that will be asked for page ``page_number``, while no
    page is private (``any_view_restriction``).

    The count and that page's ids come from one query on Wagtail's page table (the count
    as a window over every match, read with the page's rows), and the page's articles from
    a prepared query by id; the queryset of articles took a count and a page, each joining
    every tagged article's row in the article table to its page (on PostgreSQL 1.1 ms of
    execution and 0.6 ms of planning each, for a tag on 237 articles). Every tagged object
    is an article (the tag's link is a key to the article table), so the page table alone
    answers which are listed. A page past the end is counted by a query of its own."""

    def __init__(self, root, tagged, page_number, per_page=ARTICLES_PER_PAGE):
        self.root = root
        self.tagged = tagged
        self.per_page = per_page
        try:
            number = int(page_number)
        except (TypeError, ValueError):
            number = 0  # the paginator refuses it before asking for anything
        offset = (number - 1) * per_page
        # A page past any listing (a number typed in the address bar) is counted alone and
        # refused: no offset the databases would refuse (beyond 64 bits) reaches the SQL.
        self.offset = offset if 0 <= offset < MAX_WINDOWED_OFFSET else None
        self._count = None
        self._ids = None

    def _pages(self):
        # Below the root, not the root itself: deeper than it.
        root = self.root
        return Page.objects.filter(
            live=True, path__startswith=root.path, depth__gt=root.depth, pk__in=self.tagged
        ).order_by("-first_published_at", "-pk")

    def count(self):
        if self._count is None:
            rows = []
            if self.offset is not None:
                counted = self._pages().annotate(total=Window(Count("pk")))
                rows = list(
                    counted.values_list("pk", "total")[self.offset : self.offset + self.per_page]
                )
            if rows:
                self._ids = [pk for pk, _total in rows]
                self._count = rows[0][1]
            else:
                self._count = self._pages().count()
        return self._count

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("ArticlesWithTag is read a page (a slice) at a time.")
        start = index.start or 0
        if self._ids is not None and start == self.offset:
            ids = self._ids[: (index.stop - start) if index.stop is not None else None]
        else:
            ids = list(self._pages().values_list("pk", flat=True)[index])
        if not ids:
            return []
        root = self.root
        found = {
            article.pk: article
            for article in _articles_under(root.path, root.depth, root.pk, sorted(ids))
        }
        return [found[pk] for pk in ids if pk in found]


_newest_queries = {}


def _newest_under(read):
    """The prepared query of the ids, paths and depths of the ``read`` newest articles
    below a page (one per number read: it is part of the SQL), given the article type's
    content type. Read from Wagtail's page table alone: joined to the article table, each
    of the hundred rows was looked up there too. On SQLite the type is compared as an
    expression, which no index answers: without statistics, SQLite otherwise read every
    article through the content type's index and sorted them, rather than the newest through
    the date's. PostgreSQL's statistics know most pages are articles and read the newest
    through the date's index when the column is compared; it has none for the expression,
    and guessed a few rows, read every page and sorted them (0.54 ms against 0.23)."""
    query = _newest_queries.get(read)
    if query is None:
        query = _newest_queries[read] = PreparedQuery(
            lambda path, depth, article_type: (
                Page.objects.alias(
                    kind=F("content_type_id")
                    if connection.vendor == "postgresql"
                    else F("content_type_id") + 0
                )
                .filter(live=True, kind=article_type, path__startswith=path, depth__gt=depth)
                .order_by("-first_published_at", "-pk")
                .values_list("pk", "path", "depth")[:read]
            )
        )
    return query


class SectionPage(ServedUrlMixin, ViewRestrictionsMixin, Page):
    """A section of the outlet (News, UK, World, Opinion, Culture) listing its articles."""

    introduction = models.CharField(max_length=300, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]
    search_fields = [*Page.search_fields, index.SearchField("introduction")]
    api_fields = [APIField("introduction")]
    parent_page_types = ["publishing.HomePage"]
    subpage_types = ["publishing.ArticlePage"]

    class Meta:
        verbose_name = _("section")

    def route(self, request, path_components):
        return route_to_child(self, request, path_components, ArticlePage)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["articles"] = paginate(
            request, with_hero_renditions(live_articles().child_of(self))
        )
        # Rendered fragments of a listing are kept per page number.
        context["page_number"] = context["articles"].number
        return context


class AuthorIndexPage(ServedUrlMixin, ViewRestrictionsMixin, Page):
    """The list of the outlet's writers, staff and volunteer contributors alike."""

    introduction = models.CharField(max_length=300, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]
    parent_page_types = ["publishing.HomePage"]
    subpage_types = ["publishing.AuthorPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("author index")

    def route(self, request, path_components):
        return route_to_child(self, request, path_components, AuthorPage)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["authors"] = (
            AuthorPage.objects.live().public().child_of(self).select_related("photo")
        ).order_by("title")
        return context


class AuthorPage(ServedUrlMixin, ViewRestrictionsMixin, Page):
    """A writer's profile (name, role, bio, photo, own social links) and their articles.

    The page title is the author's name as it appears in bylines.
    """

    role = models.CharField(
        max_length=120, blank=True, help_text=_("For example Reporter or Volunteer contributor.")
    )
    bio = RichTextField(features=PARAGRAPH_FEATURES, blank=True)
    photo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user = models.ForeignKey(
        "auth.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="author_pages",
        help_text=_("The admin account this author writes with, if any."),
    )
    website = models.URLField(blank=True)
    x = models.URLField("X", blank=True)
    bluesky = models.URLField("Bluesky", blank=True)
    mastodon = models.URLField("Mastodon", blank=True)
    instagram = models.URLField("Instagram", blank=True)
    public_email = models.EmailField(blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("role"),
        FieldPanel("bio"),
        FieldPanel("photo"),
        FieldPanel("user"),
        MultiFieldPanel(
            [
                FieldPanel("website"),
                FieldPanel("x"),
                FieldPanel("bluesky"),
                FieldPanel("mastodon"),
                FieldPanel("instagram"),
                FieldPanel("public_email"),
            ],
            heading=_("Links"),
        ),
    ]
    search_fields = [*Page.search_fields, index.SearchField("role"), index.SearchField("bio")]
    api_fields = [
        APIField("role"),
        APIField("bio"),
        APIField("photo", serializer=ImageRenditionField("fill-400x400")),
        APIField("website"),
        APIField("x"),
        APIField("bluesky"),
        APIField("mastodon"),
        APIField("instagram"),
    ]
    parent_page_types = ["publishing.AuthorIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("author")

    @property
    def name(self):
        return self.title

    def social_links(self):
        """The author's own links as (key, label, url), in display order."""
        links = [
            ("website", _("Website"), self.website),
            ("x", "X", self.x),
            ("bluesky", "Bluesky", self.bluesky),
            ("mastodon", "Mastodon", self.mastodon),
            ("instagram", "Instagram", self.instagram),
        ]
        if self.public_email:
            links.append(("email", _("Email"), f"mailto:{self.public_email}"))
        return [(key, label, url) for key, label, url in links if url]

    def articles(self):
        return live_articles().filter(article_authors__author=self).distinct()

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["articles"] = paginate(request, with_hero_renditions(self.articles()))
        context["page_number"] = context["articles"].number
        return context


class ArticlePageTag(TaggedItemBase):
    """The link between an article and one of its tags."""

    content_object = ParentalKey(
        "publishing.ArticlePage", on_delete=models.CASCADE, related_name="tagged_items"
    )


class ArticlePage(ServedUrlMixin, ViewRestrictionsMixin, Page):
    """A news story, opinion piece, analysis, explainer or interview.

    Its section is the SectionPage it lives under; its published date is when it first
    went live; updates and corrections are dated entries shown at the end.
    """

    class ArticleType(models.TextChoices):
        NEWS = "news", _("News")
        OPINION = "opinion", _("Opinion")
        ANALYSIS = "analysis", _("Analysis")
        EXPLAINER = "explainer", _("Explainer")
        INTERVIEW = "interview", _("Interview")

    standfirst = models.CharField(
        max_length=300, help_text=_("One or two sentences under the headline.")
    )
    article_type = models.CharField(
        max_length=20, choices=ArticleType.choices, default=ArticleType.NEWS
    )
    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hero_alt_text = models.CharField(
        max_length=250, blank=True, help_text=_("Defaults to the image's title.")
    )
    hero_caption = models.CharField(max_length=300, blank=True)
    hero_credit = models.CharField(max_length=120, blank=True)
    body = StreamField(BodyBlock)
    tags = ClusterTaggableManager(through=ArticlePageTag, blank=True)

    objects = PageManager.from_queryset(ArticleQuerySet)()

    content_panels = [
        FieldPanel("title", heading=_("Headline")),
        FieldPanel("standfirst"),
        FieldPanel("article_type"),
        InlinePanel("article_authors", label=_("Authors"), min_num=1),
        MultiFieldPanel(
            [
                FieldPanel("hero_image"),
                FieldPanel("hero_alt_text"),
                FieldPanel("hero_caption"),
                FieldPanel("hero_credit"),
            ],
            heading=_("Hero image"),
        ),
        FieldPanel("body"),
        FieldPanel("tags"),
        InlinePanel("sources", label=_("Sources")),
        InlinePanel("corrections", label=_("Corrections and updates")),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("standfirst"),
        index.SearchField("body"),
        index.FilterField("article_type"),
        index.RelatedFields("tags", [index.SearchField("name")]),
    ]
    api_fields = [
        APIField("standfirst"),
        APIField("article_type"),
        APIField("first_published_at"),
        APIField("last_published_at"),
        APIField("authors"),
        APIField("hero_image", serializer=ImageRenditionField("width-1200")),
        APIField("hero_caption"),
        APIField("hero_credit"),
        APIField("body"),
        APIField("tags"),
        APIField("sources"),
        APIField("corrections"),
    ]
    parent_page_types = ["publishing.SectionPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("article")

    @classmethod
    def from_db(cls, db, field_names, values):
        """A row read from the database, as Django's ``Model.from_db`` builds it, through
        Django's constructor alone: the constructors of Wagtail's ``Page`` and of
        modelcluster's ``ClusterableModel`` above it add nothing to a row (they give a page
        without an id its defaults, and take child relations passed by name, which a row
        never has), but modelcluster's looked through every relation of the model to find
        that out, for every article of every listing."""
        if len(values) != len(cls._meta.concrete_fields):
            values_iter = iter(values)
            values = [
                next(values_iter) if field.attname in field_names else DEFERRED
                for field in cls._meta.concrete_fields
            ]
        new = cls.__new__(cls)
        models.Model.__init__(new, *values)
        new._state.adding = False
        new._state.db = db
        return new

    @cached_property
    def section(self):
        """The section the article is in (its parent page). The outlet's sections are looked
        up once per generation per process (at most a minute, and anew after every change, see
        ``masthead.core.fragments``), so an article page asks nothing for its own."""
        sections = kept_sections()
        section = sections.get(self.path[: -self.steplen]) if self.depth > 1 else None
        if section is not None:
            return section
        parent = self.get_parent()
        return parent.specific if parent else None

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        # A deferred column of an article a listing read for its cards: the whole listing's
        # rows at once (those it knew by id alone, ``PendingRows``; then every column a card
        # does not read, ``ListingBatch.read_rest``), then the text the usual way.
        if fields is not None and from_queryset is None:
            rows = self.__dict__.get("pending_rows")
            if rows is not None:
                rows.read_rows()
                fields = [field for field in fields if field in self.get_deferred_fields()]
            batch = self.__dict__.get("listing_batch")
            if batch is not None and any(field != "body" for field in fields):
                batch.read_rest()
                fields = [field for field in fields if field in self.get_deferred_fields()]
            if not fields:
                return
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)

    @property
    def card_image(self):
        """The hero picture, as a listing's card shows it: with the other cards' pictures
        and their renditions, when the article came in a listing (``ListingBatch``)."""
        self._fetch_listing()
        return self.hero_image

    def _fetch_listing(self):
        batch = self.__dict__.get("listing_batch")
        if batch is not None:
            batch.fetch()

    @cached_property
    def author_list(self):
        self._fetch_listing()
        if "author_list" in self.__dict__:  # the listing's batch has just read it
            return self.__dict__["author_list"]
        if self._read_children():
            return self.__dict__["author_list"]
        if not self._as_stored("article_authors"):
            # A preview's bylines, or links already prefetched.
            links = self.article_authors.all()
            if "article_authors" not in getattr(self, "_prefetched_objects_cache", {}):
                links = links.select_related("author")  # with its authors, in one query
            return [link.author for link in links if link.author]
        # As a listing's cards read theirs: the links, and the authors this process keeps.
        ListingBatch([self], ()).fetch_bylines()
        return self.__dict__["author_list"]

    def _as_stored(self, relation):
        """Whether ``relation`` (a child relation: bylines, sources, corrections) is read
        from the database: not for a preview, whose edited children are in memory, nor
        when it was prefetched."""
        return (
            self.pk is not None
            and relation not in getattr(self, "_cluster_related_objects", {})
            and relation not in getattr(self, "_prefetched_objects_cache", {})
        )

    @property
    def authors(self):
        return [{"id": author.pk, "name": author.title} for author in self.author_list]

    @property
    def hero_alt(self):
        return self.hero_alt_text or (self.hero_image.title if self.hero_image else "")

    @cached_property
    def dated_entries(self):
        if self._read_children():
            return self.__dict__["dated_entries"]
        if self._as_stored("corrections"):
            return _corrections_of(self.pk)
        return list(self.corrections.order_by("date"))

    @cached_property
    def source_list(self):
        if self._read_children():
            return self.__dict__["source_list"]
        if self._as_stored("sources"):
            return _sources_of(self.pk)
        return list(self.sources.all())

    def _read_children(self):
        """Whether the article's tags, bylines, sources and corrections are read (now, in one
        query: ``read_article_children``, or already). Only for an article shown on its
        own page (``route_to_article`` marks it): a listing's articles read their bylines
        with the listing's, and a preview's children are in memory."""
        if not self.__dict__.get("read_children_together") or self.pk is None:
            return False
        if "source_list" not in self.__dict__ or "dated_entries" not in self.__dict__:
            read_article_children(self)
        return True

    @property
    def updated_at(self):
        """When readers were last told of a change: the newest correction or update."""
        return self.dated_entries[-1].date if self.dated_entries else None

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Looked up only when the template shows them: when the article comes from a
        # rendered fragment (masthead.core.fragments), not at all.
        context["related_articles"] = SimpleLazyObject(self.related_articles)
        return context

    def prefetch_tags(self, request):
        """Fetch the tags once for the page's metadata and its end. A preview keeps the
        editor's unsaved tags instead."""
        if not getattr(request, "is_preview", False) and self.pk is not None:
            cache = self.__dict__.setdefault("_prefetched_objects_cache", {})
            if "tags" not in cache and not self._read_children():
                cache["tags"] = _tags_of.queryset(self.pk)

    def related_articles(self):
        """Up to three other articles of the same section, newest first."""
        if not self.section:
            return []
        if any_view_restriction():
            siblings = live_articles().sibling_of(self, inclusive=False)
            return list(with_hero_renditions(siblings)[:3])
        siblings = Page._get_children_path_interval(self.path[: -self.steplen])
        return _related_articles(*siblings, self.depth, self.pk)


# The article page's own queries, compiled once per process (masthead.core.prepared).
prepare_foreign_key(ArticlePage, "hero_image")
_tags_of = PreparedQuery(
    lambda pk: (
        ArticlePage.tags.through.tag_model()
        .objects.filter(publishing_articlepagetag_items__content_object_id=pk)
        .order_by("publishing_articlepagetag_items__pk")
    )
)
_corrections_of = PreparedQuery(
    lambda pk: ArticleCorrection.objects.filter(article_id=pk).order_by("date")
)
_sources_of = PreparedQuery(lambda pk: ArticleSource.objects.filter(article_id=pk))


def read_article_children(article):
    """Read an article's tags, byline links, corrections and sources in one query (one
    ``UNION ALL`` of the four tables) and keep them on it as ``tags.all()``, ``author_list``,
    ``dated_entries`` and ``source_list`` give them, in their orders: tags as linked, bylines
    by their order, corrections by date, sources by their order.

    An article's page asked for each in a query of its own; on PostgreSQL each round trip
    cost about a third of a millisecond of the two processes' time, a tenth of what
    the page's rendering afresh cost beyond its text."""
    rows = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(_children_sql(connection.vendor), [article.pk] * 4)
        for kind, *values in cursor.fetchall():
            rows[kind].append(values)
    db = connection.alias
    tag_model = ArticlePage.tags.through.tag_model()
    tags = _tags_of.with_rows(
        [
            tag_model.from_db(db, ["id", "name", "slug"], [pk, name, slug])
            for pk, _link, _none, name, slug, *_rest in sorted(rows["t"], key=lambda row: row[1])
        ],
        article.pk,
        using=db,
    )
    article.__dict__.setdefault("_prefetched_objects_cache", {})["tags"] = tags
    links = sorted(rows["a"], key=lambda row: (row[2] is None, row[2] or 0, row[0]))
    ListingBatch([article], ()).fetch_bylines([(article.pk, row[1]) for row in links])
    article.__dict__["dated_entries"] = sorted(
        (
            _child(
                ArticleCorrection,
                db,
                id=pk,
                sort_order=order,
                article_id=article.pk,
                kind=kind,
                date=_moment(moment),
                text=text,
            )
            for pk, order, _none, kind, text, _url, moment, _day in rows["c"]
        ),
        key=lambda correction: (correction.date, correction.pk),
    )
    article.__dict__["source_list"] = [
        _child(
            ArticleSource,
            db,
            id=pk,
            sort_order=order,
            article_id=article.pk,
            title=title,
            publisher=publisher,
            url=url,
            date=_day_of(day),
        )
        for pk, order, _none, title, publisher, url, _moment, day in sorted(
            rows["s"], key=lambda row: (row[1] is None, row[1] or 0, row[0])
        )
    ]


def _child(model, db, **values):
    """An instance of ``model`` as read from the database, from every column's value."""
    fields = model._meta.concrete_fields
    return model.from_db(db, [f.attname for f in fields], [values[f.attname] for f in fields])


def _moment(value):
    """A datetime column's value as Django's backend gives it: SQLite answers a ``UNION``'s
    column as text, in the connection's time zone."""
    if isinstance(value, str):
        value = parse_datetime(value)
        if settings.USE_TZ and timezone.is_naive(value):
            value = timezone.make_aware(value, connection.timezone)
    return value


def _day_of(value):
    return parse_date(value) if isinstance(value, str) else value


@functools.cache
def _children_sql(vendor):
    """The query of ``read_article_children``: each row its table's letter, its id, an
    order or the author's id, the author link's order, three texts, a moment and a day.
    The first part names the types of the columns it leaves empty, which PostgreSQL's
    ``UNION`` would otherwise take as text."""
    number, text, moment, day = (
        ("bigint", "text", "timestamptz", "date")
        if vendor == "postgresql"
        else ("integer", "text", "text", "text")
    )
    quote = connection.ops.quote_name

    def columns(model, *names):
        table = quote(model._meta.db_table)
        return table, ", ".join(f"{table}.{quote(name)}" if name else "NULL" for name in names)

    tag_table, tag_columns = columns(ArticlePage.tags.through.tag_model(), "id")
    link_table, link_columns = columns(ArticlePageTag, "id")
    parts = [
        f"SELECT 't', {tag_columns}, {link_columns}, CAST(NULL AS {number}), "  # noqa: S608 - quoted names and types; values are parameters
        f"{tag_table}.{quote('name')}, {tag_table}.{quote('slug')}, CAST(NULL AS {text}), "
        f"CAST(NULL AS {moment}), CAST(NULL AS {day}) "
        f"FROM {tag_table} INNER JOIN {link_table} "
        f"ON {tag_table}.{quote('id')} = {link_table}.{quote('tag_id')} "
        f"WHERE {link_table}.{quote('content_object_id')} = %s"
    ]
    for letter, model, names in (
        ("a", ArticleAuthor, ("id", "author_id", "sort_order", "", "", "", "", "")),
        ("c", ArticleCorrection, ("id", "sort_order", "", "kind", "text", "", "date", "")),
        ("s", ArticleSource, ("id", "sort_order", "", "title", "publisher", "url", "", "date")),
    ):
        table, selected = columns(model, *names)
        parts.append(
            f"SELECT '{letter}', {selected} FROM {table} "  # noqa: S608 - quoted names; values are parameters
            f"WHERE {table}.{quote('article_id')} = %s"
        )
    return " UNION ALL ".join(parts)


# The section's articles by their tree paths as a range (treebeard's own way to its
# children), which the path's index answers; ``path LIKE 'prefix%'`` read every page.
_related_articles = PreparedQuery(
    lambda first_path, last_path, depth, pk: with_hero_renditions(
        _live_articles().filter(path__range=(first_path, last_path), depth=depth).exclude(pk=pk)
    )[:3]
)


class ArticleAuthor(Orderable):
    """One author of an article, in byline order."""

    article = ParentalKey(ArticlePage, on_delete=models.CASCADE, related_name="article_authors")
    author = models.ForeignKey(AuthorPage, on_delete=models.CASCADE, related_name="+")

    panels = [PageChooserPanel("author", "publishing.AuthorPage")]

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(fields=["article", "author"], name="unique_article_author")
        ]


class ArticleSource(Orderable):
    """A source the article relies on, listed at its end."""

    article = ParentalKey(ArticlePage, on_delete=models.CASCADE, related_name="sources")
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    url = models.URLField(blank=True)
    date = models.DateField(null=True, blank=True)

    panels = [FieldPanel("title"), FieldPanel("publisher"), FieldPanel("url"), FieldPanel("date")]
    api_fields = [APIField("title"), APIField("publisher"), APIField("url"), APIField("date")]

    def __str__(self):
        return self.title


class ArticleCorrection(Orderable):
    """A dated correction or update to an article, shown on it and on the corrections page."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", _("Correction")
        UPDATE = "update", _("Update")

    article = ParentalKey(ArticlePage, on_delete=models.CASCADE, related_name="corrections")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CORRECTION)
    date = models.DateTimeField()
    text = models.TextField()

    panels = [FieldPanel("kind"), FieldPanel("date"), FieldPanel("text")]
    api_fields = [APIField("kind"), APIField("date"), APIField("text")]

    class Meta(Orderable.Meta):
        verbose_name = _("correction or update")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.text[:60]}"


class StandardPage(ServedUrlMixin, ViewRestrictionsMixin, Page):
    """A plain page: About, Editorial standards, Contact, Privacy."""

    introduction = models.CharField(max_length=300, blank=True)
    body = StreamField(BodyBlock, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction"), FieldPanel("body")]
    search_fields = [
        *Page.search_fields,
        index.SearchField("introduction"),
        index.SearchField("body"),
    ]
    api_fields = [APIField("introduction"), APIField("body")]
    parent_page_types = ["publishing.HomePage", "publishing.StandardPage"]
    subpage_types = ["publishing.StandardPage"]

    class Meta:
        verbose_name = _("plain page")


class CorrectionsPage(ServedUrlMixin, ViewRestrictionsMixin, Page):
    """The public record of every correction and update the outlet has published."""

    introduction = RichTextField(features=PARAGRAPH_FEATURES, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]
    parent_page_types = ["publishing.HomePage"]
    subpage_types = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("corrections page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        live_ids = ArticlePage.objects.live().public().values("pk")
        entries = (
            ArticleCorrection.objects.filter(article__in=live_ids)
            .select_related("article")
            .order_by("-date", "-pk")
        )
        context["entries"] = paginate(request, entries, per_page=50)
        context["page_number"] = context["entries"].number
        return context
