"""Slots (``masthead.core.slots``): the places in lower apps' pages that apps above fill
from their wiring, rendered by ``{% slot %}`` in order with their own variables and the
page's; and every place a template names is filled, and every part registered is named,
so a misspelt slot cannot leave a page silently without its sign-up form."""

import re
from pathlib import Path

import pytest
from django.template import Context, Engine, TemplateSyntaxError
from django.template.loader import get_template

from masthead.core import slots

APPS_DIR = Path(__file__).resolve().parents[2] / "masthead"
SLOT_TAG = re.compile(r"""{%\s*slot(?:_position)?\s+["']([\w-]+)["']""")
# The places the header and footer tags, written in Python, render (masthead_tags).
RENDER_SLOT = re.compile(r"""\brender_slot\(\s*["']([\w-]+)["']""")

PARTS = {
    "parts/signup.html": "[signup {{ form_id }} {{ heading|default:'-' }}]",
    "parts/prompt.html": "[prompt {{ id }} {{ heading }}]",
    "parts/early.html": "[early {{ page_title }}]",
}


@pytest.fixture
def empty_registry(monkeypatch):
    """A registry of this test's own, so the apps' parts neither show nor change."""
    monkeypatch.setattr(slots, "_parts", {})
    monkeypatch.setattr(slots, "_sorted", {})


def render(source, **context):
    engine = Engine(
        loaders=[("django.template.loaders.locmem.Loader", PARTS)],
        libraries={"masthead_tags": "masthead.core.templatetags.masthead_tags"},
    )
    return engine.from_string("{% load masthead_tags %}" + source).render(Context(context))


def test_a_slot_no_app_fills_renders_nothing(empty_registry):
    assert render('<div>{% slot "sidebar" %}</div>') == "<div></div>"


def test_parts_render_by_order_then_as_registered_with_their_variables(empty_registry):
    slots.register_slot("cta", "parts/signup.html", context={"form_id": "home-signup"})
    slots.register_slot("cta", "parts/prompt.html", order=5, context={"id": "home-donate"})
    slots.register_slot("cta", "parts/early.html", order=-1)

    html = render('{% slot "cta" %}', page_title="Front")

    assert html == "[early Front][signup home-signup -][prompt home-donate ]"


def test_the_page_values_win_over_a_part_own_and_stay_in_the_slot(empty_registry):
    slots.register_slot("cta", "parts/signup.html", context={"form_id": "a", "heading": "Part"})

    html = render('{% slot "cta" heading=title %}|{{ form_id }}{{ heading }}', title="Page")

    assert html == "[signup a Page]|"


def test_registering_a_template_again_replaces_it(empty_registry):
    slots.register_slot("cta", "parts/prompt.html", context={"id": "first"})
    slots.register_slot("cta", "parts/prompt.html", context={"id": "second"})

    assert render('{% slot "cta" %}') == "[prompt second ]"


def test_the_first_part_that_says_gives_the_position(empty_registry):
    assert render('{% slot_position "inline" as after %}{{ after }}') == "0"
    slots.register_slot("inline", "parts/early.html")
    slots.register_slot("inline", "parts/signup.html", position=lambda context: context["n"])

    assert render('{% slot_position "inline" as after %}{{ after }}', n=4) == "4"


def test_a_slot_needs_a_quoted_name_and_only_named_values(empty_registry):
    with pytest.raises(TemplateSyntaxError):
        render("{% slot cta %}")
    with pytest.raises(TemplateSyntaxError):
        render('{% slot "cta" with heading="x" %}')


def named_slots():
    """{slot name: templates or modules naming it} over every template of our apps and
    every module that renders a slot itself (``render_slot("name", ...)``)."""
    named = {}
    for pattern, finder in (("*/templates/**/*.html", SLOT_TAG), ("**/*.py", RENDER_SLOT)):
        for path in APPS_DIR.glob(pattern):
            for name in finder.findall(path.read_text()):
                named.setdefault(name, set()).add(str(path.relative_to(APPS_DIR)))
    return named


def test_the_header_and_footer_slots_are_found_in_the_tags_that_render_them():
    named = named_slots()
    for name in ("body_start", "nav", "footer_links", "footer_follow", "footer_end"):
        assert "core/templatetags/masthead_tags.py" in named[name], name
    assert "core/templates/core/base.html" in named["footer_signup"]


def test_every_slot_named_is_filled_and_every_part_is_named():
    named = named_slots()
    registered = {name for name in slots._sorted if slots.slot_parts(name)}

    assert sorted(set(named) - registered) == []
    assert sorted(registered - set(named)) == []


def test_every_part_registered_is_a_template():
    for name in slots._sorted:
        for part in slots.slot_parts(name):
            assert get_template(part.template_name), (name, part.template_name)
