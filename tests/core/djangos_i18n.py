"""Django's own i18n template library as it ships, before Masthead's ``translate`` is
installed in it: what tests/core/test_masthead_i18n.py compares Masthead's with."""

from django import template
from django.templatetags import i18n

register = template.Library()
register.tags.update(i18n.register.tags)
register.filters.update(i18n.register.filters)
register.tag("translate", i18n.do_translate)
register.tag("trans", i18n.do_translate)
