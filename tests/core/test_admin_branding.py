"""The admin is the outlet's: its sign-in page, every page's title and the sidebar carry the
outlet's name and logo (SiteSettings), or its monogram when it has no logo, never Wagtail's
bird (core's templates under ``wagtailadmin/``)."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from masthead.core.models import SiteSettings
from masthead.publishing.roles import ADMINISTRATORS
from tests.publishing.factories import make_site_tree

pytestmark = pytest.mark.django_db

OUTLET = "The Riverside Post"


@pytest.fixture
def outlet():
    tree = make_site_tree()
    settings = SiteSettings.for_site(tree.site)
    settings.outlet_name = OUTLET
    settings.save()
    return tree


def test_the_sign_in_page_names_the_outlet(outlet, client):
    html = client.get(reverse("wagtailadmin_login")).content.decode()
    assert f"Sign in to {OUTLET}" in html
    # No logo set: the outlet's monogram, never Wagtail's bird.
    assert '<span class="outlet-admin-monogram" aria-hidden="true">T</span>' in html
    assert "icon-wagtail" not in html
    assert "core/branding.css" in html


def test_every_page_is_titled_with_the_outlet_and_the_sidebar_shows_its_monogram(outlet, client):
    administrator = User.objects.create_user("ada", "ada@newsroom.test", "pw")
    administrator.groups.add(Group.objects.get(name=ADMINISTRATORS))
    client.force_login(administrator)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert '<span class="outlet-admin-monogram" aria-hidden="true">T</span>' in html
    assert "core/branding.css" in html
    assert 'aria-label="Wagtail"' not in html
    assert f"{OUTLET}</title>" in html
