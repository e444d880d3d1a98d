"""Actors: the local ones (the outlet and opted-in authors) with their keys, and remote ones
fetched from other servers and cached with their public keys.

Local actors' addresses all live under SITE_URL (``/social/actors/<username>``), so ids stay
stable whatever the page tree does; an author's actor ``url`` is their author page.
"""

from datetime import timedelta
from urllib.parse import urldefrag, urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from masthead.core.sites import absolute_url
from masthead.social import fetching, keys, signatures
from masthead.social.models import BlockedActor, BlockedDomain, Follower, LocalActor, RemoteActor


def actor_url(username):
    return absolute_url(reverse("social:actor", args=[username]))


def key_id(actor):
    return actor_url(actor.username) + "#main-key"


def outlet_actor():
    """The outlet's actor, made (with its key pair) the first time it is needed."""
    actor = LocalActor.objects.filter(kind=LocalActor.Kind.OUTLET).first()
    if actor is not None:
        if actor.username != settings.SOCIAL_ACTOR_NAME:
            actor.username = settings.SOCIAL_ACTOR_NAME
            actor.save(update_fields=["username"])
        return actor
    private_pem, public_pem = keys.new_key_pair()
    try:
        with transaction.atomic():
            return LocalActor.objects.create(
                kind=LocalActor.Kind.OUTLET,
                username=settings.SOCIAL_ACTOR_NAME,
                private_key_pem=private_pem,
                public_key_pem=public_pem,
                key_created_at=timezone.now(),
            )
    except IntegrityError:
        # Another process made it first.
        return LocalActor.objects.get(kind=LocalActor.Kind.OUTLET)


def enable_author(author_page):
    """Make ``author_page`` followable as ``@<slug>@host`` (keys made once, kept)."""
    actor = LocalActor.objects.filter(author_page=author_page).first()
    if actor is None:
        if author_page.slug == settings.SOCIAL_ACTOR_NAME:
            raise ValueError("An author's slug cannot be the outlet's actor name.")
        private_pem, public_pem = keys.new_key_pair()
        return LocalActor.objects.create(
            kind=LocalActor.Kind.AUTHOR,
            username=author_page.slug,
            author_page=author_page,
            private_key_pem=private_pem,
            public_key_pem=public_pem,
            key_created_at=timezone.now(),
        )
    if not actor.federated:
        actor.federated = True
        actor.save(update_fields=["federated"])
    return actor


def find_local_actor(username):
    """The followable local actor called ``username``, or None."""
    if username == settings.SOCIAL_ACTOR_NAME:
        return outlet_actor()
    return (
        LocalActor.objects.filter(username=username, kind=LocalActor.Kind.AUTHOR, federated=True)
        .select_related("author_page")
        .filter(author_page__live=True)
        .first()
    )


def local_actor_for_uri(uri):
    """The local actor whose id is ``uri``, or None."""
    prefix = absolute_url("/")
    if not isinstance(uri, str) or not uri.startswith(prefix):
        return None
    try:
        match = resolve("/" + uri[len(prefix) :].split("#")[0])
    except Resolver404:
        return None
    if match.view_name != "social:actor":
        return None
    return find_local_actor(match.kwargs["username"])


def rotate_key(actor):
    """Give ``actor`` a new key pair; the old one stops working at once (followers' servers
    refetch the actor when a signature fails against the key they cached)."""
    actor.private_key_pem, actor.public_key_pem = keys.new_key_pair()
    actor.key_created_at = timezone.now()
    actor.save(update_fields=["private_key_pem", "public_key_pem", "key_created_at"])
    return actor


def signed_get_headers(url):
    """Headers for a GET signed by the outlet (authorized fetch: servers in secure mode
    answer only signed requests)."""
    actor = outlet_actor()
    headers = signatures.sign_request(
        "GET", url, keys.load_private_key(actor.private_key_pem), key_id(actor)
    )
    headers.pop("Host")
    return headers


def domain_of(uri):
    return (urlsplit(uri).hostname or "").lower()


def is_blocked(uri):
    """Whether ``uri`` (an actor or key id) belongs to a blocked actor or domain."""
    domain = domain_of(uri)
    parents = {".".join(domain.split(".")[i:]) for i in range(domain.count(".") + 1)}
    if BlockedDomain.objects.filter(domain__in=parents).exists():
        return True
    return BlockedActor.objects.filter(uri=urldefrag(uri).url).exists()


def remote_actor_by_key(key_id_value, refresh=False):
    """The remote actor owning ``key_id_value``: from the cache while fresh, else fetched
    (signed) from its server; None when it cannot be had."""
    actor = RemoteActor.objects.filter(key_id=key_id_value).first()
    fresh_after = timezone.now() - timedelta(seconds=settings.SOCIAL_ACTOR_CACHE_SECONDS)
    if actor is not None and not refresh and actor.fetched_at > fresh_after:
        return actor
    try:
        return fetch_remote_actor(urldefrag(key_id_value).url)
    except fetching.FetchError:
        return actor if not refresh else None


def fetch_remote_actor(uri):
    """Fetch the actor document at ``uri`` and store (or refresh) its row."""
    document = fetching.fetch_json(uri, signed_get_headers(uri))
    # A key id may name the key's own document (owner points to the actor).
    if "owner" in document and "publicKeyPem" in document and document.get("owner") != uri:
        owner = document["owner"]
        if domain_of(owner) != domain_of(uri):
            raise fetching.FetchError("A key's owner is on another server.")
        document = fetching.fetch_json(owner, signed_get_headers(owner))
    return store_remote_actor(document)


def store_remote_actor(document):
    """Save the actor ``document`` (already fetched from its own id) as a RemoteActor."""
    uri = document.get("id")
    public_key = document.get("publicKey") or {}
    if isinstance(public_key, list):
        public_key = public_key[0] if public_key else {}
    inbox = document.get("inbox")
    endpoints = document.get("endpoints") or {}
    shared_inbox = endpoints.get("sharedInbox", "") if isinstance(endpoints, dict) else ""
    if not all(isinstance(value, str) for value in (uri, inbox, shared_inbox)):
        raise fetching.FetchError("The actor document lacks an id or an inbox.")
    pem = public_key.get("publicKeyPem") if isinstance(public_key, dict) else None
    key_id_value = public_key.get("id") if isinstance(public_key, dict) else None
    if not isinstance(pem, str) or not isinstance(key_id_value, str):
        raise fetching.FetchError("The actor document has no public key.")
    domain = domain_of(uri)
    for address in (inbox, shared_inbox, key_id_value):
        if address and domain_of(address) != domain:
            raise fetching.FetchError("The actor's inbox or key is on another server.")
        if address:
            fetching.check_public_url(address)
    try:
        keys.load_public_key(pem)
    except ValueError as error:
        raise fetching.FetchError("The actor's public key cannot be read.") from error
    actor, _created = RemoteActor.objects.update_or_create(
        uri=uri,
        defaults={
            "domain": domain,
            "preferred_username": str(document.get("preferredUsername", ""))[:255],
            "name": str(document.get("name") or "")[:255],
            "inbox": inbox,
            "shared_inbox": shared_inbox,
            "key_id": key_id_value,
            "public_key_pem": pem,
            "fetched_at": timezone.now(),
        },
    )
    Follower.objects.filter(remote_actor=actor).exclude(delivery_inbox=actor.delivery_inbox).update(
        delivery_inbox=actor.delivery_inbox
    )
    return actor
