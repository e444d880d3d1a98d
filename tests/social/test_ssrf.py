"""The address check at connection time: a name that passed the check before a request
(or a delivery, whose inbox came from an actor document) must still not reach a private
address when connected, as with DNS rebinding. The fake servers live on loopback, which
is exactly what production refuses."""

import pytest
import urllib3

from masthead.social import fetching, networks


@pytest.fixture
def private_refused(settings, monkeypatch):
    settings.SOCIAL_ALLOW_PRIVATE_ADDRESSES = False
    # A pool of the test's own, so no connection kept alive by an earlier test is reused.
    monkeypatch.setattr(fetching, "_pool", None)


def test_a_delivery_post_never_connects_to_a_private_address(private_refused, fediverse):
    server = fediverse()
    with pytest.raises(urllib3.exceptions.NewConnectionError, match="non-public address"):
        fetching.post(server.shared_inbox_url, b"{}", {})
    assert server.received == []


def test_a_name_checked_as_public_that_then_resolves_privately_is_refused_on_connect(
    private_refused, fediverse, monkeypatch
):
    server = fediverse()
    alice = server.add_user("alice")
    # DNS rebinding: the name looked public when it was checked, and is loopback now.
    monkeypatch.setattr(fetching, "check_public_url", lambda url: None)
    with pytest.raises(fetching.FetchError, match="non-public address"):
        fetching.fetch_json(alice.uri, {})
    assert server.fetches == []


def test_posting_to_a_network_is_refused_the_same_way(private_refused, fediverse, monkeypatch):
    server = fediverse()
    monkeypatch.setattr(fetching, "check_public_url", lambda url: None)
    with pytest.raises(networks.PostError):
        networks._request("POST", f"{server.base}/api/v1/statuses", body=b"{}")
    assert server.received == []


def test_with_private_addresses_allowed_the_same_post_arrives(settings, monkeypatch, fediverse):
    settings.SOCIAL_ALLOW_PRIVATE_ADDRESSES = True
    monkeypatch.setattr(fetching, "_pool", None)
    server = fediverse()
    assert fetching.post(server.shared_inbox_url, b"{}", {}) == 202
    assert len(server.received) == 1
