"""Django's ``i18n`` template library, with ``{% translate "a constant" %}`` rendered directly.

Django renders ``{% translate "Topics" %}`` by making a lazy translation of the string, then
localizing and casting it to text, at every render: a page has some fifty of them, and they
were about a twentieth of a cold article page. A constant message (no context, no ``as``, no
``noop``, no percent sign) is translated here with ``gettext`` (remembered per language,
``masthead.core.translated``), exactly as Django's node would translate it; every other use
of the library is Django's own. Core's wiring installs this tag in Django's i18n library
(``install()``), so templates and Wagtail's admin get it with ``{% load i18n %}``.
"""

from django import template
from django.template.base import render_value_in_context
from django.templatetags import i18n
from django.utils.safestring import SafeData, mark_safe

from masthead.core.translated import translated

register = template.Library()
register.tags.update(i18n.register.tags)
register.filters.update(i18n.register.filters)


class ConstantTranslateNode(template.Node):
    """``{% translate "message" %}`` for a constant message: ``gettext`` at render."""

    def __init__(self, message):
        self.message = message

    def render(self, context):
        value = translated(self.message)
        # As Django's node: a translator's doubled percent sign is shown once (and text
        # that was safe stays safe: only "%%" became "%").
        if "%%" in value:
            safe = isinstance(value, SafeData)
            value = value.replace("%%", "%")
            value = mark_safe(value) if safe else value  # noqa: S308 - it was safe before
        return render_value_in_context(value, context)


def _constant_message(node):
    """The message of Django's ``TranslateNode`` when it is a plain constant, else None."""
    if node.noop or node.asvar or node.message_context is not None:
        return None
    expression = node.filter_expression
    variable = expression.var
    if expression.filters or not isinstance(variable, template.Variable):
        return None
    message = variable.literal
    if not isinstance(message, str) or "%" in message:
        return None
    return message


@register.tag("translate")
@register.tag("trans")
def do_translate(parser, token):
    node = i18n.do_translate(parser, token)
    message = _constant_message(node)
    return node if message is None else ConstantTranslateNode(message)


def install():
    """Make ``{% load i18n %}`` give this ``translate`` (and ``trans``): registered, with
    the template library's own ``tag()``, in Django's i18n library itself. (Naming this
    library ``i18n`` in the settings instead made Django's checks warn, rightly, of two
    libraries with one name.)"""
    i18n.register.tag("translate", do_translate)
    i18n.register.tag("trans", do_translate)
