"""The JSON documents Masthead serves and sends: WebFinger, NodeInfo, actors, articles as
ActivityStreams objects, activities, the outbox and the followers collection.

The shapes follow what Mastodon requires (its FEDERATION.md): actors with ``id``, ``type``,
``preferredUsername``, ``inbox``, ``outbox``, ``followers``, ``endpoints.sharedInbox`` and a
``publicKey`` whose ``owner`` is the actor; WebFinger's ``self`` link typed
``application/activity+json``; public addressing with ``as:Public`` in ``to`` and the
followers collection in ``cc``.
"""

import hashlib
import json
from html import escape

from django.conf import settings
from django.urls import Resolver404, resolve, reverse
from wagtail.rich_text import expand_db_html

from masthead.core.sites import absolute_url, outlet_name, site_url_host_and_port
from masthead.publishing.models import ArticlePage
from masthead.social.actors import actor_url, key_id
from masthead.social.models import LocalActor

CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
OUTBOX_PAGE_SIZE = 20
HERO_RENDITION = "fill-1200x630"


def handle_host():
    """The host of every handle, @name@<host>: SITE_URL's host (with a port if not 80/443)."""
    host, port = site_url_host_and_port()
    return host if port in (80, 443) else f"{host}:{port}"


def webfinger(actor):
    return {
        "subject": f"acct:{actor.username}@{handle_host()}",
        "aliases": [actor_url(actor.username), profile_url(actor)],
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": actor_url(actor.username)},
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": profile_url(actor),
            },
        ],
    }


def nodeinfo_links():
    return {
        "links": [
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                "href": absolute_url(reverse("social:nodeinfo")),
            }
        ]
    }


def nodeinfo(users, local_posts):
    return {
        "version": "2.1",
        "software": {
            "name": "masthead",
            "version": "0.1.0",
            "homepage": "https://www.w3.org/TR/activitypub/",
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
        "openRegistrations": False,
        "usage": {
            "users": {"total": users, "activeMonth": users, "activeHalfyear": users},
            "localPosts": local_posts,
        },
        "metadata": {"nodeName": outlet_name()},
    }


def profile_url(actor):
    if actor.kind == LocalActor.Kind.AUTHOR and actor.author_page_id:
        return _page_url(actor.author_page)
    return absolute_url("/")


def _page_url(page):
    _site_id, _root, path = page.get_url_parts()
    return absolute_url(path)


def collection_url(actor, name):
    """The address of one of ``actor``'s collections: inbox, outbox or followers."""
    return absolute_url(reverse(f"social:{name}", args=[actor.username]))


def actor_document(actor):
    """The actor as ActivityPub JSON: a Service for the outlet, a Person for an author."""
    url = actor_url(actor.username)
    if actor.kind == LocalActor.Kind.AUTHOR:
        page = actor.author_page
        name, summary = page.title, expand_db_html(page.bio or "") or escape(page.role)
        image = page.photo
    else:
        name, summary, image = outlet_name(), "", None
    document = {
        "@context": CONTEXT,
        "id": url,
        "type": "Person" if actor.kind == LocalActor.Kind.AUTHOR else "Service",
        "preferredUsername": actor.username,
        "name": name,
        "summary": summary,
        "url": profile_url(actor),
        "inbox": collection_url(actor, "inbox"),
        "outbox": collection_url(actor, "outbox"),
        "followers": collection_url(actor, "followers"),
        "manuallyApprovesFollowers": settings.SOCIAL_FOLLOW_APPROVAL == "manual",
        "discoverable": True,
        "endpoints": {"sharedInbox": absolute_url(reverse("social:shared_inbox"))},
        "publicKey": {"id": key_id(actor), "owner": url, "publicKeyPem": actor.public_key_pem},
    }
    icon = _image(image, "fill-400x400")
    if icon:
        document["icon"] = icon
    return document


def _image(image, spec, alt=""):
    if image is None:
        return None
    try:
        rendition = image.get_rendition(spec)
    except (OSError, ValueError):
        return None
    found = {"type": "Image", "url": absolute_url(rendition.url), "mediaType": "image/jpeg"}
    if rendition.url.lower().endswith(".png"):
        found["mediaType"] = "image/png"
    if alt:
        found["name"] = alt
    return found


def object_url(article):
    return absolute_url(reverse("social:article", args=[article.pk]))


def article_pk_from_object_id(uri):
    """The article's primary key when ``uri`` is one of our article object ids, else None."""
    prefix = absolute_url("/")
    if not uri.startswith(prefix):
        return None
    try:
        match = resolve("/" + uri[len(prefix) :].split("?")[0])
    except Resolver404:
        return None
    return match.kwargs["pk"] if match.view_name == "social:article" else None


def article_object(article, actor):
    """The article as an ActivityStreams ``Article`` (or ``Note`` when the outlet chose it),
    attributed to ``actor``, with its corrections in the content."""
    url = _page_url(article)
    summary = article.standfirst or ""
    tags = sorted(tag.name for tag in article.tags.all())
    corrections = "".join(
        f"<p><strong>{escape(entry.get_kind_display())}</strong> "
        f"({entry.date:%d %B %Y}): {escape(entry.text)}</p>"
        for entry in article.corrections.order_by("date")
    )
    hashtags = " ".join(f"#{hashtag(name)}" for name in tags)
    followers = collection_url(actor, "followers")
    document = {
        "id": object_url(article),
        "attributedTo": actor_url(actor.username),
        "to": [PUBLIC],
        "cc": [followers],
        "url": url,
        "published": _iso(article.first_published_at),
        "tag": [
            {
                "type": "Hashtag",
                "name": f"#{hashtag(name)}",
                "href": absolute_url(reverse("tag", args=[_tag_slug(article, name)])),
            }
            for name in tags
        ],
    }
    if article.updated_at or (
        article.last_published_at
        and article.first_published_at
        and article.last_published_at > article.first_published_at
    ):
        document["updated"] = _iso(article.last_published_at)
    image = _image(article.hero_image, HERO_RENDITION, article.hero_alt)
    if settings.SOCIAL_ARTICLE_AS_NOTE:
        text = f"<p><strong>{escape(article.title)}</strong></p>"
        if summary:
            text += f"<p>{escape(summary)}</p>"
        text += f'<p><a href="{escape(url)}">{escape(url)}</a></p>' + corrections
        if hashtags:
            text += f"<p>{escape(hashtags)}</p>"
        document.update({"type": "Note", "content": text})
    else:
        document.update(
            {
                "type": "Article",
                "name": article.title,
                "summary": escape(summary),
                "content": f"<p>{escape(summary)}</p>" + corrections,
            }
        )
    if image and settings.SOCIAL_ARTICLE_AS_NOTE:
        # A Note shows its picture as an attachment (Mastodon's media), with the alt text.
        document["attachment"] = [{**image, "type": "Document"}]
    elif image:
        document["image"] = image
    return document


def hashtag(name):
    """A tag as a hashtag: "local elections" becomes LocalElections, "NHS" stays NHS."""
    words = ["".join(c for c in word if c.isalnum() or c == "_") for word in name.split()]
    if len(words) == 1:
        return words[0]
    return "".join(word[:1].upper() + word[1:] for word in words)


def _tag_slug(article, name):
    return next(tag.slug for tag in article.tags.all() if tag.name == name)


def _iso(moment):
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def content_hash(document):
    """What decides whether a re-publish is an ``Update``: the object minus its times."""
    stable = {key: value for key, value in document.items() if key not in ("updated",)}
    return hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()


def activity(kind, actor, activity_id, obj, to=None, cc=None):
    """An activity by ``actor``; ``to``/``cc`` default to the object's addressing."""
    document = {
        "@context": CONTEXT,
        "id": activity_id,
        "type": kind,
        "actor": actor_url(actor.username),
        "object": obj,
    }
    if isinstance(obj, dict):
        document["to"] = to if to is not None else obj.get("to", [PUBLIC])
        document["cc"] = cc if cc is not None else obj.get("cc", [])
        if obj.get("published") and kind == "Create":
            document["published"] = obj["published"]
    else:
        document["to"] = to or [PUBLIC]
        document["cc"] = cc or []
    return document


def articles_for(actor):
    """The live articles ``actor`` speaks for: all of them for the outlet, an author's own."""
    articles = ArticlePage.objects.live().public().order_by("-first_published_at", "-pk")
    if actor.kind == LocalActor.Kind.AUTHOR:
        articles = articles.filter(article_authors__author_id=actor.author_page_id)
    return articles


def outbox(actor, page=None):
    """The outbox as an OrderedCollection; with ``page`` (from 1), one page of ``Create``s."""
    url = collection_url(actor, "outbox")
    articles = articles_for(actor)
    total = articles.count()
    if page is None:
        return {
            "@context": CONTEXT,
            "id": url,
            "type": "OrderedCollection",
            "totalItems": total,
            "first": f"{url}?page=1",
            "last": f"{url}?page={max(1, -(-total // OUTBOX_PAGE_SIZE))}",
        }
    start = (page - 1) * OUTBOX_PAGE_SIZE
    chosen = articles.prefetch_related("tags", "corrections").select_related("hero_image")[
        start : start + OUTBOX_PAGE_SIZE
    ]
    items = []
    for article in chosen:
        obj = article_object(article, actor)
        items.append(activity("Create", actor, obj["id"] + "#create", obj))
    document = {
        "@context": CONTEXT,
        "id": f"{url}?page={page}",
        "type": "OrderedCollectionPage",
        "partOf": url,
        "totalItems": total,
        "orderedItems": items,
    }
    if start + OUTBOX_PAGE_SIZE < total:
        document["next"] = f"{url}?page={page + 1}"
    if page > 1:
        document["prev"] = f"{url}?page={page - 1}"
    return document


def followers_collection(actor, count):
    """The followers collection: its size only (who follows is not published)."""
    return {
        "@context": CONTEXT,
        "id": collection_url(actor, "followers"),
        "type": "OrderedCollection",
        "totalItems": count,
    }
