"""What changes the social web's state: telling the fediverse about articles, accepting and
rejecting follows, blocking actors and servers, rotating keys.

Views, admin actions, signal receivers and commands all call these; each records what it
sends as an ``Activity`` and queues its delivery after the transaction commits.
"""

import uuid

from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from masthead.core.sites import absolute_url
from masthead.publishing.models import ArticlePage
from masthead.social import actors, comments, delivery, documents
from masthead.social.models import (
    Activity,
    BlockedActor,
    BlockedDomain,
    FederatedArticle,
    Follower,
    LocalActor,
    RemoteActor,
    Reply,
)


def new_activity_id():
    return absolute_url(reverse("social:activity", args=[uuid.uuid4().hex]))


def record_activity(kind, actor, obj, article=None, to=None, cc=None):
    """Store an activity by ``actor`` about ``obj`` (a document or an id) and return it."""
    activity_id = new_activity_id()
    payload = documents.activity(kind, actor, activity_id, obj, to=to, cc=cc)
    return Activity.objects.create(
        activity_id=activity_id, actor=actor, kind=kind, article=article, payload=payload
    )


def speakers_for(article):
    """The local actors that speak of ``article``: the outlet and its federated authors."""
    authors = [link.author_id for link in article.article_authors.all()]
    return [
        actors.outlet_actor(),
        *LocalActor.objects.filter(author_page_id__in=authors, federated=True),
    ]


def federate_article(article):
    """Tell followers about a published article: ``Create`` the first time, ``Update`` when
    the object changed since (an edit or a correction), nothing when it did not.

    The outlet is the article's author on the fediverse. A ``Create`` goes to the outlet's
    followers, and each federated author of the article boosts it (``Announce``) to their
    own: Mastodon drops a ``Create`` from an account no one on the server follows. An
    ``Update`` goes once to every server that knows the article, whoever its followers
    follow."""
    article = ArticlePage.objects.select_related("hero_image").get(pk=article.pk)
    if not article.live or article.get_view_restrictions():
        return None
    outlet = actors.outlet_actor()
    obj = documents.article_object(article, outlet)
    digest = documents.content_hash(obj)
    with transaction.atomic():
        state = FederatedArticle.objects.select_for_update().filter(article=article).first()
        if state is not None and not state.deleted and state.content_hash == digest:
            return None
        kind = "Update" if state is not None and not state.deleted else "Create"
        FederatedArticle.objects.update_or_create(
            article=article, defaults={"content_hash": digest, "deleted": False}
        )
        activity = record_activity(kind, outlet, obj, article=article)
        speakers = speakers_for(article)
        if kind == "Update":
            delivery.enqueue_fan_out(activity.pk, [actor.pk for actor in speakers])
            return activity
        delivery.enqueue_fan_out(activity.pk, [outlet.pk])
        for author in speakers[1:]:
            announce = record_activity(
                "Announce",
                author,
                obj["id"],
                article=article,
                to=[documents.PUBLIC],
                cc=[documents.collection_url(author, "followers"), obj["attributedTo"]],
            )
            delivery.enqueue_fan_out(announce.pk, [author.pk])
    return activity


def withdraw_article(article):
    """Tell followers an unpublished article is gone (``Delete`` with a ``Tombstone``)."""
    with transaction.atomic():
        state = FederatedArticle.objects.select_for_update().filter(article_id=article.pk).first()
        if state is None or state.deleted:
            return None
        state.deleted = True
        state.save(update_fields=["deleted", "updated_at"])
        outlet = actors.outlet_actor()
        tombstone = {"id": documents.object_url(article), "type": "Tombstone"}
        activity = record_activity(
            "Delete", outlet, tombstone, article=article, to=[documents.PUBLIC]
        )
        delivery.enqueue_fan_out(activity.pk, [actor.pk for actor in speakers_for(article)])
    return activity


def reply_to_follow(follower, kind):
    """Send ``Accept`` or ``Reject`` of ``follower``'s Follow to its own inbox."""
    follow = {
        "id": follower.follow_activity_id,
        "type": "Follow",
        "actor": follower.remote_actor.uri,
        "object": actors.actor_url(follower.local_actor.username),
    }
    activity = record_activity(
        kind, follower.local_actor, follow, to=[follower.remote_actor.uri], cc=[]
    )
    delivery.enqueue_fan_out(activity.pk, inboxes=[follower.remote_actor.inbox])
    return activity


def approve_follower(follower):
    """An editor approves a pending follow (SOCIAL_FOLLOW_APPROVAL=manual)."""
    with transaction.atomic():
        updated = Follower.objects.filter(pk=follower.pk, status=Follower.Status.PENDING).update(
            status=Follower.Status.ACCEPTED
        )
        if updated:
            reply_to_follow(follower, "Accept")
    return bool(updated)


def reject_follower(follower):
    """An editor turns down a follow (or removes a follower): Reject, then forget it."""
    with transaction.atomic():
        reply_to_follow(follower, "Reject")
        follower.delete()


def remove_remote_actor(remote_actor):
    """Forget a remote actor and everything it left here: follows, likes, boosts, replies
    (with their comments, see ``comments.remove``)."""
    with transaction.atomic():
        comments.remove_replies(Reply.objects.filter(remote_actor=remote_actor))
        remote_actor.delete()


def block_domain(domain, reason=""):
    """Block a whole server: its requests are refused, its actors' data removed."""
    domain = domain.strip().lower().rstrip(".")
    if not domain or "/" in domain or " " in domain:
        raise ValueError("A domain is a host name such as example.social.")
    with transaction.atomic():
        block, _created = BlockedDomain.objects.get_or_create(
            domain=domain, defaults={"reason": reason}
        )
        blocked = RemoteActor.objects.filter(Q(domain=domain) | Q(domain__endswith="." + domain))
        comments.remove_replies(Reply.objects.filter(remote_actor__in=blocked))
        blocked.delete()
    return block


def block_actor(uri, reason=""):
    """Block one remote actor: its requests are refused, its follows and reactions removed."""
    with transaction.atomic():
        block, _created = BlockedActor.objects.get_or_create(uri=uri, defaults={"reason": reason})
        comments.remove_replies(Reply.objects.filter(remote_actor__uri=uri))
        RemoteActor.objects.filter(uri=uri).delete()
    return block


def rotate_actor_key(actor):
    """Replace ``actor``'s key pair and tell followers' servers (an ``Update`` of the actor,
    signed with the new key, so their cached key is replaced)."""
    with transaction.atomic():
        actors.rotate_key(actor)
        activity = record_activity(
            "Update", actor, documents.actor_document(actor), to=[documents.PUBLIC]
        )
        delivery.enqueue_fan_out(activity.pk, [actor.pk])
    return activity
