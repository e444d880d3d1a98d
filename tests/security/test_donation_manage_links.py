""" "Manage my support" link emails cannot flood a donor (issue 10, defect 3): the
per-address limit counts the mailbox an address reaches, so a donor who gave under "+tag",
dotted and capitalised forms of one Gmail address gets no more links than the limit, however
many networks ask."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from tests.donations.helpers import ORIGIN, give_and_pay, open_outlet

pytestmark = pytest.mark.django_db

VARIANTS = [
    "victim@gmail.com",
    "Vic.Tim@gmail.com",
    "victim+gifts@googlemail.com",
    "v.ictim+b@gmail.com",
]


def browser(number):
    return Client(REMOTE_ADDR=f"192.0.2.{number + 1}")


@pytest.fixture
def donor_under_many_forms(settings, django_capture_on_commit_callbacks):
    """Gifts made under four forms of one mailbox, each a known donor's address."""
    open_outlet(settings)
    for number, address in enumerate(VARIANTS):
        with django_capture_on_commit_callbacks(execute=True):
            give_and_pay(browser(number), email=address, frequency="one_off")
    cache.clear()
    mail.outbox.clear()
    yield
    cache.clear()


def test_link_emails_to_forms_of_one_mailbox_share_its_limit(
    donor_under_many_forms, settings, django_capture_on_commit_callbacks
):
    settings.DONATIONS_MANAGE_LIMIT_PER_ADDRESS = (2, 3600)

    for number, address in enumerate(VARIANTS):
        with django_capture_on_commit_callbacks(execute=True):
            response = browser(number + 10).post("/support/manage/", {"email": address}, **ORIGIN)
        # The same answer every time: nobody learns whether an address gives.
        assert response.status_code == 200

    assert [message.to for message in mail.outbox] == [["victim@gmail.com"], ["vic.tim@gmail.com"]]
