"""Wagtail admin of comments: the moderation queue (waiting, reported, published, hidden,
banned commenters) with its approve, hide, ban and unban buttons; each article's comments
switch (off, open, closed), also reached from the article's edit screen; the word list; and
the legally sensitive sections and tags.

Only editors with the permission reach them (``social.moderate_comment`` for the queue, the
models' own permissions for the rest); every change goes through
``masthead.social.actions`` (permission, change, audit log) or
``masthead.social.comments``.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from taggit.models import Tag
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic import CreateView, EditView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet

from masthead.publishing.models import ArticlePage, SectionPage
from masthead.social import actions, comments
from masthead.social.models import Comment, Commenter, Conversation, LegallySensitive, WordRule

QUEUE_PAGE_SIZE = 50


class ModeratorsMenuItem(MenuItem):
    """A menu item shown only to editors who may moderate comments."""

    def is_shown(self, request):
        return actions.may_moderate(request.user)


# --- The moderation queue ----------------------------------------------------------------------


TABS = (
    ("pending", _("Waiting")),
    ("reported", _("Reported")),
    ("approved", _("Published")),
    ("hidden", _("Hidden")),
    ("banned", _("Banned commenters")),
)


def queue_rows(tab):
    """The comments (or, for ``banned``, the commenters) one tab of the queue lists: the
    waiting ones oldest first (first come, first served), the others newest first."""
    if tab == "banned":
        return (
            Commenter.objects.filter(standing=Commenter.Standing.BANNED)
            .select_related("reader")
            .order_by("-banned_at")
        )
    rows = Comment.objects.select_related(
        "article", "commenter__reader", "reply__remote_actor"
    ).annotate(open_reports=Count("reports", filter=Q(reports__resolved=False)))
    if tab == "reported":
        return (
            rows.filter(open_reports__gt=0)
            .exclude(status=Comment.Status.REMOVED)
            .order_by("-created_at")
        )
    if tab == "pending":
        return rows.filter(status=Comment.Status.PENDING).order_by("created_at", "pk")
    return rows.filter(status=tab).order_by("-created_at")


class CommentQueueView(WagtailAdminTemplateMixin, TemplateView):
    """The queue: one tab per kind, a page of rows at a time, a decision per row."""

    template_name = "social/admin/comment_queue.html"
    page_title = _("Comments to moderate")
    header_icon = "comment"

    def dispatch(self, request, *args, **kwargs):
        if not actions.may_moderate(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        tab = self.request.GET.get("show", "pending")
        if tab not in dict(TABS):
            tab = "pending"
        page = Paginator(queue_rows(tab), QUEUE_PAGE_SIZE).get_page(self.request.GET.get("p"))
        counts = {
            "pending": Comment.objects.filter(status=Comment.Status.PENDING).count(),
            "reported": Comment.objects.filter(reports__resolved=False)
            .exclude(status=Comment.Status.REMOVED)
            .distinct()
            .count(),
        }
        return super().get_context_data(
            tab=tab,
            tabs=[(key, label, counts.get(key)) for key, label in TABS],
            rows=page,
            **kwargs,
        )


def _back_to_queue(request):
    tab = request.POST.get("show", "pending")
    return redirect(f"{reverse('social_comments:index')}?show={tab if tab in dict(TABS) else ''}")


def decide_comment(request, pk):
    """An editor approves or hides a comment, or bans its author (POST ``decision``)."""
    comment = get_object_or_404(Comment, pk=pk)
    if request.method != "POST":
        return redirect("social_comments:index")
    if not actions.may_moderate(request.user):
        raise PermissionDenied
    decision = request.POST.get("decision")
    try:
        if decision == "approve":
            actions.ApproveComment(comment, request.user).execute()
            messages.success(request, _("Comment %(id)s is published.") % {"id": comment.pk})
        elif decision == "hide":
            actions.HideComment(comment, request.user).execute()
            messages.success(request, _("Comment %(id)s is hidden.") % {"id": comment.pk})
        elif decision == "ban" and comment.commenter is not None:
            hidden = actions.BanCommenter(
                comment.commenter, request.user, reason=request.POST.get("reason", "")
            ).execute()
            messages.success(
                request,
                _("The commenter is banned; %(count)s waiting comments of theirs are hidden.")
                % {"count": hidden},
            )
        else:
            messages.error(request, _("Choose approve, hide or ban."))
    except comments.Refused as refusal:
        messages.error(request, refusal.message)
    return _back_to_queue(request)


def unban_commenter(request, pk):
    """An editor lifts a ban (POST)."""
    commenter = get_object_or_404(Commenter, pk=pk)
    if request.method != "POST":
        return redirect("social_comments:index")
    if not actions.may_moderate(request.user):
        raise PermissionDenied
    actions.UnbanCommenter(commenter, request.user).execute()
    messages.success(request, _("The ban is lifted: their next comment waits for approval."))
    return _back_to_queue(request)


class CommentQueueViewSet(ViewSet):
    """The moderation queue, as one screen in the Comments menu."""

    icon = "comment"
    menu_label = _("Moderation queue")
    menu_item_class = ModeratorsMenuItem

    def get_urlpatterns(self):
        return [
            path("", CommentQueueView.as_view(), name="index"),
            path("<int:pk>/decide/", decide_comment, name="decide"),
            path("commenters/<int:pk>/unban/", unban_commenter, name="unban"),
        ]


# --- Each article's comments switch -----------------------------------------------------------


class ConversationForm(forms.ModelForm):
    article = forms.ModelChoiceField(
        label=_("Article"), queryset=ArticlePage.objects.order_by("-first_published_at")
    )

    class Meta:
        model = Conversation
        fields = ["article", "state"]
        widgets = {"state": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # An article's switch stays its own.
            self.fields["article"].disabled = True


class ConversationSaveMixin:
    """Saving goes through the audited action; a refusal (a legally sensitive article)
    becomes the form's error, and nothing is saved."""

    def save_instance(self):
        article = self.form.cleaned_data["article"]
        return actions.SwitchComments(
            article, self.request.user, self.form.cleaned_data["state"]
        ).execute()

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except comments.Refused as refusal:
            form.add_error("state", refusal.message)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class ConversationCreateView(ConversationSaveMixin, CreateView):
    def get_initial(self):
        initial = super().get_initial()
        article = self.request.GET.get("article", "")
        if article.isdigit():
            initial["article"] = int(article)
        return initial


class ConversationEditView(ConversationSaveMixin, EditView):
    pass


def article_comments(request, page_id):
    """From an article's edit screen: its comments switch, made if it has none yet."""
    article = get_object_or_404(ArticlePage, pk=page_id)
    conversation = Conversation.objects.filter(article=article).first()
    if conversation is None:
        return redirect(f"{reverse('social_conversations:add')}?article={article.pk}")
    return redirect("social_conversations:edit", conversation.pk)


class ConversationViewSet(ModelViewSet):
    """Which articles take comments (off unless opened here), open or closed."""

    model = Conversation
    icon = "comment"
    menu_label = _("Article comments")
    add_view_class = ConversationCreateView
    edit_view_class = ConversationEditView
    list_display = ["article", "state", "changed_at"]
    list_filter = ["state"]
    copy_view_enabled = False
    inspect_view_enabled = False

    def get_form_class(self, for_update=False):
        return ConversationForm

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("article/<int:page_id>/", article_comments, name="article"),
        ]


# --- The word list and the legally sensitive marks ----------------------------------------------


class WordRuleForm(forms.ModelForm):
    class Meta:
        model = WordRule
        fields = ["phrase", "action"]

    def clean_phrase(self):
        phrase = " ".join((self.cleaned_data.get("phrase") or "").split())
        if not phrase:
            raise forms.ValidationError(_("Give a word or a phrase."))
        return phrase


class WordRuleViewSet(ModelViewSet):
    """Words and phrases that hold comments for moderation or refuse them."""

    model = WordRule
    icon = "warning"
    menu_label = _("Word list")
    list_display = ["phrase", "action", "created_at"]
    list_filter = ["action"]
    copy_view_enabled = False
    inspect_view_enabled = False

    def get_form_class(self, for_update=False):
        return WordRuleForm


class LegallySensitiveForm(forms.ModelForm):
    section = forms.ModelChoiceField(
        label=_("Section"), queryset=SectionPage.objects.order_by("title"), required=False
    )
    tag = forms.ModelChoiceField(
        label=_("Tag"), queryset=Tag.objects.order_by("name"), required=False
    )

    class Meta:
        model = LegallySensitive
        fields = ["section", "tag", "reason"]

    def clean(self):
        data = super().clean()
        if bool(data.get("section")) == bool(data.get("tag")):
            raise forms.ValidationError(_("Choose either a section or a tag (one per entry)."))
        return data


class LegallySensitiveViewSet(ModelViewSet):
    """Sections and tags whose articles take no comments while proceedings are active."""

    model = LegallySensitive
    icon = "warning"
    menu_label = _("Legally sensitive")
    list_display = ["section", "tag", "reason", "created_at"]
    copy_view_enabled = False
    inspect_view_enabled = False

    def get_form_class(self, for_update=False):
        return LegallySensitiveForm


viewsets = [
    CommentQueueViewSet("social_comments"),
    ConversationViewSet("social_conversations"),
    WordRuleViewSet("social_word_list"),
    LegallySensitiveViewSet("social_legally_sensitive"),
]
