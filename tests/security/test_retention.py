"""Personal data is kept no longer than its documented time (issue 10, retention jobs)."""

import ipaddress
import json
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import models
from django.utils import timezone

from masthead.core import scheduler
from masthead.core.retention import clear_expired_sessions
from masthead.core.scheduler import periodic_jobs
from masthead.newsletter.models import ConsentRecord, Subscriber
from masthead.payments.models import ProviderEvent


@pytest.mark.django_db
def test_expired_sessions_are_deleted_by_the_worker(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    now = timezone.now()
    Session.objects.create(session_key="old", session_data="x", expire_date=now - timedelta(1))
    Session.objects.create(session_key="live", session_data="x", expire_date=now + timedelta(1))

    clear_expired_sessions()

    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
    assert periodic_jobs()["core.clear-expired-sessions"] is not None


# Anything shaped like an address, checked with ipaddress afterwards.
CANDIDATE = re.compile(
    r"(?<![\w.:])(?:[0-9a-f]*:[0-9a-f:.]*|(?:\d{1,3}\.){3}\d{1,3})(?![\w.:])", re.I
)


def ip_addresses_in(text):
    addresses = []
    for candidate in CANDIDATE.findall(text):
        try:
            addresses.append(str(ipaddress.ip_address(candidate)))
        except ValueError:
            continue
    return addresses


def ip_addresses_in_the_database():
    """Every IP address stored anywhere: in any text, address or JSON column of any table."""
    found = []
    for model in apps.get_models():
        columns = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(
                field,
                (
                    models.CharField,
                    models.TextField,
                    models.JSONField,
                    models.GenericIPAddressField,
                ),
            )
        ]
        if not columns:
            continue
        for row in model.objects.values("pk", *columns):
            text = json.dumps(row, default=str)
            for match in ip_addresses_in(text):
                found.append((model._meta.label, row["pk"], match))
    return found


@pytest.mark.django_db
def test_after_the_retention_jobs_no_old_ip_address_is_left_anywhere(settings, monkeypatch):
    """Readers' addresses go in every place that keeps one (consent evidence, a provider's
    event with the payer's IP), all older than every limit; the worker's jobs run; then no
    IP address is left in any column of any table."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    long_ago = timezone.now() - timedelta(days=400)
    reader = Subscriber.objects.create(email="reader@example.org", status="confirmed")
    record = ConsentRecord.objects.create(
        subscriber=reader,
        action=ConsentRecord.Action.OPT_IN,
        ip_address="203.0.113.9",
        user_agent="Browser/1.0",
    )
    event = ProviderEvent.objects.create(
        provider="stripe",
        provider_event_id="evt_old",
        event_type="setup_intent.succeeded",
        payload={
            "id": "evt_old",
            "data": {
                "object": {
                    "mandate_data": {
                        "customer_acceptance": {
                            "online": {"ip_address": "2001:db8:7:8::9", "user_agent": "Browser/1.0"}
                        }
                    },
                    "client_ip": "198.51.100.23",
                }
            },
        },
    )
    ConsentRecord.objects.filter(pk=record.pk).update(created_at=long_ago)
    ProviderEvent.objects.filter(pk=event.pk).update(received_at=long_ago)
    assert {address for _model, _pk, address in ip_addresses_in_the_database()} == {
        "203.0.113.9",
        "2001:db8:7:8::9",
        "198.51.100.23",
    }

    # Every job the worker runs, once each, as one scheduler pass does (here inside the test's
    # transaction, which the scheduler's closing of connections would end).
    monkeypatch.setattr(scheduler, "_last_run", {})
    for job in periodic_jobs().values():
        job()

    assert ip_addresses_in_the_database() == []
    record.refresh_from_db()
    assert record.action == ConsentRecord.Action.OPT_IN
