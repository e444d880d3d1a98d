"""The social web's share of what is held about a reader: their comments, their reports of
others' comments, and how the editors stand towards them as a commenter.

Erasure removes their comments (``comments.remove``): deleted, except that a comment others
replied to stays as an empty place saying "This comment was removed", with no name, text or
link to them, so the replies still read. Their reports and their commenter record go too.
Nothing is kept about them.
"""

from django.utils.translation import gettext_lazy as _

from masthead.readers.registry import PersonalData
from masthead.social import comments
from masthead.social.models import Comment, Commenter, CommentReport

MODELS = ("social.Commenter", "social.Comment", "social.CommentReport")

KEPT = _(
    "Where others replied to one of your comments, an empty place saying that a comment was "
    "removed, so that their replies still read: nothing you wrote, and not your name."
)


def _when(value):
    return value.isoformat() if value else None


def export(reader):
    """Every comment ``reader`` wrote (whatever became of it), their reports and their
    standing as a commenter. An unsaved reader (an editor's search) has none."""
    if reader.pk is None:
        return {"commenter": [], "comments": [], "reports": []}
    commenter = Commenter.objects.filter(reader=reader).first()
    written = (
        Comment.objects.filter(commenter=commenter).select_related("article").order_by("pk")
        if commenter
        else Comment.objects.none()
    )
    return {
        "commenter": [
            {
                "standing": commenter.get_standing_display(),
                "why_banned": commenter.ban_reason,
                "banned_at": _when(commenter.banned_at),
                "first_comment": _when(commenter.created_at),
            }
        ]
        if commenter
        else [],
        "comments": [
            {
                "article": comment.article.title,
                "article_url": comment.article.full_url,
                "in_reply_to": comment.parent_id,
                "id": comment.pk,
                "name_shown": comment.author_name,
                "text": comment.body,
                "status": comment.get_status_display(),
                "posted_at": _when(comment.created_at),
                "published_at": _when(comment.published_at),
            }
            for comment in written
        ],
        "reports": [
            {
                "comment": report.comment_id,
                "reason": report.get_reason_display(),
                "reported_at": _when(report.created_at),
            }
            for report in CommentReport.objects.filter(reader=reader).order_by("pk")
        ],
    }


def erase(reader):
    """Remove ``reader``'s comments, reports and commenter record (see the docstring)."""
    if reader.pk is None:
        return
    comments.remove(Comment.objects.filter(commenter__reader=reader))
    CommentReport.objects.filter(reader=reader).delete()
    Commenter.objects.filter(reader=reader).delete()


share = PersonalData(
    name="social",
    title=_("Comments"),
    models=MODELS,
    export=export,
    erase=erase,
    kept=KEPT,
    order=20,
)
