"""The read-only provider event log in Wagtail's admin."""

import pytest

from masthead.payments.models import ProviderEvent


@pytest.fixture
def stored_event():
    return ProviderEvent.objects.create(
        provider="stripe",
        provider_event_id="evt_admin_1",
        event_type="invoice.paid",
        payload={"id": "evt_admin_1"},
        outcome="PaymentSucceeded → donation",
    )


@pytest.mark.django_db
def test_staff_can_read_the_event_log_but_not_change_it(admin_client, stored_event):
    listing = admin_client.get("/admin/payments/events/")
    assert listing.status_code == 200
    assert "evt_admin_1" in listing.content.decode()
    inspect = admin_client.get(f"/admin/payments/events/inspect/{stored_event.pk}/")
    assert inspect.status_code == 200
    assert "PaymentSucceeded → donation" in inspect.content.decode()
    assert admin_client.get("/admin/payments/events/add/").status_code in (302, 403, 404)
    response = admin_client.post(
        f"/admin/payments/events/delete/{stored_event.pk}/", {"confirm": "yes"}
    )
    assert response.status_code in (302, 403, 404)
    assert ProviderEvent.objects.filter(pk=stored_event.pk).exists()


@pytest.mark.django_db
def test_anonymous_visitors_cannot_see_the_event_log(client, stored_event):
    response = client.get("/admin/payments/events/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
