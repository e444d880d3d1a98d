"""What changes the social web's state: telling the fediverse an article is gone, accepting
and rejecting follows, blocking actors and servers, rotating keys.

Views, admin actions, signal receivers and commands all call these; each records what it
sends as an ``Activity`` (``masthead.social.activities``, where a published article's own
Create or Update is recorded by its task) and queues its delivery after the transaction
commits.
"""

from django.db import transaction
from django.db.models import Q

from masthead.social import actors, comments, documents, tasks
from masthead.social.activities import record_activity, speakers_for
from masthead.social.models import (
    BlockedActor,
    BlockedDomain,
    FederatedArticle,
    Follower,
    RemoteActor,
    Reply,
)


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
        tasks.enqueue_fan_out(activity.pk, [actor.pk for actor in speakers_for(article)])
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
    tasks.enqueue_fan_out(activity.pk, inboxes=[follower.remote_actor.inbox])
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
        tasks.enqueue_fan_out(activity.pk, [actor.pk])
    return activity
