"""``masthead_images``: Wagtail's image tags with each tag's filters parsed once, when the
template is, not on every render. Same syntax and the same HTML as Wagtail's own tags."""

import pytest
from django.core.cache import cache
from django.template import Context, Template, TemplateSyntaxError
from django.utils.safestring import mark_safe
from wagtail.images import image_operations
from wagtail.images.exceptions import InvalidFilterSpecError

from tests.publishing.factories import make_image

TAGS = {
    "image": '{% image picture fill-200x100 class="hero" alt="" %}',
    "srcset_image": (
        '{% srcset_image picture fill-{200x100,400x200} format-webp sizes="50vw" alt="" %}'
    ),
    "picture": '{% picture picture format-{webp,jpeg} fill-{200x100,400x200} alt="" %}',
    "as": "{% image picture width-120 as small %}{{ small.url }} {{ small.width }}",
    # Written directly rather than by Django's flatatt: escaped, sorted, True bare, False
    # and None left out, safe text as it is.
    "attributes": (
        "{% srcset_image picture fill-{200x100,400x200} alt=title class=safe hidden=True"
        ' loading=None data-zoom=False sizes="<50vw>" %}'
    ),
    "image attributes": "{% image picture fill-200x100 alt=title data-note=safe async=True %}",
}


@pytest.fixture(autouse=True)
def no_cached_renditions():
    cache.clear()
    yield
    cache.clear()


def render(library, source, **context):
    return Template(f"{{% load {library} %}}{source}").render(Context(context))


@pytest.mark.django_db
@pytest.mark.parametrize("tag", sorted(TAGS))
def test_each_tag_gives_what_wagtails_own_gives(tag):
    picture = make_image("A market square", 800, 600)
    extra = {"title": 'Tom & "Jerry" <b>', "safe": mark_safe("a&amp;b")}
    wagtails = render("wagtailimages_tags", TAGS[tag], picture=picture, **extra)
    ours = render("masthead_images", TAGS[tag], picture=picture, **extra)
    assert ours == wagtails
    assert "/images/" in ours


@pytest.mark.django_db
@pytest.mark.parametrize("tag", sorted(TAGS))
def test_a_tag_parses_its_filters_once_however_often_it_is_rendered(tag, monkeypatch):
    pictures = [make_image(f"Picture {number}", 800, 600) for number in range(3)]
    template = Template(f"{{% load masthead_images %}}{TAGS[tag]}")
    template.render(Context({"picture": pictures[0]}))  # renditions made, filters parsed
    parsed = []
    original = image_operations.Operation.__init__

    def counting(self, *args):
        parsed.append(args)
        original(self, *args)

    monkeypatch.setattr(image_operations.Operation, "__init__", counting)
    for picture in pictures * 3:
        assert "/images/" in template.render(Context({"picture": picture}))
    assert parsed == []


@pytest.mark.django_db
def test_no_picture_renders_nothing_and_a_bad_spec_still_fails():
    assert render("masthead_images", TAGS["picture"], picture=None) == ""
    with pytest.raises(TemplateSyntaxError):
        Template("{% load masthead_images %}{% image picture fill-200x100!! %}")
    with pytest.raises(InvalidFilterSpecError):
        render("masthead_images", "{% image picture nonsense-200 %}", picture=make_image())


@pytest.mark.django_db
def test_renditions_read_with_a_listing_are_found_as_wagtail_finds_them():
    """A listing's pictures come with their renditions (``pictures_with_renditions``); the
    tags find them there without a query, as Wagtail would, and one whose focal point has
    changed since is made afresh by Wagtail rather than shown from the old renditions."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from masthead.publishing.models import pictures_with_renditions

    specs = ["fill-200x100|format-webp", "fill-400x200|format-webp"]
    picture = make_image("A harbour wall", 800, 600)
    wagtails = render("wagtailimages_tags", TAGS["srcset_image"], picture=picture)
    listed = pictures_with_renditions({picture.pk}, specs)[picture.pk]
    assert len(listed.prefetched_renditions) == 2
    with CaptureQueriesContext(connection) as queries:
        ours = render("masthead_images", TAGS["srcset_image"], picture=listed)
    assert ours == wagtails
    assert len(queries) == 0

    picture.focal_point_x, picture.focal_point_y = 100, 100
    picture.focal_point_width, picture.focal_point_height = 50, 50
    picture.save()
    listed = pictures_with_renditions({picture.pk}, specs)[picture.pk]
    assert len(listed.prefetched_renditions) == 2  # the old ones, for the old focal point
    ours = render("masthead_images", TAGS["srcset_image"], picture=listed)
    assert ours != wagtails
    assert ours == render("wagtailimages_tags", TAGS["srcset_image"], picture=picture)


PICTURES = {
    '{% picture picture format-{webp,jpeg} fill-{200x100,400x200} sizes="50vw" alt=t %}': (
        "format-{webp,jpeg}",
        "fill-{200x100,400x200}",
    ),
    '{% picture picture format-{avif,webp,png} fill-200x100 class="lead" alt="" %}': (
        "format-{avif,webp,png}",
        "fill-200x100",
    ),
    '{% picture picture fill-{200x100,400x200} alt="" %}': ("fill-{200x100,400x200}",),
    '{% picture picture width-300 alt="" %}': ("width-300",),
}


@pytest.mark.django_db
@pytest.mark.parametrize("tag", list(PICTURES))
def test_a_picture_is_written_as_wagtail_writes_it_read_with_a_listing_or_not(tag):
    """The same HTML as Wagtail's ``{% picture %}``, whether the picture comes alone or
    with the renditions a listing read with it."""
    from wagtail.images.models import Filter

    from masthead.publishing.models import pictures_with_renditions

    picture = make_image("A footbridge", 800, 600)
    context = {"t": '<"Bridge" & co>'}
    wagtails = render("wagtailimages_tags", tag, picture=picture, **context)
    assert render("masthead_images", tag, picture=picture, **context) == wagtails
    specs = Filter.expand_spec(list(PICTURES[tag]))
    listed = pictures_with_renditions({picture.pk}, specs)[picture.pk]
    assert len(listed.prefetched_renditions) == len(specs)
    assert render("masthead_images", tag, picture=listed, **context) == wagtails
