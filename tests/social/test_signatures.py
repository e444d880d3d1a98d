"""HTTP Signatures, checked against independent implementations: what Masthead signs must
verify with pyhttpsig (draft-cavage), and what pyhttpsig and http-message-signatures
(RFC 9421) sign must verify with Masthead; tampering, staleness and wrong keys must not."""

import json
import time
from datetime import UTC, datetime, timedelta
from email.utils import formatdate

import httpsig
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from masthead.social import signatures
from masthead.social.keys import load_private_key, new_key_pair
from tests.social.fediverse import FakeInstance, cavage_headers, rfc9421_headers

INBOX = "http://127.0.0.1:8000/social/inbox"
BODY = json.dumps({"type": "Like", "actor": "x"}).encode()
WINDOW = 3600


@pytest.fixture(scope="module")
def remote_users():
    server = FakeInstance("127.0.0.1")
    server.port = 9
    return {
        "rsa": server.add_user("alice"),
        "other": server.add_user("mallory"),
        "ed25519": server.add_user("edna", key_type="ed25519"),
    }


def incoming(method, url, headers, body=b""):
    return signatures.IncomingRequest(
        method=method,
        url=url,
        headers={name.lower(): value for name, value in headers.items()},
        body=body,
    )


def key_of(user):
    return lambda key_id, refresh: user.private_key.public_key()


def test_masthead_post_signature_verifies_with_pyhttpsig():
    private_pem, public_pem = new_key_pair()
    url = "http://127.0.0.5:4321/inbox"
    headers = signatures.sign_request(
        "POST", url, load_private_key(private_pem), "https://news.example/actor#main-key", BODY
    )
    verifier = httpsig.HeaderVerifier(
        headers,
        public_pem,
        required_headers=["(request-target)", "host", "date", "digest"],
        method="POST",
        path="/inbox",
        sign_header="signature",
    )
    assert verifier.verify()
    assert 'algorithm="rsa-sha256"' in headers["Signature"]
    assert 'headers="(request-target) host date digest"' in headers["Signature"]


def test_masthead_get_signature_verifies_with_pyhttpsig_and_fails_when_altered():
    private_pem, public_pem = new_key_pair()
    headers = signatures.sign_request(
        "GET", "http://127.0.0.5:4321/users/alice?x=1", load_private_key(private_pem), "k"
    )
    ok = httpsig.HeaderVerifier(
        headers, public_pem, method="GET", path="/users/alice?x=1", sign_header="signature"
    )
    assert ok.verify()
    altered = httpsig.HeaderVerifier(
        headers, public_pem, method="GET", path="/users/bob?x=1", sign_header="signature"
    )
    assert not altered.verify()


def test_cavage_request_signed_by_pyhttpsig_verifies(remote_users):
    user = remote_users["rsa"]
    headers = cavage_headers(user, "POST", INBOX, BODY)
    checked = signatures.verify_request(
        incoming("POST", INBOX, headers, BODY), key_of(user), WINDOW
    )
    assert checked.key_id == user.key_id


@pytest.mark.parametrize(
    "algorithm,user",
    [
        ("rsa-v1_5-sha256", "rsa"),
        ("rsa-pss-sha512", "rsa"),
        ("ed25519", "ed25519"),
    ],
)
def test_rfc9421_request_signed_by_http_message_signatures_verifies(remote_users, algorithm, user):
    signer = remote_users[user]
    headers = rfc9421_headers(signer, "POST", INBOX, BODY, algorithm=algorithm)
    checked = signatures.verify_request(
        incoming("POST", INBOX, headers, BODY), key_of(signer), WINDOW
    )
    assert checked.key_id == signer.key_id
    assert "content-digest" in checked.covered


@pytest.mark.parametrize("style", ["cavage", "rfc9421"])
def test_a_changed_body_is_refused(remote_users, style):
    user = remote_users["rsa"]
    make = cavage_headers if style == "cavage" else rfc9421_headers
    headers = make(user, "POST", INBOX, BODY)
    with pytest.raises(signatures.SignatureError, match="does not match its"):
        signatures.verify_request(
            incoming("POST", INBOX, headers, BODY + b" "), key_of(user), WINDOW
        )


@pytest.mark.parametrize("style", ["cavage", "rfc9421"])
def test_another_key_is_refused(remote_users, style):
    make = cavage_headers if style == "cavage" else rfc9421_headers
    headers = make(remote_users["other"], "POST", INBOX, BODY)
    with pytest.raises(signatures.SignatureError, match="does not match the sender's key"):
        signatures.verify_request(
            incoming("POST", INBOX, headers, BODY), key_of(remote_users["rsa"]), WINDOW
        )


def test_a_request_to_another_address_is_refused(remote_users):
    user = remote_users["rsa"]
    headers = cavage_headers(user, "POST", "http://127.0.0.1:8000/social/actors/news/inbox", BODY)
    with pytest.raises(signatures.SignatureError):
        signatures.verify_request(incoming("POST", INBOX, headers, BODY), key_of(user), WINDOW)


def test_stale_signatures_are_refused(remote_users):
    user = remote_users["rsa"]
    old = formatdate(time.time() - 2 * WINDOW, usegmt=True)
    headers = cavage_headers(user, "POST", INBOX, BODY, date=old)
    with pytest.raises(signatures.SignatureError, match="outside the accepted window"):
        signatures.verify_request(incoming("POST", INBOX, headers, BODY), key_of(user), WINDOW)
    created = datetime.now(UTC) - timedelta(seconds=2 * WINDOW)
    headers = rfc9421_headers(user, "POST", INBOX, BODY, created=created)
    with pytest.raises(signatures.SignatureError, match="outside the accepted window"):
        signatures.verify_request(incoming("POST", INBOX, headers, BODY), key_of(user), WINDOW)


def test_a_post_without_a_signed_digest_is_refused(remote_users):
    user = remote_users["rsa"]
    headers = cavage_headers(user, "POST", INBOX)  # signs no digest
    with pytest.raises(signatures.SignatureError, match="digest"):
        signatures.verify_request(incoming("POST", INBOX, headers, BODY), key_of(user), WINDOW)


def test_unsigned_and_malformed_requests_are_refused(remote_users):
    with pytest.raises(signatures.SignatureError, match="not signed"):
        signatures.verify_request(incoming("POST", INBOX, {}, BODY), key_of(None), WINDOW)
    for header in ('keyId="a"', "garbage", 'keyId="a",signature="***"'):
        with pytest.raises(signatures.SignatureError):
            signatures.verify_request(
                incoming("GET", INBOX, {"signature": header, "host": "h", "date": "x"}),
                key_of(remote_users["rsa"]),
                WINDOW,
            )


def test_a_rotated_key_is_refetched_once(remote_users):
    user = remote_users["rsa"]
    headers = cavage_headers(user, "POST", INBOX, BODY)
    stale_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    asked = []

    def find_key(key_id, refresh):
        asked.append(refresh)
        return user.private_key.public_key() if refresh else stale_key

    signatures.verify_request(incoming("POST", INBOX, headers, BODY), find_key, WINDOW)
    assert asked == [False, True]
