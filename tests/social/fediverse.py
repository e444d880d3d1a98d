"""A fake fediverse for the social tests: real HTTP servers on loopback addresses
(127.0.0.x, so each is a server with its own domain), each hosting actors with their own keys
and a shared inbox, and able to be slow, to fail, or to go away.

Requests to Masthead are signed with independent libraries, not Masthead's own code:
``pyhttpsig`` (draft-cavage, as Mastodon signs) and ``http-message-signatures`` (RFC 9421).
"""

import base64
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpsig
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from http_message_signatures import HTTPMessageSigner, algorithms
from http_message_signatures.resolvers import HTTPSignatureKeyResolver


@dataclass
class ReceivedPost:
    """A POST a fake server received: its path, headers (lower-case names) and body."""

    method: str
    path: str
    headers: dict
    body: bytes

    @property
    def activity(self):
        return json.loads(self.body)


@dataclass
class RemoteUser:
    """An actor on a fake server, with its private key for signing."""

    instance: "FakeInstance"
    name: str
    private_key: object
    key_type: str = "rsa"

    @property
    def uri(self):
        return f"{self.instance.base}/users/{self.name}"

    @property
    def key_id(self):
        return f"{self.uri}#main-key"

    @property
    def inbox(self):
        return f"{self.uri}/inbox"

    def private_pem(self):
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_pem(self):
        return (
            self.private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def document(self):
        document = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.uri,
            "type": "Person",
            "preferredUsername": self.name,
            "name": self.name.title(),
            "inbox": self.inbox,
            "outbox": f"{self.uri}/outbox",
            "publicKey": {"id": self.key_id, "owner": self.uri, "publicKeyPem": self.public_pem()},
        }
        if self.instance.shared_inbox:
            document["endpoints"] = {"sharedInbox": f"{self.instance.base}/inbox"}
        return document


@dataclass
class FakeInstance:
    """One fake fediverse server on ``address`` (a loopback address of its own)."""

    address: str
    behaviour: str = "ok"  # ok | slow | failing
    delay: float = 0.0
    shared_inbox: bool = True
    users: dict = field(default_factory=dict)
    received: list = field(default_factory=list)
    fetches: list = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def start(self):
        instance = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _headers(self):
                return {name.lower(): value for name, value in self.headers.items()}

            def _answer(self, status, body=b"", content_type="application/activity+json"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                instance.fetches.append(ReceivedPost("GET", self.path, self._headers(), b""))
                name = self.path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
                user = instance.users.get(name)
                if not self.path.startswith("/users/") or user is None:
                    self._answer(404)
                    return
                self._answer(200, json.dumps(user.document()).encode())

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if instance.behaviour == "slow":
                    time.sleep(instance.delay)
                if instance.behaviour == "failing":
                    self._answer(503, b"down for maintenance", "text/plain")
                    return
                with instance.arrived:
                    instance.received.append(ReceivedPost("POST", self.path, self._headers(), body))
                    instance.arrived.notify_all()
                self._answer(202)

        self.server = ThreadingHTTPServer((self.address, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def base(self):
        return f"http://{self.address}:{self.port}"

    @property
    def shared_inbox_url(self):
        return f"{self.base}/inbox"

    def add_user(self, name, key_type="rsa"):
        if key_type == "ed25519":
            key = ed25519.Ed25519PrivateKey.generate()
        else:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        user = RemoteUser(self, name, key, key_type)
        self.users[name] = user
        return user

    def go_away(self):
        """Stop answering and close the port: connections are refused from now on."""
        self.server.shutdown()
        self.server.server_close()

    def stop(self):
        if self.thread.is_alive():
            self.go_away()


def cavage_headers(user, method, url, body=None, date=None):
    """Headers signing a request as Mastodon does, made by pyhttpsig (draft-cavage)."""
    parts = urlsplit(url)
    headers = {"Host": parts.netloc, "Date": date or formatdate(usegmt=True)}
    names = ["(request-target)", "host", "date"]
    if body is not None:
        headers["Digest"] = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
        names.append("digest")
    signer = httpsig.HeaderSigner(
        user.key_id,
        user.private_pem(),
        algorithm="rsa-sha256",
        headers=names,
        sign_header="signature",
    )
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return signer.sign(headers, host=parts.netloc, method=method, path=path)


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, user):
        self.user = user

    def resolve_private_key(self, key_id):
        return self.user.private_key

    def resolve_public_key(self, key_id):
        return self.user.private_key.public_key()


RFC9421_ALGORITHMS = {
    "rsa-v1_5-sha256": algorithms.RSA_V1_5_SHA256,
    "rsa-pss-sha512": algorithms.RSA_PSS_SHA512,
    "ed25519": algorithms.ED25519,
}


def rfc9421_headers(user, method, url, body, algorithm="rsa-v1_5-sha256", created=None):
    """Headers signing a request per RFC 9421, made by http-message-signatures."""
    request = requests.Request(method, url, data=body).prepare()
    signer = HTTPMessageSigner(
        signature_algorithm=RFC9421_ALGORITHMS[algorithm], key_resolver=_OneKey(user)
    )
    signer.sign(
        request,
        key_id=user.key_id,
        label="sig1",
        created=created,
        covered_component_ids=("@method", "@target-uri", "@authority"),
        body=body,
    )
    return {
        name: request.headers[name]
        for name in ("Signature-Input", "Signature", "Content-Digest")
        if name in request.headers
    }


def django_headers(headers):
    """Headers as keyword arguments of Django's test client."""
    return {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}
