"""``masthead.core.escaping`` writes what Django's ``conditional_escape`` and ``format_html``
write, for every kind of value a tag passes them."""

import pytest
from django.utils import html as django_html
from django.utils.functional import lazy
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from masthead.core import escaping


class Marked:
    def __html__(self):
        return "<b>marked</b>"


class Text(str):
    pass


VALUES = [
    "plain",
    'Tom & Jerry\'s <script>"quoted"</script>',
    mark_safe("<em>safe</em>"),
    SafeString("<i>also safe</i> & kept"),
    gettext_lazy("Opinion"),
    lazy(lambda: "<lazy> & text", str)(),
    lazy(lambda: mark_safe("<b>lazy safe</b>"), SafeString)(),
    Text("<subclass>"),
    Marked(),
    42,
    3.5,
    None,
    "",
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_escape_writes_what_conditional_escape_writes(value):
    assert escaping.escape(value) == str(django_html.conditional_escape(value))


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_format_html_writes_what_djangos_writes_and_marks_it_safe(value):
    ours = escaping.format_html('<a title="{}">{} {name}</a>', value, value, name=value)
    theirs = django_html.format_html('<a title="{}">{} {name}</a>', value, value, name=value)
    assert ours == theirs
    assert isinstance(ours, SafeString)
