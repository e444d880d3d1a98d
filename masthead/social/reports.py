"""What the admin shows of the fediverse's response to the outlet's articles: likes, boosts
and replies counted per article."""

from dataclasses import dataclass

from django.db.models import Count, Max, Q

from masthead.publishing.models import ArticlePage
from masthead.social.models import Reaction, Reply


@dataclass
class ArticleReactions:
    """One article's likes, boosts and replies from the fediverse."""

    article: ArticlePage
    likes: int
    boosts: int
    replies: int


def reactions_by_article(limit=100):
    """The ``limit`` articles most recently liked, boosted or replied to, with their counts."""
    reactions = {
        row["article_id"]: row
        for row in Reaction.objects.values("article_id").annotate(
            likes=Count("pk", filter=Q(kind=Reaction.Kind.LIKE)),
            boosts=Count("pk", filter=Q(kind=Reaction.Kind.ANNOUNCE)),
            latest=Max("created_at"),
        )
    }
    replies = {
        row["article_id"]: row
        for row in Reply.objects.values("article_id").annotate(
            replies=Count("pk"), latest=Max("received_at")
        )
    }

    def latest(article_id):
        return max(
            row["latest"] for row in (reactions.get(article_id), replies.get(article_id)) if row
        )

    chosen = sorted(reactions.keys() | replies.keys(), key=latest, reverse=True)[:limit]
    articles = ArticlePage.objects.in_bulk(chosen)
    return [
        ArticleReactions(
            article=articles[article_id],
            likes=reactions.get(article_id, {}).get("likes", 0),
            boosts=reactions.get(article_id, {}).get("boosts", 0),
            replies=replies.get(article_id, {}).get("replies", 0),
        )
        for article_id in chosen
        if article_id in articles
    ]
