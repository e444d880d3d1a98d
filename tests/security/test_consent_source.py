"""A sign-up's recorded source never keeps a secret link (issue 10, defect 9): the page it
came from is kept as a path only when it is an ordinary page, and by its kind otherwise."""

import uuid

import pytest
from django.core.cache import cache

from masthead.newsletter.consent import clean_source
from masthead.newsletter.models import ConsentRecord
from tests.newsletter.subscribe_helpers import make_newsletters, post_signup, signup_data

HOST = "testserver"


@pytest.mark.parametrize(
    ("source", "recorded"),
    [
        ("footer /news/a-story/", "footer /news/a-story/"),
        ("article /shop/product/tote-bag/", "article /shop/product/tote-bag/"),
        (f"footer /shop/order/{uuid.uuid4()}/", "footer shop:order"),
        ("footer /support/manage/eyJkIjoxfQ:1tXq:Zm9v/", "footer donations:manage_donor"),
        ("form /newsletter/preferences/12/abcDEF123signature/", "form newsletter:preferences"),
        ("form /newsletter/unsubscribe/12/3/abcDEF123signature/", "form newsletter:unsubscribe"),
        ("form /newsletter/confirm/eyJzIjoxfQ:1tXq:c2ln/", "form newsletter:confirm"),
        (
            "http://testserver/payments/checkout/status/?session_id=cs_test_secret",
            "/payments/checkout/status/",
        ),
        ("https://search.example.net/results?q=my+name", "search.example.net"),
        ("form /no/such/page/", "form /no/such/page/"),
        ("form /no/such/page?token=123", "form an unknown page"),
    ],
)
def test_secret_links_never_reach_the_source(source, recorded):
    assert clean_source(source, HOST) == recorded


@pytest.mark.django_db
def test_a_sign_up_from_an_order_page_records_the_kind_of_page_not_its_token(client):
    cache.clear()
    _daily, weekly, _members = make_newsletters()
    token = uuid.uuid4()
    response = post_signup(
        client,
        signup_data("reader@example.org", [weekly], source=f"footer /shop/order/{token}/"),
    )
    assert response.status_code == 200
    record = ConsentRecord.objects.get(subscriber__email="reader@example.org")
    assert record.source == "footer shop:order"
    assert str(token) not in record.source
