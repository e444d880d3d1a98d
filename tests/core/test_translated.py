"""``translated()`` (``masthead.core.translated``): ``gettext`` remembered per language."""

from django.test import override_settings
from django.utils import translation
from django.utils.safestring import SafeData, mark_safe

from masthead.core import translated as module
from masthead.core.translated import translated


def test_it_answers_as_gettext_in_each_language():
    for language in ["en-gb", "fr", "de", "fr"]:
        with translation.override(language):
            for message in ["January", "By", "Monday", "no such message anywhere"]:
                assert translated(message) == translation.gettext(message)
    with translation.override("fr"):
        assert translated("January") == "janvier"


def test_a_safe_message_stays_safe_and_a_plain_one_plain():
    with translation.override("fr"):
        assert not isinstance(translated("January"), SafeData)
        assert isinstance(translated(mark_safe("January")), SafeData)
        assert not isinstance(translated("January"), SafeData)


def test_what_it_remembers_is_forgotten_when_the_catalogs_change():
    with translation.override("fr"):
        translated("January")
    assert module._remembered
    with override_settings(LOCALE_PATHS=[]):
        assert not module._remembered
