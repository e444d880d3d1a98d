"""Django's ``{% url %}``, with what ``reverse`` answers remembered.

Django's node calls ``reverse`` at every render, which walks the URL resolver's patterns
(some 20 µs); a reader's page has a dozen (the header's search and account links, the
sign-up, donate and shop links): about a fortieth of a page rendered afresh. The answer
depends only on the view name, its arguments, the current app, the URL configuration, the
script prefix and the language, which together are the key here. Arguments other than text
and whole numbers go to ``reverse`` every time, as does a name it cannot reverse (which
raises, or gives "" with ``as``, as Django's tag does). Core's wiring installs the tag in
Django's built-in library (``install()``), so every template, the admin's too, gets it.
"""

import functools

from django.conf import settings
from django.core.signals import setting_changed
from django.template import defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

_PLAIN = (str, int)


@functools.lru_cache(maxsize=4096)
def _reversed(view_name, args, kwargs, current_app, urlconf, root_urlconf, prefix, language):
    """``reverse`` for these arguments (the last four are the key: ``reverse`` reads them
    itself)."""
    return reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app)


def remembered_reverse(view_name, args=(), kwargs=(), current_app=None):
    """``reverse`` for text and whole-number ``args`` and ``kwargs`` (pairs), remembered: for
    ``{% url %}`` and for the tags written in Python (the sign-up form's action, the feeds'
    links)."""
    return _reversed(
        view_name,
        args,
        kwargs,
        current_app,
        get_urlconf(),
        settings.ROOT_URLCONF,
        get_script_prefix(),
        get_language(),
    )


def _forget(setting, **kwargs):
    if setting in {"ROOT_URLCONF", "FORCE_SCRIPT_NAME", "LANGUAGE_CODE", "APPEND_SLASH"}:
        _reversed.cache_clear()


setting_changed.connect(_forget)


def _current_app(context):
    # As Django's URLNode finds it.
    try:
        return context.request.current_app
    except AttributeError:
        try:
            return context.request.resolver_match.namespace
        except AttributeError:
            return None


class RememberedURLNode(defaulttags.URLNode):
    """Django's ``URLNode``, its ``reverse`` remembered (see above)."""

    def render(self, context):
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = tuple((key, value.resolve(context)) for key, value in self.kwargs.items())
        view_name = self.view_name.resolve(context)
        current_app = _current_app(context)
        url = ""
        try:
            if isinstance(view_name, str) and all(
                type(value) in _PLAIN for value in (*args, *(value for _, value in kwargs))
            ):
                url = remembered_reverse(view_name, args, kwargs, current_app)
            else:
                url = reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


def url(parser, token):
    """Django's ``{% url %}``, parsed by Django, as the node above."""
    node = defaulttags.url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)


def install():
    """Make every template's ``{% url %}`` this one: registered, with the template library's
    own ``tag()``, in Django's built-in library (as ``masthead_i18n`` does for i18n)."""
    defaulttags.register.tag("url", url)
