"""Readers' comments and fediverse replies on articles: whether an article takes them, what
happens to a new one, readers' reports, and what readers are shown.

**Whether an article takes comments** (``state_of``): only once an editor has opened them
(``Conversation``; off by default), and never while the article is in a section or has a
tag an editor marked legally sensitive (``LegallySensitive``): it is then closed, whatever
its own setting, and cannot be opened. Closing, either way, never deletes: the published
comments stay under "Comments are closed" and pending ones stay in the queue.

**A new comment** (``post`` from a signed-in reader, ``receive_reply`` from the fediverse):

- refused if the article is not open, its author is banned or the word list refuses it; a
  fediverse reply cannot be refused (it was already sent), so it is kept hidden instead;
- held for moderation if its author has never had a comment approved (the shadow-hold of
  new commenters) or the word list holds it;
- published at once otherwise.

Threads are one level deep: a reply names a top-level comment. A reply to a reply is
attached to the top-level comment it is under, so nothing a reader wrote is refused for
where they clicked.

**Reports**: each one shows in the editors' queue at once; the comment stays up until
``SOCIAL_COMMENT_REPORTS_TO_HOLD`` readers have reported it, then goes back to the queue.
One reader alone cannot take down someone else's comment.

**What readers see** is the article's comments fragment (``comment_views``), kept by the
page cache like a page and tagged ``comments_tag(article)`` (``masthead.core.page_tags``):
``changed(article)`` empties it whenever a comment appears on it or leaves it. The
article's own cached page never changes for a comment.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from masthead.core import page_tags
from masthead.core.prepared import PreparedQuery
from masthead.publishing.models import ArticlePageTag
from masthead.social import comment_text, words
from masthead.social.models import (
    Comment,
    Commenter,
    CommentReport,
    Conversation,
    LegallySensitive,
    Reply,
)

CLOSED_MESSAGE = _("Comments on this article are closed.")


class Refused(Exception):
    """A comment, reply or report is refused; ``message`` says why, for the reader, and
    ``status`` is the HTTP answer."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.message = message
        self.status = status


# --- Whether an article takes comments ---------------------------------------------------------


@dataclass(frozen=True)
class State:
    """An article's comments as readers meet them: ``setting`` is the editors' choice for
    it, ``sensitive`` whether a legally sensitive mark closes it anyway."""

    setting: str
    sensitive: bool = False

    @property
    def is_shown(self):
        """Whether the article has a comments section at all."""
        return self.setting != Conversation.State.OFF

    @property
    def is_open(self):
        return self.setting == Conversation.State.OPEN and not self.sensitive

    @property
    def is_closed(self):
        return self.is_shown and not self.is_open


def sensitive_marks(article):
    """The legally sensitive marks that close ``article``: on a section it is in, or on one
    of its (published) tags."""
    sections = article.get_ancestors().values("pk")
    tags = ArticlePageTag.objects.filter(content_object_id=article.pk).values("tag_id")
    return LegallySensitive.objects.filter(Q(section_id__in=sections) | Q(tag_id__in=tags))


def is_sensitive(article):
    return sensitive_marks(article).exists()


# Asked on every article page: compiled once per process (masthead.core.prepared).
_conversation_state = PreparedQuery(
    lambda pk: (
        Conversation.objects.filter(article_id=pk)
        .order_by("pk")
        .values_list("state", flat=True)[:1]
    )
)


def state_of(article):
    """Whether ``article`` takes comments, and whether it shows any (see the docstring)."""
    stored = _conversation_state(article.pk) if article.pk is not None else []
    setting = (stored[0] if stored else None) or Conversation.State.OFF
    if setting == Conversation.State.OFF:
        return State(setting)
    return State(setting, sensitive=is_sensitive(article))


def set_state(article, setting, user=None):
    """Open, close or switch off ``article``'s comments; opening is refused while the
    article is legally sensitive. No comment is ever deleted. Returns the Conversation."""
    if setting not in Conversation.State.values:
        raise Refused(_("Choose off, open or closed."))
    if setting == Conversation.State.OPEN and is_sensitive(article):
        raise Refused(
            _(
                "This article is in a section or has a tag marked legally sensitive: its "
                "comments stay closed until the mark is removed."
            ),
            status=409,
        )
    conversation, _created = Conversation.objects.update_or_create(
        article_id=article.pk, defaults={"state": setting, "changed_by": user}
    )
    return conversation


# --- The fragment readers see ------------------------------------------------------------------


def comments_tag(article_id):
    """The page-cache tag of an article's comments fragment."""
    return f"social:comments:{article_id}"


def changed(*article_ids):
    """The comments shown on these articles changed: their fragments are rendered afresh
    (now, and again after the commit)."""
    page_tags.invalidate(*sorted({comments_tag(pk) for pk in article_ids}))


@dataclass
class Thread:
    """A top-level comment and the published replies to it, oldest first."""

    comment: Comment
    replies: list = field(default_factory=list)


def threads_for(article):
    """The published comments of ``article`` as threads, oldest first. A removed comment
    (its author erased) is kept as an empty place only while published replies hang on it;
    replies to a comment that is not published are not shown."""
    rows = Comment.objects.filter(
        article_id=article.pk, status__in=[Comment.Status.APPROVED, Comment.Status.REMOVED]
    ).select_related("reply__remote_actor")
    threads = {row.pk: Thread(row) for row in rows if row.parent_id is None}
    for row in rows:
        if row.parent_id in threads and row.status == Comment.Status.APPROVED:
            threads[row.parent_id].replies.append(row)
    return [
        thread
        for thread in threads.values()
        if thread.comment.status == Comment.Status.APPROVED or thread.replies
    ]


# --- New comments --------------------------------------------------------------------------------


def commenter_for_reader(reader):
    commenter, _created = Commenter.objects.get_or_create(reader=reader)
    return commenter


def _outcome(commenter, word_action):
    """(status, reason) of a new comment that is not refused."""
    if word_action == words.HOLD:
        return Comment.Status.PENDING, Comment.Reason.WORD_LIST
    if commenter.standing != Commenter.Standing.TRUSTED:
        return Comment.Status.PENDING, Comment.Reason.NEW_COMMENTER
    return Comment.Status.APPROVED, Comment.Reason.NONE


def _thread_root(article, parent_id):
    """The top-level comment a reply goes under, or None for a new thread."""
    if parent_id in (None, ""):
        return None
    try:
        parent_pk = int(parent_id)
    except (TypeError, ValueError):
        raise Refused(_("The comment you are replying to cannot be found.")) from None
    parent = Comment.objects.select_related("parent").filter(pk=parent_pk).first()
    if parent is None:
        raise Refused(_("The comment you are replying to cannot be found."), status=404)
    if parent.article_id != article.pk:
        raise Refused(_("The comment you are replying to is not on this article."))
    root = parent.parent or parent
    if root.status not in (Comment.Status.APPROVED, Comment.Status.REMOVED):
        raise Refused(_("The comment you are replying to is not published."), status=409)
    return root


def post(reader, article, body, name="", parent_id=None):
    """A signed-in reader's comment on ``article`` (``body`` and ``name`` already checked
    by ``comment_text``), under ``parent_id`` if it is a reply. Returns the Comment, or
    raises Refused (see the module docstring)."""
    with transaction.atomic():
        if not state_of(article).is_open:
            raise Refused(CLOSED_MESSAGE, status=403)
        commenter = commenter_for_reader(reader)
        if commenter.standing == Commenter.Standing.BANNED:
            raise Refused(_("You can no longer comment on this site."), status=403)
        root = _thread_root(article, parent_id)
        word_action = words.action_for(f"{name}\n{body}")
        if word_action == words.REJECT:
            raise Refused(
                _(
                    "Your comment uses a word or phrase this site does not publish. Please "
                    "change it and send it again."
                )
            )
        status, reason = _outcome(commenter, word_action)
        comment = Comment.objects.create(
            article=article,
            parent=root,
            commenter=commenter,
            author_name=name or reader.name[:100],
            body=body,
            status=status,
            reason=reason,
            published_at=timezone.now() if status == Comment.Status.APPROVED else None,
        )
        if status == Comment.Status.APPROVED:
            changed(article.pk)
    return comment


def receive_reply(reply):
    """A fediverse reply just stored (``inbox``) becomes a comment, moderated like a
    reader's; one arriving while the article is not open, from a banned account or refused
    by the word list is kept, hidden."""
    actor = reply.remote_actor
    commenter, _created = Commenter.objects.get_or_create(actor_uri=actor.uri)
    body = comment_text.text_of_html(reply.content)
    name = comment_text.one_line(actor.name or str(actor), 100)
    word_action = words.action_for(f"{name}\n{body}")
    if not state_of(reply.article).is_open:
        status, reason = Comment.Status.HIDDEN, Comment.Reason.CLOSED
    elif commenter.standing == Commenter.Standing.BANNED:
        status, reason = Comment.Status.HIDDEN, Comment.Reason.BANNED
    elif word_action == words.REJECT:
        status, reason = Comment.Status.HIDDEN, Comment.Reason.WORD_LIST
    else:
        status, reason = _outcome(commenter, word_action)
    comment = Comment.objects.create(
        article_id=reply.article_id,
        commenter=commenter,
        reply=reply,
        author_name=name,
        body=body,
        status=status,
        reason=reason,
        published_at=timezone.now() if status == Comment.Status.APPROVED else None,
    )
    if status == Comment.Status.APPROVED:
        changed(reply.article_id)
    return comment


# --- Taking comments away ------------------------------------------------------------------------


def remove(comments):
    """Take ``comments`` away for good (their author erased, or the note deleted on the
    fediverse): one that others replied to stays as an empty, removed place, so that their
    replies still read; the rest are deleted."""
    comments = list(comments)
    if not comments:
        return
    ids = {comment.pk for comment in comments}
    replied_to = set(
        Comment.objects.filter(parent_id__in=ids)
        .exclude(pk__in=ids)
        .values_list("parent_id", flat=True)
    )
    with transaction.atomic():
        Comment.objects.filter(pk__in=replied_to).update(
            status=Comment.Status.REMOVED,
            reason=Comment.Reason.NONE,
            body="",
            author_name="",
            commenter=None,
            reply=None,
        )
        Comment.objects.filter(pk__in=ids - replied_to).delete()
        changed(*{comment.article_id for comment in comments})


def remove_replies(replies):
    """Forget the fediverse ``replies`` (a queryset: a ``Delete`` of the note or of its
    account, a block) and take their comments away with them (see ``remove``)."""
    ids = list(replies.values_list("pk", flat=True))
    remove(Comment.objects.filter(reply_id__in=ids))
    Reply.objects.filter(pk__in=ids).delete()


# --- Reports -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportResult:
    comment: Comment
    already_reported: bool


def report(reader, comment_id, reason):
    """``reader`` reports a published comment (see the module docstring)."""
    if reason not in CommentReport.Reason.values:
        raise Refused(_("Choose why you are reporting the comment."))
    with transaction.atomic():
        comment = (
            Comment.objects.select_for_update()
            .filter(pk=comment_id, status=Comment.Status.APPROVED)
            .first()
        )
        if comment is None:
            raise Refused(_("This comment cannot be reported: it is not published."), 404)
        _report, created = CommentReport.objects.get_or_create(
            comment=comment, reader=reader, defaults={"reason": reason}
        )
        if not created:
            return ReportResult(comment, already_reported=True)
        unresolved = CommentReport.objects.filter(comment=comment, resolved=False).count()
        if unresolved >= settings.SOCIAL_COMMENT_REPORTS_TO_HOLD:
            comment.status = Comment.Status.PENDING
            comment.reason = Comment.Reason.REPORTED
            comment.save(update_fields=["status", "reason"])
            changed(comment.article_id)
    return ReportResult(comment, already_reported=False)
