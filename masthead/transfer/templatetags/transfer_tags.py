"""Template tags of what came from an old site: its comments at the end of an article."""

from dataclasses import dataclass, field

from django import template
from django.utils.safestring import mark_safe

from masthead.transfer import html
from masthead.transfer.models import ArchivedComment, TransferSettings

register = template.Library()


@dataclass
class Thread:
    """A comment and every reply under it, however deep, shown one level in."""

    comment: ArchivedComment
    body: str
    replies: list = field(default_factory=list)

    @property
    def author_link(self):
        """The commenter's web address, if it is one (never a ``javascript:`` link)."""
        url = self.comment.author_url.strip()
        return url if url.lower().startswith(("https://", "http://")) else ""


def threads_for(article):
    """The article's approved archived comments as threads, oldest first. A reply whose
    parent is missing (not approved, or not imported) starts a thread of its own."""
    comments = list(ArchivedComment.objects.filter(article=article, approved=True))
    by_source = {comment.source_id: comment for comment in comments}

    def root_of(comment):
        seen = set()
        while comment.parent_source_id in by_source and comment.source_id not in seen:
            seen.add(comment.source_id)
            comment = by_source[comment.parent_source_id]
        return comment

    threads = {}
    for comment in comments:
        # The body was sanitised on import; it is sanitised again here, as it goes out.
        body = mark_safe(html.sanitise(comment.body))  # noqa: S308 - sanitised just now
        root = root_of(comment)
        if root is comment:
            threads.setdefault(comment.pk, Thread(comment, body)).body = body
        else:
            threads.setdefault(root.pk, Thread(root, "")).replies.append(Thread(comment, body))
    order = {comment.pk: number for number, comment in enumerate(comments)}
    return sorted(threads.values(), key=lambda thread: order[thread.comment.pk])


@register.simple_tag(takes_context=True)
def archived_comments(context, article):
    """The threads to show at the end of ``article``: none unless the site shows archived
    comments (Settings → Imported content)."""
    request = context.get("request")
    if request is None or article is None or article.pk is None:
        return []
    if not TransferSettings.for_request(request).show_archived_comments:
        return []
    return threads_for(article)
