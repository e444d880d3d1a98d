"""Recording what the outlet and its authors say to the fediverse: each activity is stored
as an ``Activity`` before it is delivered, and the functions here say to whom it goes (as
``delivery.FanOut``s) without queueing anything, so the tasks that deliver can call them.

``federate_article`` is the article's own: the tasks run it after a publication commits.
"""

import uuid

from django.db import transaction
from django.urls import reverse

from masthead.core.sites import absolute_url
from masthead.publishing.models import ArticlePage
from masthead.social import actors, documents
from masthead.social.delivery import FanOut
from masthead.social.models import Activity, FederatedArticle, LocalActor


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
    """Record what followers must be told about a published article, and return the
    deliveries it needs (``FanOut``s): a ``Create`` the first time, an ``Update`` when the
    object changed since (an edit or a correction), nothing when it did not.

    The outlet is the article's author on the fediverse. A ``Create`` goes to the outlet's
    followers, and each federated author of the article boosts it (``Announce``) to their
    own: Mastodon drops a ``Create`` from an account no one on the server follows. An
    ``Update`` goes once to every server that knows the article, whoever its followers
    follow."""
    article = ArticlePage.objects.select_related("hero_image").get(pk=article.pk)
    if not article.live or article.get_view_restrictions():
        return []
    outlet = actors.outlet_actor()
    obj = documents.article_object(article, outlet)
    digest = documents.content_hash(obj)
    with transaction.atomic():
        state = FederatedArticle.objects.select_for_update().filter(article=article).first()
        if state is not None and not state.deleted and state.content_hash == digest:
            return []
        kind = "Update" if state is not None and not state.deleted else "Create"
        FederatedArticle.objects.update_or_create(
            article=article, defaults={"content_hash": digest, "deleted": False}
        )
        activity = record_activity(kind, outlet, obj, article=article)
        speakers = speakers_for(article)
        if kind == "Update":
            return [FanOut(activity.pk, tuple(actor.pk for actor in speakers))]
        fan_outs = [FanOut(activity.pk, (outlet.pk,))]
        for author in speakers[1:]:
            announce = record_activity(
                "Announce",
                author,
                obj["id"],
                article=article,
                to=[documents.PUBLIC],
                cc=[documents.collection_url(author, "followers"), obj["attributedTo"]],
            )
            fan_outs.append(FanOut(announce.pk, (author.pk,)))
    return fan_outs
