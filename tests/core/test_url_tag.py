"""``{% url %}`` (``masthead.core.templatetags.masthead_urls``): Django's tag, with what
``reverse`` answers remembered per name, arguments, URL configuration, prefix and language."""

import uuid

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse, set_script_prefix

from masthead.core.templatetags import masthead_urls


def render(source, **context):
    return Template(source).render(Context({"request": RequestFactory().get("/"), **context}))


def test_every_template_gets_the_remembering_tag():
    node = Template("{% url 'search' %}").nodelist[0]
    assert isinstance(node, masthead_urls.RememberedURLNode)


def test_it_writes_what_reverse_gives_for_names_arguments_and_variables():
    token = uuid.uuid4()
    assert render("{% url 'search' %}") == reverse("search")
    assert render("{% url 'shop:product' 'tote-bag' %}") == reverse(
        "shop:product", args=["tote-bag"]
    )
    assert render("{% url 'shop:category' slug=s %}", s="mugs") == reverse(
        "shop:category", kwargs={"slug": "mugs"}
    )
    assert render("{% url 'donations:account_cancel' 7 %}") == reverse(
        "donations:account_cancel", args=[7]
    )
    # Not text or a number: reversed every time, with the same result.
    assert render("{% url 'shop:order' token %}", token=token) == reverse(
        "shop:order", args=[token]
    )
    assert render("{% url name %}", name="shop:cart") == reverse("shop:cart")
    assert render("{% url 'search' as link %}[{{ link }}]") == f"[{reverse('search')}]"


def test_a_name_that_cannot_be_reversed_raises_or_gives_nothing_with_as():
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-view' %}")
    with pytest.raises(NoReverseMatch):
        render("{% url 'shop:product' %}")  # lacks its slug
    assert render("{% url 'no-such-view' as link %}[{{ link }}]") == "[]"


def test_a_script_prefix_is_followed():
    plain = render("{% url 'search' %}")
    try:
        set_script_prefix("/outlet/")
        assert render("{% url 'search' %}") == "/outlet" + plain
    finally:
        set_script_prefix("/")
    assert render("{% url 'search' %}") == plain


def test_what_it_writes_is_escaped_as_djangos_tag_escapes_it():
    link = reverse("donations:manage_donor", args=["a&b"])
    assert "&" in link
    assert render("{% url 'donations:manage_donor' token %}", token="a&b") == link.replace(
        "&", "&amp;"
    )
    assert (
        Template(
            "{% autoescape off %}{% url 'donations:manage_donor' 'a&b' %}{% endautoescape %}"
        ).render(Context())
        == link
    )
