"""Prepared queries (``masthead.core.prepared``): compiled once per argument shape, then
only executed, with the same rows as the queryset they were built from."""

import itertools

import pytest
from django.db import connection
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from taggit.models import Tag

from masthead.core.prepared import PreparationError, PreparedForeignKey, PreparedQuery
from masthead.publishing.models import ArticleAuthor, ArticlePage
from tests.publishing.factories import make_article, make_author, make_image, make_site_tree

NAMES = ["Transport", "Housing", "Schools", "Libraries", "Parks", "50% off", "50_50", "Under_score"]


@pytest.fixture
def tags():
    return {
        name: Tag.objects.create(name=name, slug=f"tag-{number}")
        for number, name in enumerate(NAMES)
    }


class Counted:
    """A build function that counts how often it builds."""

    def __init__(self, build):
        self.build = build
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        return self.build(*args)


@pytest.mark.django_db
def test_each_call_answers_for_its_own_arguments_and_builds_once_per_shape(tags):
    build = Counted(lambda name: Tag.objects.filter(name=name))
    by_name = PreparedQuery(build)
    for name in NAMES:
        assert by_name(name) == [tags[name]]
    assert by_name("Nowhere") == []
    # Two builds with stand-in values when the shape was first seen, none since.
    assert build.calls == 2


@pytest.mark.django_db
def test_lists_of_any_length_share_a_few_shapes_and_give_the_queryset_rows(tags):
    build = Counted(lambda ids: Tag.objects.filter(pk__in=ids).order_by("name"))
    by_ids = PreparedQuery(build)
    ids = [tag.pk for tag in tags.values()]
    for length in range(1, len(ids) + 1):
        chosen = ids[:length]
        assert by_ids(chosen) == list(Tag.objects.filter(pk__in=chosen).order_by("name"))
    # Lengths 1, 2, 3-4 and 5-8: four shapes, two builds each.
    assert build.calls == 8
    assert by_ids(set(ids[:3])) == list(Tag.objects.filter(pk__in=ids[:3]).order_by("name"))
    assert by_ids([]) == []


@pytest.mark.django_db
def test_like_patterns_escape_their_wildcards(tags):
    starting = PreparedQuery(lambda prefix: Tag.objects.filter(name__startswith=prefix))
    containing = PreparedQuery(lambda part: Tag.objects.filter(name__icontains=part))
    assert starting("50%") == [tags["50% off"]]
    assert starting("50_") == [tags["50_50"]]
    assert {tag.name for tag in containing("_s")} == {"Under_score"}
    assert {tag.name for tag in containing("SC")} == {"Schools", "Under_score"}
    exactly = PreparedQuery(lambda name: Tag.objects.filter(name__iexact=name))
    assert exactly("50_50") == [tags["50_50"]]
    assert exactly("50a50") == []


@pytest.mark.django_db
def test_values_lists_keep_their_shape(tags):
    names = PreparedQuery(
        lambda ids: Tag.objects.filter(pk__in=ids).order_by("pk").values_list("name", flat=True)
    )
    pairs = PreparedQuery(
        lambda ids: Tag.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "slug")
    )
    ids = [tags["Parks"].pk, tags["Housing"].pk]
    assert names(ids) == ["Housing", "Parks"]
    assert pairs(ids) == [
        (tags["Housing"].pk, tags["Housing"].slug),
        (tags["Parks"].pk, tags["Parks"].slug),
    ]


@pytest.mark.django_db
def test_joined_and_prefetched_rows_come_as_the_queryset_makes_them():
    tree = make_site_tree()
    ada, bo = make_author(tree.author_index, "Ada Hill"), make_author(tree.author_index, "Bo Lake")
    article = make_article(tree.section, [ada, bo], title="Harbour wall repaired")
    links = PreparedQuery(
        lambda pk: (
            ArticleAuthor.objects.filter(article_id=pk)
            .order_by("sort_order")
            .select_related("author")
        )
    )
    with CaptureQueriesContext(connection) as captured:
        assert [link.author.title for link in links(article.pk)] == ["Ada Hill", "Bo Lake"]
    assert len(captured.captured_queries) == 1
    pages = PreparedQuery(
        lambda pk: ArticlePage.objects.filter(pk=pk).prefetch_related(
            Prefetch("article_authors", queryset=ArticleAuthor.objects.select_related("author"))
        )
    )
    (found,) = pages(article.pk)
    assert isinstance(found, ArticlePage) and found.title == "Harbour wall repaired"
    with CaptureQueriesContext(connection) as captured:
        assert [link.author.title for link in found.article_authors.all()] == [
            "Ada Hill",
            "Bo Lake",
        ]
    assert captured.captured_queries == []


@pytest.mark.django_db
def test_a_query_that_depends_on_more_than_its_arguments_is_refused(tags):
    # Something read when the query is built (a clock, a counter): kept, it would stay
    # what the first call read.
    ticks = itertools.count(10**6)
    recent = PreparedQuery(lambda name: Tag.objects.filter(name=name, pk__lt=next(ticks)))
    with pytest.raises(PreparationError):
        recent("Parks")
    # An argument that does not reach the SQL as given (here, turned into a number).
    lengths = PreparedQuery(lambda name: Tag.objects.filter(pk=len(name)))
    with pytest.raises(PreparationError):
        lengths("Parks")
    # Arguments are integers, strings or lists of them.
    with pytest.raises(PreparationError):
        PreparedQuery(lambda when: Tag.objects.filter(pk=when))(timezone.now())


@pytest.mark.django_db
def test_slices_are_part_of_the_sql(tags):
    first = PreparedQuery(
        lambda prefix: Tag.objects.filter(name__startswith=prefix).order_by("name")[:1]
    )
    assert first("P") == [tags["Parks"]]
    assert first("5") == [tags["50% off"]]


@pytest.mark.django_db
def test_a_prepared_foreign_key_reads_the_row_django_would():
    tree = make_site_tree()
    article = make_article(tree.section, [], title="Pier reopens", hero_image=make_image("Pier"))
    plain = make_article(tree.section, [], title="No picture today")
    assert isinstance(ArticlePage.__dict__["hero_image"], PreparedForeignKey)
    expected = article.hero_image
    fresh = ArticlePage.objects.get(pk=article.pk)
    with CaptureQueriesContext(connection) as captured:
        assert fresh.hero_image == expected
        assert fresh.hero_image.title == "Pier"  # read once, then known
    assert len(captured.captured_queries) == 1
    assert ArticlePage.objects.get(pk=plain.pk).hero_image is None
    # A picture chosen in memory is the one given back, without a query.
    other = make_image("Harbour")
    fresh.hero_image = other
    with CaptureQueriesContext(connection) as captured:
        assert fresh.hero_image is other
    assert captured.captured_queries == []


@pytest.mark.django_db
def test_sql_with_params_is_what_django_compiles_for_the_arguments(tags):
    """A prepared query's SQL for use inside another: Django's own, with the arguments in
    their places, compiled once per shape."""
    build = Counted(lambda name, ids: Tag.objects.filter(name=name, pk__in=ids).values("pk"))
    ids_named = PreparedQuery(build)
    ids = [tag.pk for tag in tags.values()]
    # Four ids: a list's length the padding keeps (Django leaves repeated values out).
    for name, chosen in (("Housing", ids[:4]), ("50% off", ids[4:]), ("Nowhere", ids[:4])):
        sql, params = ids_named.sql_with_params(name, chosen)
        assert (sql, params) == Tag.objects.filter(name=name, pk__in=chosen).values(
            "pk"
        ).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT name FROM taggit_tag WHERE id IN ({sql})", params)  # noqa: S608
            assert [row[0] for row in cursor.fetchall()] == [name] * (name != "Nowhere")
    assert build.calls == 2  # one shape


@pytest.mark.django_db
def test_sql_with_params_of_a_shape_django_does_not_compile_is_djangos_answer(tags):
    """An empty list: Django finds that nothing matches without compiling the query, and
    says so (EmptyResultSet) as it would for the queryset itself."""
    from django.core.exceptions import EmptyResultSet

    ids_named = PreparedQuery(lambda ids: Tag.objects.filter(pk__in=ids).values("pk"))
    with pytest.raises(EmptyResultSet):
        Tag.objects.filter(pk__in=[]).values("pk").query.sql_with_params()
    with pytest.raises(EmptyResultSet):
        ids_named.sql_with_params([])


@pytest.mark.django_db
def test_a_queryset_made_from_a_prepared_one_is_djangos_own(tags):
    """The evaluated queryset a prepared query gives (for a prefetch cache) holds SQL for its
    own rows alone: one made from it (filtered, ordered, all() afresh) is built by Django
    for the same arguments, its conditions kept."""
    by_ids = PreparedQuery(lambda ids: Tag.objects.filter(pk__in=ids).order_by("pk"))
    chosen = [tags["Transport"].pk, tags["Housing"].pk, tags["Parks"].pk]
    by_ids(chosen)  # prepared
    rows = by_ids.queryset(chosen)
    assert list(rows) == sorted(
        (tags[name] for name in ("Transport", "Housing", "Parks")), key=lambda tag: tag.pk
    )
    assert list(rows.filter(name="Housing")) == [tags["Housing"]]
    assert list(rows.exclude(name="Housing").order_by("-pk")) == sorted(
        (tags["Transport"], tags["Parks"]), key=lambda tag: -tag.pk
    )
    assert rows.all().count() == 3
    held = by_ids.with_rows([tags["Parks"]], chosen)
    with CaptureQueriesContext(connection) as queries:
        assert list(held) == [tags["Parks"]]  # the rows given, not read
    assert len(queries) == 0
    assert list(held.filter(name="Transport")) == [tags["Transport"]]
