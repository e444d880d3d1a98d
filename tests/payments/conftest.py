"""Fixtures for the payments tests: Stripe settings with test keys, a handler for the
"test" purpose that records what it receives, and Stripe's API answered from recorded
responses at the HTTP layer."""

import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe

from masthead.payments import registry
from masthead.payments.providers import stripe as stripe_provider

RECORDED = Path(__file__).parent / "recorded"


@pytest.fixture
def stripe_settings(settings):
    settings.PAYMENTS_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test"
    settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300
    settings.STRIPE_PAYMENT_METHOD_TYPES = ["card"]
    settings.STRIPE_ENABLE_BACS = False
    settings.STRIPE_API_BASE = ""
    return settings


@pytest.fixture
def received():
    """Events the "test" purpose's handler received, in order."""
    events = []
    registry.register_handler("test", events.append)
    yield events
    registry.unregister_handler("test")


class RecordedHTTPClient(stripe.HTTPClient):
    """Answers Stripe API requests with recorded JSON bodies and keeps every request."""

    name = "recorded"

    def __init__(self, responses):
        super().__init__()
        self.responses = responses
        self.requests = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        self.requests.append(
            {
                "method": method.upper(),
                "path": parts.path,
                "query": dict(parse_qsl(parts.query)),
                "headers": dict(headers or {}),
                "params": dict(parse_qsl(post_data or "", keep_blank_values=True)),
            }
        )
        key = f"{method.upper()} {parts.path}"
        if key not in self.responses:
            body = {"error": {"type": "invalid_request_error", "message": f"No record: {key}"}}
            return json.dumps(body), 404, {}
        status, name = self.responses[key]
        return (RECORDED / name).read_text(), status, {"request-id": "req_recorded"}

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        raise NotImplementedError("Masthead makes no streaming Stripe requests.")

    def close(self):
        return None


@pytest.fixture(autouse=True)
def stripe_api(monkeypatch):
    """Route the Stripe provider's HTTP through a recorded-response client, in every test
    here so nothing can reach the network; add answers with
    ``stripe_api.responses["POST /v1/..."] = (200, "file.json")``."""
    client = RecordedHTTPClient({})
    monkeypatch.setattr(stripe_provider, "http_client", client)
    return client
