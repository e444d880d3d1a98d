"""HTTP Signatures: signing what Masthead sends, verifying what it receives.

Outgoing requests are signed as Mastodon signs them by default (draft-cavage-http-signatures,
``rsa-sha256`` over ``(request-target) host date digest``; GETs over the first three), because
that is what every fediverse server accepts today.

Incoming requests may be signed either way:

- draft-cavage: the ``Signature`` header (``keyId``, ``algorithm``, ``headers``,
  ``signature``); RSA keys are checked with PKCS#1 v1.5 / SHA-256 (``rsa-sha256`` and
  ``hs2019``), Ed25519 keys with Ed25519;
- RFC 9421: ``Signature-Input`` and ``Signature`` as structured fields, with the algorithms
  ``rsa-v1_5-sha256``, ``rsa-pss-sha512`` and ``ed25519`` (taken from the key when ``alg`` is
  absent), the derived components ``@method``, ``@target-uri``, ``@authority``, ``@scheme``,
  ``@path``, ``@query`` and ``@request-target``, and plain header fields.

Either way a POST must cover its body's digest (``Digest`` or ``Content-Digest``), the digest
must match the body, and the signature's date must lie inside SOCIAL_SIGNATURE_WINDOW_SECONDS.
This module knows nothing of actors: the caller gives it a function that finds the public
key for a key id, and does the replay check with the returned signature.
"""

import base64
import hashlib
import re
import time
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from django.utils import timezone


class SignatureError(Exception):
    """The request's signature is missing, malformed, stale or wrong (answered with 401)."""


@dataclass
class IncomingRequest:
    """What verification needs of a request, independent of Django's request object."""

    method: str
    url: str  # absolute, as the sender addressed it
    headers: dict  # lower-case names
    body: bytes


@dataclass
class VerifiedSignature:
    """A signature that checked out: whose key made it, and the signature's own bytes (for
    the replay check)."""

    key_id: str
    signature: bytes
    covered: tuple


def http_date(moment=None):
    return format_datetime(moment or timezone.now(), usegmt=True)


def sha256_digest_header(body):
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def sign_request(method, url, private_key, key_id, body=None, date=None):
    """Headers that sign a request draft-cavage style (Mastodon's default): Host, Date, Digest
    (with a body) and Signature. ``body`` is the exact bytes to be sent."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    headers = {"Host": parts.netloc, "Date": date or http_date()}
    signed = [("(request-target)", f"{method.lower()} {target}")]
    signed += [("host", headers["Host"]), ("date", headers["Date"])]
    if body is not None:
        headers["Digest"] = sha256_digest_header(body)
        signed.append(("digest", headers["Digest"]))
    signing_string = "\n".join(f"{name}: {value}" for name, value in signed)
    signature = private_key.sign(signing_string.encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",'
        f'headers="{" ".join(name for name, _value in signed)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return headers


def verify_request(request, find_key, window_seconds, now=None):
    """Check ``request``'s signature (RFC 9421 when it has Signature-Input, draft-cavage
    otherwise) with the key ``find_key(key_id, refresh)`` returns; raise SignatureError or
    return a VerifiedSignature. ``find_key`` is called again with ``refresh=True`` once if the
    cached key does not verify (the sender may have rotated its key)."""
    now = now if now is not None else time.time()
    if "signature-input" in request.headers:
        check = _parse_rfc9421(request, window_seconds, now)
    elif "signature" in request.headers:
        check = _parse_cavage(request, window_seconds, now)
    else:
        raise SignatureError("The request is not signed.")
    if request.method.upper() == "POST":
        _check_body_digest(request, check.covered)
    for refresh in (False, True):
        key = find_key(check.key_id, refresh)
        if key is not None and _signature_matches(key, check):
            return VerifiedSignature(check.key_id, check.signature, check.covered)
    raise SignatureError("The signature does not match the sender's key.")


@dataclass
class _Check:
    key_id: str
    algorithm: str
    base: bytes
    signature: bytes
    covered: tuple


def _signature_matches(key, check):
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            if check.algorithm not in ("", "ed25519", "hs2019"):
                return False
            key.verify(check.signature, check.base)
        elif isinstance(key, rsa.RSAPublicKey):
            if check.algorithm == "rsa-pss-sha512":
                key.verify(
                    check.signature,
                    check.base,
                    padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64),
                    hashes.SHA512(),
                )
            elif check.algorithm in ("", "rsa-sha256", "hs2019", "rsa-v1_5-sha256"):
                key.verify(check.signature, check.base, padding.PKCS1v15(), hashes.SHA256())
            else:
                return False
        else:
            return False
    except InvalidSignature:
        return False
    return True


# --- draft-cavage ---------------------------------------------------------------------------

_CAVAGE_PARAM = re.compile(r'\s*([a-zA-Z]+)\s*=\s*"([^"]*)"\s*(?:,|$)')


def _parse_cavage_header(value):
    params = {}
    position = 0
    while position < len(value):
        match = _CAVAGE_PARAM.match(value, position)
        if not match:
            raise SignatureError("The Signature header is malformed.")
        params[match.group(1)] = match.group(2)
        position = match.end()
    if "keyId" not in params or "signature" not in params:
        raise SignatureError("The Signature header lacks keyId or signature.")
    return params


def _parse_cavage(request, window_seconds, now):
    params = _parse_cavage_header(request.headers["signature"])
    names = params.get("headers", "date").lower().split()
    parts = urlsplit(request.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {request.method.lower()} {target}")
        elif name == "(created)":
            lines.append(f"(created): {params.get('created', '')}")
        elif name == "(expires)":
            lines.append(f"(expires): {params.get('expires', '')}")
        elif name in request.headers:
            lines.append(f"{name}: {request.headers[name]}")
        else:
            raise SignatureError(f"The signed header {name!r} is missing.")
    required = {"(request-target)", "host"}
    if not required <= set(names):
        raise SignatureError("The signature must cover (request-target) and host.")
    if "date" in names:
        _check_time(_parse_http_date(request.headers["date"]), window_seconds, now)
    elif "(created)" in names:
        _check_time(_integer(params.get("created")), window_seconds, now)
    else:
        raise SignatureError("The signature must cover the date.")
    return _Check(
        key_id=params["keyId"],
        algorithm=params.get("algorithm", "").lower(),
        base="\n".join(lines).encode(),
        signature=_b64decode(params["signature"]),
        covered=tuple(names),
    )


# --- RFC 9421 -------------------------------------------------------------------------------

_LABEL = r"([a-z*][a-z0-9_\-.*]*)"
_INNER_LIST = re.compile(r"\s*" + _LABEL + r'=(\((?:[^()"]|"[^"]*")*\)(?:;[^,]*)?)\s*(?:,|$)')
_SIGNATURE_MEMBER = re.compile(r"\s*" + _LABEL + r"=:([A-Za-z0-9+/=]*):\s*(?:,|$)")
_QUOTED = re.compile(r'"([^"]*)"')
_PARAM = re.compile(r';([a-z0-9_\-.*]+)=("([^"]*)"|-?\d+)')


def _members(pattern, value, what):
    members = {}
    position = 0
    while position < len(value):
        match = pattern.match(value, position)
        if not match:
            raise SignatureError(f"The {what} header is malformed.")
        members[match.group(1)] = match.group(2)
        position = match.end()
    return members


def _parse_rfc9421(request, window_seconds, now):
    inputs = _members(_INNER_LIST, request.headers["signature-input"], "Signature-Input")
    signatures = _members(_SIGNATURE_MEMBER, request.headers.get("signature", ""), "Signature")
    label = next((name for name in inputs if name in signatures), None)
    if label is None:
        raise SignatureError("No signature matches a Signature-Input label.")
    serialized = inputs[label]
    closing = serialized.index(")")
    components = _QUOTED.findall(serialized[: closing + 1])
    params = {
        match.group(1): match.group(3) if match.group(3) is not None else match.group(2)
        for match in _PARAM.finditer(serialized[closing + 1 :])
    }
    if "keyid" not in params:
        raise SignatureError("The signature has no keyid.")
    created = _integer(params.get("created"))
    _check_time(created, window_seconds, now)
    if "expires" in params and _integer(params["expires"]) < now:
        raise SignatureError("The signature has expired.")
    if not ({"@target-uri", "@request-target", "@path"} & set(components)):
        raise SignatureError("The signature must cover the request's target.")
    lines = [f'"{name}": {_component(request, name)}' for name in components]
    lines.append(f'"@signature-params": {serialized}')
    return _Check(
        key_id=params["keyid"],
        algorithm=params.get("alg", "").lower(),
        base="\n".join(lines).encode(),
        signature=_b64decode(signatures[label]),
        covered=tuple(components),
    )


def _component(request, name):
    parts = urlsplit(request.url)
    derived = {
        "@method": request.method.upper(),
        "@target-uri": request.url,
        "@authority": parts.netloc.lower(),
        "@scheme": parts.scheme.lower(),
        "@path": parts.path or "/",
        "@query": "?" + parts.query,
        "@request-target": (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
    }
    if name in derived:
        return derived[name]
    if name.startswith("@") or name not in request.headers:
        raise SignatureError(f"The signed component {name!r} is missing or not supported.")
    return request.headers[name].strip()


# --- shared checks --------------------------------------------------------------------------


def _check_body_digest(request, covered):
    if "content-digest" in covered and "content-digest" in request.headers:
        members = dict(
            re.findall(r"([a-z0-9\-]+)=:([A-Za-z0-9+/=]*):", request.headers["content-digest"])
        )
        expected = {
            "sha-256": hashlib.sha256(request.body).digest(),
            "sha-512": hashlib.sha512(request.body).digest(),
        }
        known = {name: value for name, value in members.items() if name in expected}
        if not known:
            raise SignatureError("Content-Digest names no supported algorithm.")
        if any(_b64decode(value) != expected[name] for name, value in known.items()):
            raise SignatureError("The body does not match its Content-Digest.")
        return
    if "digest" in covered and "digest" in request.headers:
        algorithm, _sep, value = request.headers["digest"].partition("=")
        if algorithm.strip().upper() != "SHA-256":
            raise SignatureError("Digest must be SHA-256.")
        if _b64decode(value.strip()) != hashlib.sha256(request.body).digest():
            raise SignatureError("The body does not match its Digest.")
        return
    raise SignatureError("A signed POST must cover its body's digest.")


def _check_time(timestamp, window_seconds, now):
    if abs(now - timestamp) > window_seconds:
        raise SignatureError("The signature's date is outside the accepted window.")


def _parse_http_date(value):
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError) as error:
        raise SignatureError("The Date header is not a valid HTTP date.") from error


def _integer(value):
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise SignatureError("The signature's created time is missing or not a number.") from error


def _b64decode(value):
    try:
        return base64.b64decode(value, validate=True)
    except ValueError as error:
        raise SignatureError("A base64 value in the signature is malformed.") from error
