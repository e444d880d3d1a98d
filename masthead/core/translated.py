"""``gettext`` remembered per language, for the words every card and page repeats.

Each ``gettext`` call finds the active language's catalog through Django's context-local
state and then the message through a chain of catalogs (a message that has no translation,
such as English's own "By", walks the whole chain): about 4 µs, and a home page asked for a
few hundred (each card's "By", month and type, each constant ``{% translate %}``).
``translated(message)`` looks the language up and remembers the answer per language, for
messages that are strings (a template's literal, marked safe, stays safe). What it remembers
is forgotten whenever the settings that decide the catalogs change (tests override them).
"""

from django.core.signals import setting_changed
from django.utils.safestring import SafeData
from django.utils.translation import get_language, gettext

_remembered = {}

_CATALOG_SETTINGS = {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "INSTALLED_APPS"}


def translated(message, language=None):
    """``gettext(message)`` for the active language: ``language`` when the caller has
    looked it up already (a card asks for several words; each look-up of the active
    language goes through Django's context-local state, about 2 µs)."""
    key = (language or get_language(), message, isinstance(message, SafeData))
    try:
        return _remembered[key]
    except KeyError:
        value = _remembered[key] = gettext(message)
        return value


def _forget(setting, **kwargs):
    if setting in _CATALOG_SETTINGS:
        _remembered.clear()


setting_changed.connect(_forget)
