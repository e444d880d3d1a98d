"""What arrives in the inboxes: checked, then handled by type.

Order of checks, cheapest first, so a hostile server costs little: size and JSON shape; the
signature's key id and the activity's actor against blocked actors and domains (before any
fetch); the signature itself (the key fetched, signed, from the sender's server and cached on
its RemoteActor); the key's owner must be the activity's actor; the signature must not have
been seen before (replay). Then the handler for the activity's type runs in one transaction;
activities are idempotent by their ids (unique constraints), so a server that delivers twice
changes nothing. A reply becomes a comment in the moderation queue
(``masthead.social.comments``); a ``Delete`` of it, or of its author, takes it away.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from masthead.core.sites import absolute_url
from masthead.publishing.models import ArticlePage
from masthead.social import actors, comments, delivery, documents, services, signatures
from masthead.social.keys import load_public_key
from masthead.social.models import Follower, Reaction, RemoteActor, Reply, SeenSignature

logger = logging.getLogger(__name__)


class Refused(Exception):
    """The request is refused; ``status`` is the HTTP answer."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


@dataclass
class Received:
    """A verified activity and who sent it."""

    activity: dict
    sender: RemoteActor


def verify(request, activity):
    """Check the request carrying ``activity`` (see the module docstring); return the sender."""
    actor_uri = activity.get("actor")
    if isinstance(actor_uri, dict):
        actor_uri = actor_uri.get("id")
    if not isinstance(actor_uri, str):
        raise Refused(400, "The activity has no actor.")
    key_owner = {}

    def find_key(key_id_value, refresh):
        if actors.is_blocked(key_id_value):
            raise Refused(403, "This server or actor is blocked.")
        remote = actors.remote_actor_by_key(key_id_value, refresh=refresh)
        if remote is None:
            return None
        key_owner["actor"] = remote
        return load_public_key(remote.public_key_pem)

    if actors.is_blocked(actor_uri):
        raise Refused(403, "This server or actor is blocked.")
    try:
        checked = signatures.verify_request(
            request, find_key, settings.SOCIAL_SIGNATURE_WINDOW_SECONDS
        )
    except signatures.SignatureError as error:
        raise Refused(401, str(error)) from error
    sender = key_owner["actor"]
    if sender.uri != actor_uri:
        raise Refused(401, "The signing key does not belong to the activity's actor.")
    remember_signature(checked.signature)
    delivery.revive_instance(sender.domain)
    return sender


def remember_signature(signature):
    """Refuse a signature seen before (a replayed request); forget those past the window."""
    now = timezone.now()
    try:
        with transaction.atomic():
            SeenSignature.objects.create(digest=hashlib.sha256(signature).hexdigest(), seen_at=now)
    except IntegrityError as error:
        raise Refused(401, "This signed request was already received.") from error


def forget_old_signatures():
    """The periodic job: signatures older than twice the window cannot be replayed anyway."""
    before = timezone.now() - timedelta(seconds=2 * settings.SOCIAL_SIGNATURE_WINDOW_SECONDS)
    SeenSignature.objects.filter(seen_at__lt=before).delete()


def handle(activity, sender, local_actor=None):
    """Act on a verified activity; ``local_actor`` is the personal inbox's owner, if any."""
    handler = HANDLERS.get(activity.get("type"))
    if handler is None:
        return
    with transaction.atomic():
        handler(Received(activity, sender), local_actor)


def _object_id(value):
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def _same_server(uri, sender):
    return actors.domain_of(uri) == sender.domain


def article_for(uri):
    """The live article an object id or URL names, or None."""
    if not isinstance(uri, str):
        return None
    pk = documents.article_pk_from_object_id(uri)
    if pk is not None:
        return ArticlePage.objects.live().filter(pk=pk).first()
    slug = urlsplit(uri).path.rstrip("/").rsplit("/", 1)[-1]
    for article in ArticlePage.objects.live().filter(slug=slug):
        _site, _root, path = article.get_url_parts()
        if uri.rstrip("/") == absolute_url(path).rstrip("/"):
            return article
    return None


def on_follow(received, local_actor):
    target = actors.local_actor_for_uri(_object_id(received.activity.get("object")))
    follow_id = received.activity.get("id")
    if (
        target is None
        or not isinstance(follow_id, str)
        or not _same_server(follow_id, received.sender)
    ):
        raise Refused(400, "The Follow names no actor of this site.")
    manual = settings.SOCIAL_FOLLOW_APPROVAL == "manual"
    follower, created = Follower.objects.get_or_create(
        local_actor=target,
        remote_actor=received.sender,
        defaults={
            "follow_activity_id": follow_id,
            "delivery_inbox": received.sender.delivery_inbox,
            "status": Follower.Status.PENDING if manual else Follower.Status.ACCEPTED,
        },
    )
    if not created:
        follower.follow_activity_id = follow_id
        follower.save(update_fields=["follow_activity_id"])
    if follower.status == Follower.Status.ACCEPTED:
        services.reply_to_follow(follower, "Accept")


def on_undo(received, local_actor):
    inner = received.activity.get("object")
    inner_id = _object_id(inner)
    kind = inner.get("type") if isinstance(inner, dict) else None
    if kind == "Follow" or kind is None:
        target = actors.local_actor_for_uri(
            _object_id(inner.get("object")) if isinstance(inner, dict) else None
        )
        follows = Follower.objects.filter(remote_actor=received.sender)
        if target is not None:
            follows = follows.filter(local_actor=target)
        elif inner_id:
            follows = follows.filter(follow_activity_id=inner_id)
        follows.delete()
    if inner_id:
        Reaction.objects.filter(remote_actor=received.sender, activity_id=inner_id).delete()


def on_delete(received, local_actor):
    target = _object_id(received.activity.get("object"))
    if target == received.sender.uri:
        services.remove_remote_actor(received.sender)
    elif target:
        comments.remove_replies(
            Reply.objects.filter(remote_actor=received.sender, object_id=target)
        )


def _on_reaction(kind):
    def on_reaction(received, local_actor):
        article = article_for(_object_id(received.activity.get("object")))
        activity_id = received.activity.get("id")
        if article is None or not isinstance(activity_id, str):
            return
        if not _same_server(activity_id, received.sender):
            raise Refused(400, "The activity's id is not on its actor's server.")
        Reaction.objects.get_or_create(
            activity_id=activity_id,
            defaults={"article": article, "remote_actor": received.sender, "kind": kind},
        )

    return on_reaction


def on_create(received, local_actor):
    note = received.activity.get("object")
    if not isinstance(note, dict) or note.get("type") != "Note":
        return
    article = article_for(note.get("inReplyTo"))
    note_id = note.get("id")
    if article is None or not isinstance(note_id, str):
        return
    if not _same_server(note_id, received.sender) or note.get("attributedTo") not in (
        None,
        received.sender.uri,
    ):
        raise Refused(400, "The reply is not by the activity's actor.")
    content = note.get("content")
    url = note.get("url") if isinstance(note.get("url"), str) else ""
    published = (
        parse_datetime(note["published"]) if isinstance(note.get("published"), str) else None
    )
    reply, created = Reply.objects.get_or_create(
        object_id=note_id,
        defaults={
            "article": article,
            "remote_actor": received.sender,
            "content": content[:20000] if isinstance(content, str) else "",
            "url": url[:500],
            "published_at": published,
        },
    )
    if created:
        comments.receive_reply(reply)


HANDLERS = {
    "Follow": on_follow,
    "Undo": on_undo,
    "Delete": on_delete,
    "Like": _on_reaction(Reaction.Kind.LIKE),
    "Announce": _on_reaction(Reaction.Kind.ANNOUNCE),
    "Create": on_create,
}
