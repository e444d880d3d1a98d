"""The site settings' call-to-action links (newsletter, donate, shop) take only absolute
http(s) URLs and paths on this site, in the admin's form, in the model, and when a page is
rendered (issue 10, defect 4)."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.urls import reverse

from masthead.core.links import is_safe_link
from masthead.core.models import SiteSettings
from tests.publishing.factories import make_site_tree

UNSAFE_LINKS = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "mailto:editor@example.org",
    "//evil.example/support/",
    "/\\evil.example/support/",
    "\\\\evil.example",
    "https:evil.example",
    "https://",
    "http://exa mple.org/",
    "ftp://files.example.org/",
    "support/",
    "#newsletter",
]
SAFE_LINKS = [
    "https://shop.example.org/",
    "http://news.example.org/newsletter/?from=footer",
    "HTTPS://donate.example.org/give",
    "/support/",
    "/",
    "/shop/category/mugs/#top",
]


def test_only_http_urls_and_site_paths_are_safe_links():
    assert [link for link in SAFE_LINKS if not is_safe_link(link)] == []
    assert [link for link in UNSAFE_LINKS if is_safe_link(link)] == []


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["newsletter_url", "donate_url", "shop_url"])
def test_the_model_refuses_unsafe_links(field):
    site_settings = SiteSettings.for_site(make_site_tree().site)
    for link in UNSAFE_LINKS:
        setattr(site_settings, field, link)
        with pytest.raises(ValidationError) as refused:
            site_settings.full_clean()
        assert list(refused.value.message_dict) == [field], link
    for link in [*SAFE_LINKS, ""]:
        setattr(site_settings, field, link)
        site_settings.full_clean()


@pytest.mark.django_db
def test_the_settings_form_in_the_admin_refuses_a_javascript_link(admin_client):
    tree = make_site_tree()
    url = reverse("wagtailsettings:edit", args=["core", "sitesettings", tree.site.pk])
    form = {"outlet_name": "The Courier", "donate_url": "javascript:alert(1)"}

    response = admin_client.post(url, form)

    assert response.status_code == 200
    assert "Enter a web address starting with https:// or http://" in response.content.decode()
    assert SiteSettings.for_site(tree.site).donate_url == ""


@pytest.mark.django_db
def test_unsafe_links_stored_before_the_check_are_not_rendered(client):
    tree = make_site_tree()
    # Written around the model's validation, as values stored before it existed were.
    SiteSettings.objects.update_or_create(
        site=tree.site,
        defaults={
            "newsletter_url": "javascript:alert('newsletter')",
            "donate_url": "//evil.example/give",
            "shop_url": "java\tscript:alert('shop')",
        },
    )

    page = client.get("/").content.decode()

    assert "javascript" not in page
    assert "evil.example" not in page
    assert "alert(" not in page
    footer_actions = re.search(r'<ul class="footer-actions">(.*?)</ul>', page, re.S).group(1)
    assert footer_actions.strip() == ""
    assert ">Shop</a>" not in page
    assert ">Basket<" not in page
    assert "basket.js" not in page


@pytest.mark.django_db
def test_safe_links_are_rendered(client):
    tree = make_site_tree()
    SiteSettings.objects.update_or_create(
        site=tree.site,
        defaults={
            "newsletter_url": "/newsletter/",
            "donate_url": "https://donate.example.org/give?from=site",
            "shop_url": "/shop/",
        },
    )

    page = client.get("/").content.decode()

    assert '<a class="button" href="/newsletter/">Get our newsletter</a>' in page
    assert (
        '<a class="button button--accent" href="https://donate.example.org/give?from=site">'
        "Support us</a>"
    ) in page
    assert '<li><a href="/shop/">Shop</a></li>' in page


def test_the_safe_link_filter_drops_anything_else():
    template = Template("{% load masthead_tags %}[{{ link|safe_link }}]")

    assert template.render(Context({"link": "javascript:alert(1)"})) == "[]"
    assert template.render(Context({"link": None})) == "[]"
    assert template.render(Context({"link": "/support/"})) == "[/support/]"
