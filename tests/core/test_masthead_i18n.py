"""``{% load i18n %}`` gives Masthead's ``translate`` (``masthead.core.templatetags.
masthead_i18n``): constant messages are translated directly, and everything renders as
Django's own library renders it."""

import pytest
from django.template import Context, Engine
from django.template.loader import get_template
from django.templatetags import i18n as django_i18n
from django.utils import translation

from masthead.core.templatetags.masthead_i18n import ConstantTranslateNode, do_translate

SOURCES = [
    '{% translate "January" %}',
    "{% trans 'Monday' %}",
    '{% translate "50% off" %}',
    '{% translate "May" context "month name" %}',
    '{% translate "March" as month %}<b>{{ month }}</b>',
    '{% translate "April" noop %}',
    '{% translate "<b>bold</b>" %}',
    "{% translate word %}",
    '{% translate "june"|upper %}',
    "{% blocktranslate count n=3 %}one day{% plural %}{{ n }} days{% endblocktranslate %}",
    "{% get_current_language as code %}{{ code }} {{ 'fr'|language_name_local }}",
]


def engine(library):
    return Engine(libraries={"i18n": library}, autoescape=True)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("language", ["en-gb", "fr", "de"])
def test_every_tag_renders_as_djangos_library_renders_it(source, language):
    template = "{% load i18n %}" + source
    context = {"word": "<i>August</i>"}
    ours = engine("masthead.core.templatetags.masthead_i18n").from_string(template)
    djangos = engine("tests.core.djangos_i18n").from_string(template)
    with translation.override(language):
        assert ours.render(Context(context)) == djangos.render(Context(context))
        if language == "fr" and source == SOURCES[0]:
            assert ours.render(Context(context)) == "janvier"


def test_only_plain_constant_messages_take_the_direct_way():
    ours = engine("masthead.core.templatetags.masthead_i18n")
    direct = [
        isinstance(ours.from_string("{% load i18n %}" + source).nodelist[-1], ConstantTranslateNode)
        for source in SOURCES[:9]
    ]
    assert direct == [True, True, False, False, False, False, True, False, False]


def test_the_site_loads_it_as_i18n():
    template = get_template("core/base.html")
    library = template.template.engine.template_libraries["i18n"]
    assert library.tags["translate"] is library.tags["trans"] is do_translate
    assert library is django_i18n.register  # Django's own library: no second "i18n"
