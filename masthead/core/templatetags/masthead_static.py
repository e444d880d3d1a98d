"""Django's ``static`` template library, with each file's URL worked out once per process.

Masthead's templates ``{% load masthead_static %}`` instead of ``static``: the same tags
(``static``, ``get_static_prefix``, ``get_media_prefix``) and syntax. Django's
``{% static %}`` asks the static files storage for the URL on every render: a check that
the staticfiles app is
installed (a walk over every app), then the manifest's hashed name and the URL joined and
quoted, some fifteen µs for each of the ten or so links and scripts of a page rendered
afresh. The storage reads its base URL and its manifest once, when it is first used, so
its answer for a path is the same for the life of the process; here it is remembered per
path, until a setting it depends on changes (in tests).
"""

import functools

from django import template
from django.apps import apps
from django.core.signals import setting_changed
from django.templatetags import static as django_static

register = template.Library()
register.tags.update(django_static.register.tags)
register.filters.update(django_static.register.filters)


@functools.cache
def _staticfiles_installed():
    return apps.is_installed("django.contrib.staticfiles")


@functools.lru_cache(maxsize=4096)
def _stored_url(path):
    from django.contrib.staticfiles.storage import staticfiles_storage

    return staticfiles_storage.url(path)


def _forget(setting, **kwargs):
    if setting in {"INSTALLED_APPS", "STATIC_ROOT", "STATIC_URL", "STORAGES"}:
        _staticfiles_installed.cache_clear()
        _stored_url.cache_clear()


setting_changed.connect(_forget)


class RememberedStaticNode(django_static.StaticNode):
    """Django's ``StaticNode``, its storage's URL for each path remembered (``_stored_url``;
    a path the storage refuses, missing from the manifest, is refused every time)."""

    @classmethod
    def handle_simple(cls, path):
        if _staticfiles_installed():
            return _stored_url(str(path))
        return super().handle_simple(path)


@register.tag("static")
def do_static(parser, token):
    """``{% static "path" %}`` or ``{% static "path" as name %}``, as Django's."""
    return RememberedStaticNode.handle_token(parser, token)
