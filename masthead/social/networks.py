"""Posting an article to Mastodon, Bluesky and Threads through their HTTP APIs.

Each ``post_to_<network>`` takes a ``NetworkPost`` (its account, text and idempotency key),
a ``Card`` (the article's link, title, description, hashtags and picture) and the post's
``progress`` (a dict of what earlier tries already made, updated in place so the caller can
keep it), and returns ``(remote id, public URL)``. A failure raises ``PostError``, which says
whether another try may succeed (rate limits with their ``Retry-After``, server errors, lost
connections) or not (a refused token, a refused post).

- Mastodon: ``POST /api/v2/media`` with the picture and its alt text (a 202 means it is
  still being processed, so the next try asks ``GET /api/v1/media/:id`` before using it),
  then ``POST /api/v1/statuses`` with an ``Idempotency-Key``, so a retried request whose
  answer was lost makes no second post. The link in the text makes Mastodon's card.
- Bluesky (AT Protocol): ``com.atproto.server.createSession`` with the app password,
  ``uploadBlob`` for the card's thumbnail, then ``createRecord`` of an ``app.bsky.feed.post``
  with an ``app.bsky.embed.external`` card and facets (byte ranges in UTF-8) for the link and
  hashtags, under a record key fixed when the post was planned; a retry first asks
  ``getRecord`` whether that key is already there. Text is kept to 300 graphemes.
- Threads (Graph API): ``POST /{user-id}/threads`` (``media_type=TEXT`` with a
  ``link_attachment``), then ``/threads_publish`` of that container (kept between tries),
  then the permalink. A retry after a publication whose answer was lost asks the
  container's status first, and takes the published thread rather than publishing again.
"""

import json
import time
import unicodedata
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode, urlsplit

import urllib3
from django.conf import settings

from masthead.social import fetching

MASTODON_LIMIT = 500
# Mastodon counts every link as 23 characters, whatever its length.
MASTODON_LINK_LENGTH = 23
BLUESKY_LIMIT = 300
BLUESKY_SERVER = "https://bsky.social"
BLUESKY_THUMB_BYTES = 1_000_000
THREADS_LIMIT = 500
THREADS_API = "https://graph.threads.net/v1.0"
ELLIPSIS = "…"
# Base32 "sortable" alphabet of AT Protocol record keys (TIDs).
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


class PostError(Exception):
    """A post failed. ``permanent``: trying again will not help; ``retry_after``: seconds
    the network asked us to wait (a 429's Retry-After)."""

    def __init__(self, message, permanent=False, retry_after=None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass
class Picture:
    """The card's picture: its bytes, type and alt text."""

    data: bytes
    content_type: str
    alt: str
    filename: str


@dataclass
class Card:
    """What every network shows of an article."""

    url: str
    title: str
    description: str
    hashtags: list = field(default_factory=list)
    picture: Picture | None = None


def new_record_key(now=None):
    """A fresh AT Protocol TID (13 characters: microseconds since 1970, then a clock id),
    used as the Bluesky record key and as Mastodon's Idempotency-Key."""
    micros = int((now if now is not None else time.time()) * 1_000_000)
    value = (micros << 10) | (time.perf_counter_ns() & 0x3FF)
    return "".join(TID_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def graphemes(text):
    """Roughly how many user-perceived characters ``text`` has (what Bluesky's limit counts):
    combining marks, variation selectors, skin tones and characters joined by a zero-width
    joiner add none, and a pair of regional indicators (a flag) counts once."""
    count = 0
    joined = False
    flag_half = False
    for char in text:
        code = ord(char)
        if char == "\u200d":
            joined = True
            continue
        if (
            joined
            or unicodedata.combining(char)
            or 0xFE00 <= code <= 0xFE0F
            or 0x1F3FB <= code <= 0x1F3FF
        ):
            joined = False
            continue
        if 0x1F1E6 <= code <= 0x1F1FF:
            flag_half = not flag_half
            if not flag_half:
                continue
        else:
            flag_half = False
        count += 1
    return count


def fit(text, budget, measure=len):
    """``text`` cut at a word to ``budget`` (as ``measure`` counts) with an ellipsis."""
    text = text.strip()
    if measure(text) <= budget:
        return text
    words = text.split(" ")
    while words and measure(" ".join(words) + ELLIPSIS) > budget:
        words.pop()
    if words:
        return " ".join(words).rstrip(",;:.-") + ELLIPSIS
    cut = text
    while cut and measure(cut + ELLIPSIS) > budget:
        cut = cut[:-1]
    return cut + ELLIPSIS


def mastodon_text(text, card):
    """The status: the text (cut to fit), the link (counted as 23), the hashtags."""
    tags = " ".join(f"#{tag}" for tag in card.hashtags)
    reserved = 2 + MASTODON_LINK_LENGTH + (2 + len(tags) if tags else 0)
    status = f"{fit(text, MASTODON_LIMIT - reserved)}\n\n{card.url}"
    return f"{status}\n\n{tags}" if tags else status


def bluesky_text(text, card):
    """The post's text and facets: the text (cut to fit 300 graphemes), the link shown short
    with a link facet to the whole address, and each hashtag with a tag facet."""
    parts = urlsplit(card.url)
    shown = fit(parts.netloc + parts.path.rstrip("/"), 30)
    tags = [f"#{tag}" for tag in card.hashtags]
    tail = [shown, *tags]
    budget = BLUESKY_LIMIT - graphemes("\n\n" + " ".join(tail))
    while budget < 20 and len(tail) > 1:
        tail.pop()
        budget = BLUESKY_LIMIT - graphemes("\n\n" + " ".join(tail))
    body = fit(text, budget, graphemes) + "\n\n"
    facets = []
    for index, piece in enumerate(tail):
        start = len(body.encode())
        end = start + len(piece.encode())
        if index == 0:
            feature = {"$type": "app.bsky.richtext.facet#link", "uri": card.url}
        else:
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": piece[1:]}
        facets.append({"index": {"byteStart": start, "byteEnd": end}, "features": [feature]})
        body += piece + (" " if index < len(tail) - 1 else "")
    return body, facets


def threads_text(text):
    return fit(text, THREADS_LIMIT)


def _request(method, url, headers=None, body=None, fields=None):
    """One request (``fields``: a multipart form); returns (status, parsed JSON or {}).
    Network trouble is a PostError worth retrying; 401/403 and other 4xx answers are
    permanent, 429 and 5xx are not."""
    fetching.check_public_url(url)
    content = {"fields": fields} if fields is not None else {"body": body}
    try:
        response = fetching.http_pool().request(
            method,
            url,
            headers={"User-Agent": fetching.USER_AGENT, **(headers or {})},
            timeout=settings.SOCIAL_DELIVERY_TIMEOUT_SECONDS,
            redirect=False,
            **content,
        )
    except urllib3.exceptions.HTTPError as error:
        raise PostError(f"{urlsplit(url).netloc}: {type(error).__name__}") from error
    try:
        document = json.loads(response.data or b"{}")
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    if 200 <= response.status < 300:
        return response.status, document
    message = _error_message(document) or response.reason or ""
    where = f"{urlsplit(url).path}: HTTP {response.status} {message}".strip()
    if response.status == 429:
        raise PostError(where, retry_after=_retry_after(response.headers.get("Retry-After")))
    if response.status >= 500 or response.status == 408:
        raise PostError(where)
    raise PostError(where, permanent=True)


def _error_message(document):
    error = document.get("error")
    if isinstance(error, dict):
        return str(error.get("message", ""))[:200]
    return str(document.get("message") or error or "")[:200]


def _retry_after(value):
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), if any."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _base(url, default):
    return (url or default).rstrip("/")


def post_to_mastodon(post, card, progress):
    account = post.account
    base = _base(account.server_url, "")
    auth = {"Authorization": f"Bearer {account.secret}"}
    media_ids = []
    if card.picture is not None:
        if "media_id" not in progress:
            status, media = _request(
                "POST",
                f"{base}/api/v2/media",
                headers=auth,
                fields={
                    "file": (card.picture.filename, card.picture.data, card.picture.content_type),
                    "description": card.picture.alt,
                },
            )
            progress["media_id"] = str(media["id"])
            progress["media_ready"] = status == 200
        if not progress.get("media_ready"):
            status, _media = _request(
                "GET", f"{base}/api/v1/media/{progress['media_id']}", headers=auth
            )
            if status != 200:
                raise PostError("The picture is still being processed")
            progress["media_ready"] = True
        media_ids = [progress["media_id"]]
    payload = {
        "status": mastodon_text(post.text, card),
        "visibility": "public",
        "media_ids": media_ids,
    }
    _status, answer = _request(
        "POST",
        f"{base}/api/v1/statuses",
        headers={
            **auth,
            "Idempotency-Key": post.idempotency_key,
            "Content-Type": "application/json",
        },
        body=json.dumps(payload).encode(),
    )
    return str(answer["id"]), answer.get("url") or answer.get("uri", "")


def _xrpc(base, method, name, token=None, payload=None, params=None, body=None, kind=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if payload is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(payload).encode()
    elif kind:
        headers["Content-Type"] = kind
    url = f"{base}/xrpc/{name}" + (f"?{urlencode(params)}" if params else "")
    return _request(method, url, headers=headers, body=body)[1]


def post_to_bluesky(post, card, progress):
    account = post.account
    base = _base(account.server_url, BLUESKY_SERVER)
    session = _xrpc(
        base,
        "POST",
        "com.atproto.server.createSession",
        payload={"identifier": account.identifier, "password": account.secret},
    )
    token, did = session["accessJwt"], session["did"]
    rkey = post.idempotency_key
    if post.attempts:
        try:
            found = _xrpc(
                base,
                "GET",
                "com.atproto.repo.getRecord",
                token,
                params={"repo": did, "collection": "app.bsky.feed.post", "rkey": rkey},
            )
            return found["uri"], _bluesky_url(session, rkey)
        except PostError as error:
            if not error.permanent:
                raise
    external = {"uri": card.url, "title": card.title, "description": card.description}
    if card.picture is not None and len(card.picture.data) <= BLUESKY_THUMB_BYTES:
        if "blob" not in progress:
            progress["blob"] = _xrpc(
                base,
                "POST",
                "com.atproto.repo.uploadBlob",
                token,
                body=card.picture.data,
                kind=card.picture.content_type,
            )["blob"]
        external["thumb"] = progress["blob"]
    text, facets = bluesky_text(post.text, card)
    record = {
        "$type": "app.bsky.feed.post",
        "text": text,
        "facets": facets,
        "createdAt": post.created_at.isoformat().replace("+00:00", "Z"),
        "embed": {"$type": "app.bsky.embed.external", "external": external},
    }
    answer = _xrpc(
        base,
        "POST",
        "com.atproto.repo.createRecord",
        token,
        payload={"repo": did, "collection": "app.bsky.feed.post", "rkey": rkey, "record": record},
    )
    return answer["uri"], _bluesky_url(session, rkey)


def _bluesky_url(session, rkey):
    return f"https://bsky.app/profile/{session.get('handle') or session['did']}/post/{rkey}"


def post_to_threads(post, card, progress):
    account = post.account
    base = _base(account.server_url, THREADS_API)
    user = account.identifier
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    if "container_id" not in progress:
        fields = {
            "media_type": "TEXT",
            "text": threads_text(post.text),
            "link_attachment": card.url,
            "access_token": account.secret,
        }
        _status, container = _request(
            "POST", f"{base}/{user}/threads", headers=form, body=urlencode(fields)
        )
        progress["container_id"] = str(container["id"])
    if "media_id" not in progress and post.attempts:
        found = _published_thread(base, user, account.secret, progress["container_id"], post)
        if found is not None:
            return found
    if "media_id" not in progress:
        _status, published = _request(
            "POST",
            f"{base}/{user}/threads_publish",
            headers=form,
            body=urlencode(
                {"creation_id": progress["container_id"], "access_token": account.secret}
            ),
        )
        progress["media_id"] = str(published["id"])
    media_id = progress["media_id"]
    query = urlencode({"fields": "permalink", "access_token": account.secret})
    _status, media = _request("GET", f"{base}/{media_id}?{query}")
    return media_id, media.get("permalink", "")


def _published_thread(base, user, token, container_id, post):
    """On a retry: when the kept container was published already (the answer was lost),
    the thread made from it, as (id, permalink), found among the account's newest threads
    by its text; None when the container still waits to be published."""
    query = urlencode({"fields": "status", "access_token": token})
    _status, container = _request("GET", f"{base}/{container_id}?{query}")
    if container.get("status") != "PUBLISHED":
        return None
    query = urlencode({"fields": "id,permalink,text", "limit": 25, "access_token": token})
    _status, listing = _request("GET", f"{base}/{user}/threads?{query}")
    text = threads_text(post.text)
    for thread in listing.get("data", []):
        if thread.get("text") == text:
            return str(thread["id"]), thread.get("permalink", "")
    return container_id, ""


POSTERS = {"mastodon": post_to_mastodon, "bluesky": post_to_bluesky, "threads": post_to_threads}
