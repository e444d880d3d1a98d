"""/.well-known/security.txt (RFC 9116) from the site settings' security contact."""

import datetime

import pytest
from django.utils import timezone

from masthead.core.models import SiteSettings
from tests.publishing.factories import make_site_tree


@pytest.mark.django_db
def test_security_txt_is_404_while_no_contact_is_set(client):
    make_site_tree()

    response = client.get("/.well-known/security.txt")

    assert response.status_code == 404


@pytest.mark.django_db
def test_security_txt_gives_contacts_expiry_language_canonical_and_policy(client):
    tree = make_site_tree()
    SiteSettings.objects.update_or_create(
        site=tree.site,
        defaults={
            "security_contact_email": "security@courier.example",
            "security_contact_url": "https://courier.example/report/",
            "security_policy_url": "https://courier.example/security-policy/",
        },
    )

    response = client.get("/.well-known/security.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    expires = datetime.datetime.strptime(lines[2], "Expires: %Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.UTC
    )
    assert lines == [
        "Contact: mailto:security@courier.example",
        "Contact: https://courier.example/report/",
        lines[2],
        "Preferred-Languages: en",
        "Canonical: http://testserver/.well-known/security.txt",
        "Policy: https://courier.example/security-policy/",
    ]
    a_year_ahead = timezone.now() + datetime.timedelta(days=365)
    assert abs((expires - a_year_ahead).total_seconds()) < 60


@pytest.mark.django_db
def test_security_txt_with_only_an_email_has_no_policy(client):
    tree = make_site_tree()
    SiteSettings.objects.update_or_create(
        site=tree.site, defaults={"security_contact_email": "security@courier.example"}
    )

    lines = client.get("/.well-known/security.txt").content.decode().splitlines()

    assert lines[0] == "Contact: mailto:security@courier.example"
    assert [line.split(":")[0] for line in lines] == [
        "Contact",
        "Expires",
        "Preferred-Languages",
        "Canonical",
    ]


@pytest.mark.django_db
def test_security_contact_page_must_be_https():
    site_settings = SiteSettings.for_site(make_site_tree().site)
    site_settings.security_contact_url = "http://courier.example/report/"

    with pytest.raises(Exception) as refused:
        site_settings.full_clean()

    assert list(refused.value.message_dict) == ["security_contact_url"]
