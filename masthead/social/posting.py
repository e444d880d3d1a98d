"""Posting published articles to the outlet's accounts on social networks.

When an article is published, ``plan_posts`` makes one ``NetworkPost`` per account the
editor chose for it (every enabled account unless they chose otherwise), under a unique
constraint on (article, account): an article is posted to an account once, ever, and
publishing it again posts nothing. The task worker sends the new rows at once
(``send_posts_of``) and the periodic job sends rows whose retry time has come
(``send_due``). Each send claims its row with a lease, so two workers never post the same
row at the same moment; the network's own idempotency (Mastodon's Idempotency-Key, a fixed
Bluesky record key, a kept Threads container) covers an answer lost on the way back.

A failure worth retrying waits SOCIAL_RETRY_SECONDS, then twice as long each time (or the
network's Retry-After, when longer), and gives up after SOCIAL_POST_ATTEMPTS tries; a
permanent one (a refused token, a refused post) gives up at once. Both show in the admin.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from masthead.core.sites import absolute_url
from masthead.publishing.models import ArticlePage
from masthead.social import documents, networks
from masthead.social.models import ArticlePostChoice, NetworkAccount, NetworkPost

logger = logging.getLogger(__name__)

MAX_RETRY_SECONDS = 12 * 3600
PICTURE_RENDITION = "fill-1200x630|format-jpeg"


def default_text(article):
    """What a post says unless an editor wrote it: the headline and the standfirst."""
    return "\n\n".join(part for part in (article.title, article.standfirst or "") if part)


def choice_for(article):
    """The editor's choice for ``article``: (accounts, text), or the defaults."""
    choice = ArticlePostChoice.objects.filter(article_id=article.pk).first()
    enabled = NetworkAccount.objects.filter(enabled=True).order_by("pk")
    if choice is None:
        return list(enabled), default_text(article)
    accounts = list(enabled.filter(pk__in=choice.accounts.values("pk")))
    return accounts, choice.text.strip() or default_text(article)


def save_choice(article, accounts, text):
    """Record which accounts ``article`` goes to, and its text (empty for the default)."""
    choice, _created = ArticlePostChoice.objects.get_or_create(article_id=article.pk)
    choice.text = text.strip()
    choice.save(update_fields=["text", "updated_at"])
    choice.accounts.set(accounts)
    return choice


def plan_posts(article):
    """One post per chosen account for a live, public article, never a second one;
    returns how many were added."""
    if not article.live or article.get_view_restrictions():
        return 0
    accounts, text = choice_for(article)
    now = timezone.now()
    rows = [
        NetworkPost(
            article_id=article.pk,
            account=account,
            text=text,
            idempotency_key=networks.new_record_key(),
            next_attempt_at=now,
        )
        for account in accounts
    ]
    existing = set(
        NetworkPost.objects.filter(article_id=article.pk).values_list("account_id", flat=True)
    )
    rows = [row for row in rows if row.account_id not in existing]
    return len(NetworkPost.objects.bulk_create(rows, ignore_conflicts=True))


def card_for(article):
    """The article as every network shows it: link, title, standfirst, hashtags, picture."""
    article = ArticlePage.objects.select_related("hero_image").get(pk=article.pk)
    picture = None
    if article.hero_image is not None:
        try:
            rendition = article.hero_image.get_rendition(PICTURE_RENDITION)
            with rendition.file.open("rb") as image_file:
                data = image_file.read()
        except (OSError, ValueError):
            logger.warning("No picture for the social posts of article %s", article.pk)
        else:
            picture = networks.Picture(data, "image/jpeg", article.hero_alt, "picture.jpg")
    _site_id, _root, path = article.get_url_parts()
    return networks.Card(
        url=absolute_url(path),
        title=article.title,
        description=article.standfirst or "",
        hashtags=[documents.hashtag(tag.name) for tag in article.tags.order_by("name")],
        picture=picture,
    )


def claim(post):
    """Take ``post`` for this worker for a while; False when it is not due or is taken."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.SOCIAL_DELIVERY_TIMEOUT_SECONDS * 8 + 60)
    return bool(
        NetworkPost.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            pk=post.pk,
            status=NetworkPost.Status.PENDING,
            next_attempt_at__lte=now,
        ).update(claimed_until=lease)
    )


def send(post, card=None):
    """Make one try at ``post`` if it is due and free; record what happened. Returns the
    post's status afterwards, or None when it was not tried."""
    if not claim(post):
        return None
    post.refresh_from_db()
    progress = dict(post.progress)
    try:
        card = card or card_for(post.article)
        remote_id, url = networks.POSTERS[post.account.network](post, card, progress)
    except networks.PostError as error:
        _record_failure(post, progress, error)
    except (KeyError, TypeError) as error:
        # An answer without the field its API documents: counted like any failed try.
        _record_failure(post, progress, networks.PostError(f"Unexpected answer: {error!r}"))
    else:
        post.status = NetworkPost.Status.POSTED
        post.remote_id, post.url = remote_id[:300], url[:500]
        post.posted_at = timezone.now()
        post.last_error = ""
    post.attempts += 1
    post.progress = progress
    post.claimed_until = None
    post.save()
    return post.status


def _record_failure(post, progress, error):
    post.last_error = str(error)[:300]
    tries = post.attempts + 1
    if error.permanent or tries >= settings.SOCIAL_POST_ATTEMPTS:
        post.status = NetworkPost.Status.FAILED
        logger.warning("Gave up posting article %s to %s: %s", post.article_id, post.account, error)
        return
    wait = settings.SOCIAL_RETRY_SECONDS * 2 ** (tries - 1)
    wait = min(max(wait, error.retry_after or 0), MAX_RETRY_SECONDS)
    post.next_attempt_at = timezone.now() + timedelta(seconds=wait)


def send_posts_of(article_id):
    """Try every due post of one article (the task run after publishing)."""
    posts = NetworkPost.objects.filter(
        article_id=article_id, status=NetworkPost.Status.PENDING
    ).select_related("account", "article")
    card = None
    for post in posts:
        card = card or card_for(post.article)
        send(post, card)


def publish_article(article_id):
    """After a publication commits: plan the article's posts and send them."""
    article = ArticlePage.objects.filter(pk=article_id).first()
    if article is None:
        return
    with transaction.atomic():
        plan_posts(article)
    send_posts_of(article_id)


def send_due(limit=50):
    """The periodic job: one try at each post whose retry time has come."""
    due = NetworkPost.objects.filter(
        status=NetworkPost.Status.PENDING, next_attempt_at__lte=timezone.now()
    ).select_related("account", "article")
    tried = 0
    for post in due.order_by("next_attempt_at", "pk")[:limit]:
        if send(post) is not None:
            tried += 1
    return tried
