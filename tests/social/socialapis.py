"""Fake Mastodon, Bluesky (AT Protocol) and Threads (Graph API) servers for the posting tests.

One real HTTP server on a loopback address answers all three APIs. It checks each request
the way the real service does (the bearer token or access token, the fields each endpoint
requires, Mastodon's Idempotency-Key, Bluesky's blob references and facet byte ranges) and
answers JSON in the shape the services answer (ids, URLs, AT URIs, error bodies), so nothing
touches the internet. ``fail_next`` makes the next matching requests answer an error (a 429
with Retry-After, a 500, a 401), before or after doing the work (an answer lost on the way).
"""

import email.parser
import email.policy
import hashlib
import itertools
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = "mastodon-token-0123456789"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
HANDLE = "news.example.social"
DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
THREADS_USER = "17841400000000000"
THREADS_TOKEN = "THQVJthreads-token-0123"
ACCESS_JWT = "eyJ0eXAiOiJhdCtqd3QifQ.access"


@dataclass
class Failure:
    path: str
    status: int
    headers: dict
    after: bool  # do the work, then answer the error (the answer is "lost")


class FakeSocialAPI:
    """The three APIs on ``http://<address>:<port>``; what was posted is kept to check."""

    def __init__(self, address):
        self.address = address
        self.requests = []
        self.media = {}
        self.statuses = {}
        self.idempotency = {}
        self.blobs = {}
        self.records = {}
        self.containers = {}
        self.threads = {}
        self.failures = []
        # Pictures Mastodon "processes" for this many GET /api/v1/media/:id (202, then 206).
        self.processing_checks = 0
        self.lock = threading.Lock()
        self.ids = itertools.count(109_000)
        self.server = ThreadingHTTPServer((address, 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self):
        return f"http://{self.address}:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, path, status, times=1, retry_after=None, after=False):
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.failures.extend(Failure(path, status, headers, after) for _ in range(times))

    def paths(self):
        return [path for _method, path, _headers in self.requests]

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.handle_request("GET", b"")

            def do_POST(self):
                self.handle_request("POST", self.rfile.read(int(self.headers["Content-Length"])))

            def handle_request(self, method, body):
                path = urlsplit(self.path).path
                with api.lock:
                    api.requests.append((method, path, dict(self.headers)))
                    failure = next((f for f in api.failures if path.endswith(f.path)), None)
                    if failure is not None:
                        api.failures.remove(failure)
                    if failure is not None and not failure.after:
                        return self.answer(failure.status, {"error": "Failed"}, failure.headers)
                    status, document = api.route(method, self.path, self.headers, body)
                if failure is not None:
                    return self.answer(failure.status, {"error": "Failed"}, failure.headers)
                self.answer(status, document)

            def answer(self, status, document, headers=None):
                data = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def route(self, method, target, headers, body):
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        if path.startswith("/api/"):
            return self.mastodon(method, path, headers, body)
        if path.startswith("/xrpc/"):
            return self.bluesky(method, path[len("/xrpc/") :], query, headers, body)
        if path.startswith("/v1.0/"):
            return self.graph(method, path[len("/v1.0/") :], query, headers, body)
        return 404, {"error": "Not found"}

    # Mastodon ---------------------------------------------------------------------------

    def mastodon(self, method, path, headers, body):
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {"error": "The access token is invalid"}
        if method == "POST" and path == "/api/v2/media":
            fields = multipart_fields(headers["Content-Type"], body)
            if "file" not in fields:
                return 422, {"error": "Validation failed: File can't be blank"}
            media_id = str(next(self.ids))
            self.media[media_id] = {
                "id": media_id,
                "type": "image",
                "url": f"{self.base}/system/media/{media_id}.jpg",
                "description": fields.get("description", b"").decode(),
                "bytes": len(fields["file"]),
                "pending": self.processing_checks,
            }
            return (202 if self.processing_checks else 200), self.media[media_id]
        if method == "GET" and path.startswith("/api/v1/media/"):
            media = self.media.get(path.rsplit("/", 1)[1])
            if media is None:
                return 404, {"error": "Record not found"}
            if media["pending"]:
                media["pending"] -= 1
                return 206, media
            return 200, media
        if method == "POST" and path == "/api/v1/statuses":
            key = headers.get("Idempotency-Key")
            if not key:
                return 422, {"error": "Test server: an Idempotency-Key is required"}
            if key in self.idempotency:
                return 200, self.statuses[self.idempotency[key]]
            payload = json.loads(body)
            text = payload.get("status", "")
            if not text.strip():
                return 422, {"error": "Validation failed: Text can't be blank"}
            if mastodon_length(text) > 500:
                return 422, {"error": "Validation failed: Text character limit of 500 exceeded"}
            media_ids = payload.get("media_ids", [])
            if any(m not in self.media or self.media[m]["pending"] for m in media_ids):
                return 422, {"error": "Cannot attach files that have not finished processing"}
            status_id = str(next(self.ids))
            self.statuses[status_id] = {
                "id": status_id,
                "uri": f"{self.base}/users/news/statuses/{status_id}",
                "url": f"{self.base}/@news/{status_id}",
                "content": text,
                "visibility": payload.get("visibility"),
                "media_attachments": [self.media[m] for m in payload.get("media_ids", [])],
            }
            self.idempotency[key] = status_id
            return 200, self.statuses[status_id]
        return 404, {"error": "Record not found"}

    # Bluesky ----------------------------------------------------------------------------

    def bluesky(self, method, name, query, headers, body):
        if name == "com.atproto.server.createSession":
            payload = json.loads(body)
            if payload != {"identifier": HANDLE, "password": APP_PASSWORD}:
                return 401, {
                    "error": "AuthenticationRequired",
                    "message": "Invalid identifier or password",
                }
            return 200, {"accessJwt": ACCESS_JWT, "refreshJwt": "r", "handle": HANDLE, "did": DID}
        if headers.get("Authorization") != f"Bearer {ACCESS_JWT}":
            return 401, {"error": "AuthenticationRequired", "message": "Invalid token"}
        if name == "com.atproto.repo.uploadBlob":
            if not headers.get("Content-Type", "").startswith("image/") or len(body) > 1_000_000:
                return 400, {"error": "InvalidRequest", "message": "Not an image under 1 MB"}
            cid = "bafkrei" + hashlib.sha256(body).hexdigest()[:52]
            blob = {
                "$type": "blob",
                "ref": {"$link": cid},
                "mimeType": headers["Content-Type"],
                "size": len(body),
            }
            self.blobs[cid] = blob
            return 200, {"blob": blob}
        if name == "com.atproto.repo.getRecord":
            rkey = query["rkey"][0]
            if query["repo"][0] != DID or rkey not in self.records:
                return 400, {"error": "RecordNotFound", "message": "Could not locate record"}
            return 200, {"uri": self.at_uri(rkey), "cid": "bafyrei1", "value": self.records[rkey]}
        if name == "com.atproto.repo.createRecord":
            payload = json.loads(body)
            problem = self.check_post(payload)
            if problem:
                return 400, {"error": "InvalidRequest", "message": problem}
            self.records[payload["rkey"]] = payload["record"]
            return 200, {"uri": self.at_uri(payload["rkey"]), "cid": "bafyreib2rxk3rh6kzwq"}
        return 501, {"error": "MethodNotImplemented"}

    def at_uri(self, rkey):
        return f"at://{DID}/app.bsky.feed.post/{rkey}"

    def check_post(self, payload):
        """What the PDS and the app view refuse in a post, or None."""
        record = payload.get("record", {})
        if payload.get("repo") != DID or payload.get("collection") != "app.bsky.feed.post":
            return "Wrong repo or collection"
        if len(payload.get("rkey", "")) != 13 or payload["rkey"] in self.records:
            return "Record key is not a new TID"
        if record.get("$type") != "app.bsky.feed.post" or not record.get("createdAt"):
            return "Not a post"
        if len(record["text"]) > 300 or len(record["text"].encode()) > 3000:
            return "Record/text must not be longer than 300 graphemes"
        data = record["text"].encode()
        for facet in record.get("facets", []):
            piece = data[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode()
            feature = facet["features"][0]
            if feature["$type"].endswith("#tag") and piece != "#" + feature["tag"]:
                return f"Tag facet over {piece!r}"
            if feature["$type"].endswith("#link") and not piece:
                return "Empty link facet"
        embed = record.get("embed", {})
        if embed.get("$type") != "app.bsky.embed.external":
            return "No link card"
        thumb = embed["external"].get("thumb")
        if thumb is not None and thumb.get("ref", {}).get("$link") not in self.blobs:
            return "Thumbnail blob was not uploaded"
        return None

    # Threads ----------------------------------------------------------------------------

    def graph(self, method, path, query, headers, body):
        fields = {key: values[0] for key, values in {**query, **parse_qs(body.decode())}.items()}
        if fields.get("access_token") != THREADS_TOKEN:
            return 400, {
                "error": {
                    "message": "Invalid OAuth access token.",
                    "type": "OAuthException",
                    "code": 190,
                }
            }
        if method == "POST" and path == f"{THREADS_USER}/threads":
            if fields.get("media_type") != "TEXT" or not fields.get("text"):
                return 400, {"error": {"message": "Param media_type must be TEXT", "code": 100}}
            if len(fields["text"]) > 500:
                return 400, {"error": {"message": "Text too long", "code": 100}}
            container = str(next(self.ids))
            self.containers[container] = {**fields, "status": "FINISHED"}
            return 200, {"id": container}
        if method == "POST" and path == f"{THREADS_USER}/threads_publish":
            container = self.containers.get(fields.get("creation_id"))
            if container is None or container["status"] != "FINISHED":
                return 400, {"error": {"message": "Invalid creation_id", "code": 100}}
            media_id = str(next(self.ids))
            container["status"] = "PUBLISHED"
            self.threads[media_id] = container
            return 200, {"id": media_id}
        if method == "GET" and path in self.containers and fields.get("fields") == "status":
            return 200, {"id": path, "status": self.containers[path]["status"]}
        if method == "GET" and path in self.threads:
            return 200, {"id": path, "permalink": self.permalink(path)}
        if method == "GET" and path == f"{THREADS_USER}/threads":
            newest = sorted(self.threads, reverse=True)[: int(fields.get("limit", 25))]
            return 200, {
                "data": [
                    {"id": i, "permalink": self.permalink(i), "text": self.threads[i]["text"]}
                    for i in newest
                ]
            }
        return 400, {"error": {"message": "Unsupported request", "code": 100}}

    def permalink(self, media_id):
        return f"https://www.threads.net/@news/post/C{media_id}"


def multipart_fields(content_type, body):
    """The parts of a multipart/form-data body, by name, as bytes."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    return {
        part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
        for part in message.iter_parts()
    }


def mastodon_length(text):
    """Mastodon's count: every http(s) link is 23 characters."""
    return sum(
        23 if word.startswith(("http://", "https://")) else len(word)
        for word in text.replace("\n", " ").split(" ")
    ) + text.replace("\n", " ").count(" ")
