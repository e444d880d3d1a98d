"""What editors do to comments: approve, hide, ban and unban their authors, and open or
close an article's comments. Each is an ``Action`` (``masthead.core.actions``): it checks
the editor's permission, makes the change through one path, and writes the audit log (which
names the comment or commenter by number, never a reader's address).

- **Approve** publishes a comment (or keeps a reported one up) and settles its reports. It
  is refused while the article is legally sensitive. A commenter's first approval ends their
  shadow-hold: from then on their comments go live unless the word list holds them.
- **Hide** takes a comment off the page and settles its reports; it is kept for the
  editors, never deleted.
- **Ban** stops a reader or a fediverse account from commenting; their comments waiting in
  the queue are hidden. **Unban** makes them a new commenter again (held until approved).
"""

from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from masthead.core.actions import Action, concrete
from masthead.social import comments
from masthead.social.models import Comment, Commenter, CommentReport

MODERATE = "social.moderate_comment"
CHANGE_CONVERSATION = "social.change_conversation"

APPROVE_LOG_ACTION = "social.comment_approved"
HIDE_LOG_ACTION = "social.comment_hidden"
BAN_LOG_ACTION = "social.commenter_banned"
UNBAN_LOG_ACTION = "social.commenter_unbanned"
CONVERSATION_LOG_ACTION = "social.comments_switched"

LOG_ACTIONS = (
    (APPROVE_LOG_ACTION, _("Approve a comment"), _("Comment approved")),
    (HIDE_LOG_ACTION, _("Hide a comment"), _("Comment hidden")),
    (BAN_LOG_ACTION, _("Ban a commenter"), _("Commenter banned")),
    (UNBAN_LOG_ACTION, _("Lift a commenter's ban"), _("Commenter's ban lifted")),
    (CONVERSATION_LOG_ACTION, _("Open or close comments"), _("Article's comments changed")),
)


def may_moderate(user):
    return bool(user and user.is_active and user.has_perm(MODERATE))


def _settle(comment, status, reason, user):
    """Give ``comment`` its editor's decision and settle its reports."""
    now = timezone.now()
    changes = {
        "status": status,
        "reason": reason,
        "moderated_at": now,
        "moderated_by": concrete(user),
    }
    if status == Comment.Status.APPROVED:
        changes["published_at"] = Coalesce("published_at", now)
    Comment.objects.filter(pk=comment.pk).update(**changes)
    CommentReport.objects.filter(comment_id=comment.pk, resolved=False).update(resolved=True)
    comments.changed(comment.article_id)
    comment.refresh_from_db()


class ApproveComment(Action):
    """Publish a comment, or keep a reported one up (see the module docstring)."""

    permission = MODERATE
    log_action = APPROVE_LOG_ACTION

    def perform(self):
        with transaction.atomic():
            comment = (
                Comment.objects.select_for_update()
                .select_related("article")
                .get(pk=self.instance.pk)
            )
            if comment.status == Comment.Status.REMOVED:
                raise comments.Refused(_("This comment was removed: there is nothing to show."))
            if comment.status != Comment.Status.APPROVED and comments.is_sensitive(comment.article):
                raise comments.Refused(
                    _(
                        "This article is legally sensitive: no comment can be published on it "
                        "until the mark is removed. The comment stays in the queue."
                    ),
                    status=409,
                )
            _settle(comment, Comment.Status.APPROVED, Comment.Reason.NONE, self.user)
            Commenter.objects.filter(
                pk=comment.commenter_id, standing=Commenter.Standing.NEW
            ).update(standing=Commenter.Standing.TRUSTED)
        self.instance = comment
        self.log_data = {"comment": comment.pk, "article": comment.article_id}
        return comment


class HideComment(Action):
    """Take a comment off the page, keeping it for the editors."""

    permission = MODERATE
    log_action = HIDE_LOG_ACTION

    def perform(self):
        with transaction.atomic():
            comment = Comment.objects.select_for_update().get(pk=self.instance.pk)
            if comment.status == Comment.Status.REMOVED:
                raise comments.Refused(_("This comment was removed: there is nothing to hide."))
            _settle(comment, Comment.Status.HIDDEN, Comment.Reason.MODERATOR, self.user)
        self.instance = comment
        self.log_data = {"comment": comment.pk, "article": comment.article_id}
        return comment


class BanCommenter(Action):
    """Stop a commenter commenting; their comments waiting for moderation are hidden."""

    permission = MODERATE
    log_action = BAN_LOG_ACTION

    def __init__(self, instance, user, reason=""):
        super().__init__(instance, user)
        self.reason = reason

    def perform(self):
        commenter = self.instance
        with transaction.atomic():
            Commenter.objects.filter(pk=commenter.pk).update(
                standing=Commenter.Standing.BANNED,
                ban_reason=self.reason[:300],
                banned_at=timezone.now(),
            )
            hidden = Comment.objects.filter(
                commenter=commenter, status=Comment.Status.PENDING
            ).update(
                status=Comment.Status.HIDDEN,
                reason=Comment.Reason.BANNED,
                moderated_at=timezone.now(),
                moderated_by=concrete(self.user),
            )
        commenter.refresh_from_db()
        self.log_data = {"commenter": commenter.pk, "pending_hidden": hidden}
        return hidden


class UnbanCommenter(Action):
    """Let a banned commenter comment again, held until an editor approves them anew."""

    permission = MODERATE
    log_action = UNBAN_LOG_ACTION

    def perform(self):
        commenter = self.instance
        Commenter.objects.filter(pk=commenter.pk, standing=Commenter.Standing.BANNED).update(
            standing=Commenter.Standing.NEW, ban_reason="", banned_at=None
        )
        commenter.refresh_from_db()
        self.log_data = {"commenter": commenter.pk}
        return commenter


class SwitchComments(Action):
    """Open, close or switch off an article's comments (``comments.set_state``)."""

    permission = CHANGE_CONVERSATION
    log_action = CONVERSATION_LOG_ACTION

    def __init__(self, article, user, setting):
        super().__init__(article, user)
        self.setting = setting

    def perform(self):
        article = self.instance
        self.instance = comments.set_state(article, self.setting, concrete(self.user))
        self.log_data = {"article": article.pk, "comments": self.setting}
        return self.instance
