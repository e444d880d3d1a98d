"""The purpose registry: domains register handlers; payments dispatches by purpose."""

import pytest

from masthead.payments import events, registry


def _event(purpose):
    return events.CheckoutExpired(
        provider="demo", provider_event_id="evt_1", purpose=purpose, reference="r", checkout_id="c"
    )


@pytest.fixture
def purpose():
    yield "registry-test"
    registry.unregister_handler("registry-test")


def test_dispatch_calls_the_handler_for_the_events_purpose(purpose):
    seen = []
    registry.register_handler(purpose, seen.append)
    registry.dispatch(_event(purpose))
    assert seen == [_event(purpose)]
    assert purpose in registry.registered_purposes()


def test_unknown_purpose_raises(purpose):
    with pytest.raises(registry.UnknownPurpose):
        registry.dispatch(_event(purpose))


def test_a_second_different_handler_for_a_purpose_is_refused(purpose):
    def first(event):
        return None

    def second(event):
        return None

    registry.register_handler(purpose, first)
    registry.register_handler(purpose, first)
    with pytest.raises(ValueError, match="already registered"):
        registry.register_handler(purpose, second)


def test_payments_imports_no_domain_app():
    from pathlib import Path

    import masthead.payments

    package = Path(masthead.payments.__file__).parent
    sources = "\n".join(path.read_text() for path in package.rglob("*.py"))
    for domain in ("donations", "shop", "publishing", "newsletter"):
        assert f"masthead.{domain}" not in sources
