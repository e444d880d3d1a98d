"""Wagtail admin of the social web: followers (with approval of pending follows), blocked
servers and actors, the authors who are followable, reactions and replies per article, the
deliveries of each activity, the outlet's social network accounts (their secrets never shown
back in full), the posts made to them, and each article's choice of accounts and text.
Every change goes through masthead.social.services or masthead.social.posting."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.ui.tables import Column, StatusTagColumn
from wagtail.admin.views.generic import CreateView, EditView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet

from masthead.publishing.models import ArticlePage
from masthead.social import actors, posting, reports, services
from masthead.social.models import (
    BlockedActor,
    BlockedDomain,
    Delivery,
    Follower,
    LocalActor,
    NetworkAccount,
    NetworkPost,
    Reaction,
    Reply,
)


class FollowerInspectView(InspectView):
    """A follower's details, with Approve and Reject for a pending follow."""

    template_name = "social/admin/follower_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["decide_url"] = reverse("social_followers:decide", args=[self.object.pk])
        context["may_decide"] = self.request.user.has_perm("social.change_follower")
        return context


def decide_follower(request, pk):
    """An editor approves or rejects a follow (POST ``decision=approve|reject``)."""
    follower = get_object_or_404(Follower.objects.select_related("remote_actor"), pk=pk)
    if request.method != "POST":
        return redirect("social_followers:inspect", pk)
    if not request.user.has_perm("social.change_follower"):
        raise PermissionDenied
    if request.POST.get("decision") == "approve":
        services.approve_follower(follower)
        messages.success(request, _("%(actor)s now follows.") % {"actor": follower.remote_actor})
        return redirect("social_followers:inspect", pk)
    if request.POST.get("decision") == "reject":
        services.reject_follower(follower)
        messages.success(
            request, _("%(actor)s was turned down.") % {"actor": follower.remote_actor}
        )
        return redirect("social_followers:index")
    messages.error(request, _("Choose approve or reject."))
    return redirect("social_followers:inspect", pk)


class FollowerViewSet(ModelViewSet):
    """Who follows the outlet and its authors; pending follows wait here for approval."""

    model = Follower
    icon = "group"
    menu_label = _("Followers")
    add_to_admin_menu = False
    inspect_view_enabled = True
    inspect_view_class = FollowerInspectView
    inspect_view_fields = ["remote_actor", "local_actor", "status", "created_at"]
    form_fields = ["status"]
    list_filter = ["status", "local_actor"]
    copy_view_enabled = False
    list_display = [
        Column("remote_actor", label=_("Follower")),
        Column("local_actor", label=_("Follows")),
        StatusTagColumn(
            "status",
            label=_("Status"),
            accessor="get_status_display",
            primary=lambda item: item.status == Follower.Status.ACCEPTED,
        ),
        Column("created_at", label=_("Since")),
    ]

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/decide/", decide_follower, name="decide"),
        ]


class BlockedDomainCreateView(CreateView):
    def save_instance(self):
        return services.block_domain(
            self.form.cleaned_data["domain"], self.form.cleaned_data["reason"]
        )


class BlockedDomainViewSet(ModelViewSet):
    """Servers whose requests are refused and whose followers are removed."""

    model = BlockedDomain
    icon = "cross"
    menu_label = _("Blocked servers")
    form_fields = ["domain", "reason"]
    add_view_class = BlockedDomainCreateView
    list_display = ["domain", "reason", "created_at"]
    copy_view_enabled = False


class BlockedActorForm(forms.ModelForm):
    uri = forms.URLField(
        label=_("Account address"),
        max_length=500,
        assume_scheme="https",
        help_text=_("The account's ActivityPub id, e.g. https://example.social/users/name"),
    )

    class Meta:
        model = BlockedActor
        fields = ["uri", "reason"]


class BlockedActorCreateView(CreateView):
    def save_instance(self):
        return services.block_actor(self.form.cleaned_data["uri"], self.form.cleaned_data["reason"])


class BlockedActorViewSet(ModelViewSet):
    """Single fediverse accounts whose requests are refused."""

    model = BlockedActor
    icon = "cross"
    menu_label = _("Blocked accounts")
    add_view_class = BlockedActorCreateView
    list_display = ["uri", "reason", "created_at"]
    copy_view_enabled = False

    def get_form_class(self, for_update=False):
        return BlockedActorForm


class AuthorActorCreateView(CreateView):
    def save_instance(self):
        actor = actors.enable_author(self.form.cleaned_data["author_page"])
        if not self.form.cleaned_data["federated"]:
            actor.federated = False
            actor.save(update_fields=["federated"])
        return actor


class FediverseAuthorViewSet(ModelViewSet):
    """Authors followable as @slug@host: an author's own choice, switched here."""

    model = LocalActor
    icon = "user"
    menu_label = _("Followable authors")
    form_fields = ["author_page", "federated"]
    add_view_class = AuthorActorCreateView
    list_display = ["__str__", "author_page", "federated", "key_created_at"]
    copy_view_enabled = False

    def get_queryset(self, request):
        return LocalActor.objects.filter(kind=LocalActor.Kind.AUTHOR)


class NotByHandCreateView(CreateView):
    """Rows the fediverse writes (likes, deliveries) are never added by hand."""

    def dispatch(self, request, *args, **kwargs):
        return redirect(self.index_url_name)


class NotByHandEditView(EditView):
    """...nor changed by hand: they record what happened."""

    def dispatch(self, request, *args, **kwargs):
        return redirect(self.index_url_name)


class ArticleReactionsView(WagtailAdminTemplateMixin, TemplateView):
    """Likes, boosts and replies counted per article, most recent first."""

    template_name = "social/admin/article_reactions.html"
    page_title = _("Reactions by article")
    header_icon = "pick"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("social.view_reaction"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(rows=reports.reactions_by_article(), **kwargs)


class ArticleReactionsViewSet(ViewSet):
    """The per-article counts, as one screen in the Social web menu."""

    icon = "pick"
    menu_label = _("Reactions by article")

    def get_urlpatterns(self):
        return [path("", ArticleReactionsView.as_view(), name="index")]


class ReactionViewSet(ModelViewSet):
    """Likes and boosts from the fediverse, by article."""

    model = Reaction
    icon = "pick"
    menu_label = _("Likes and boosts")
    list_display = ["article", "kind", "remote_actor", "created_at"]
    list_filter = ["kind"]
    form_fields = ["kind"]
    add_view_class = NotByHandCreateView
    edit_view_class = NotByHandEditView
    copy_view_enabled = False


class ReplyViewSet(ModelViewSet):
    """Fediverse replies to articles as they arrived; each is moderated, as a comment, in
    the Comments menu's moderation queue."""

    model = Reply
    icon = "comment"
    menu_label = _("Fediverse replies")
    list_display = [
        "article",
        "remote_actor",
        Column("comment", label=_("Moderation"), accessor="comment.get_status_display"),
        "received_at",
    ]
    form_fields = ["content"]
    add_view_class = NotByHandCreateView
    edit_view_class = NotByHandEditView
    copy_view_enabled = False


class DeliveryViewSet(ModelViewSet):
    """Each activity's deliveries: delivered, waiting for a retry, or given up."""

    model = Delivery
    icon = "mail"
    menu_label = _("Deliveries")
    list_display = ["activity", "domain", "status", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["status"]
    form_fields = ["status"]
    add_view_class = NotByHandCreateView
    edit_view_class = NotByHandEditView
    copy_view_enabled = False


def masked(secret):
    """A secret as the admin shows it: its last four characters at most."""
    return "•" * 8 + secret[-4:] if len(secret) >= 12 else "•" * 8


class NetworkAccountForm(forms.ModelForm):
    """An account's settings; the secret is written, never read back (empty keeps it)."""

    server_url = forms.URLField(
        label=_("Server"),
        required=False,
        assume_scheme="https",
        help_text=NetworkAccount._meta.get_field("server_url").help_text,
    )
    secret = forms.CharField(
        label=_("Token or app password"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False),
    )

    class Meta:
        model = NetworkAccount
        fields = ["network", "name", "server_url", "identifier", "secret", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["secret"].help_text = _("Stored: %(masked)s. Leave empty to keep it.") % {
                "masked": masked(self.instance.secret)
            }
        self.stored_secret = self.instance.secret

    def clean(self):
        data = super().clean()
        if not data.get("secret"):
            if not self.stored_secret:
                self.add_error("secret", _("The account's token or app password is needed."))
            data["secret"] = self.stored_secret
        network = data.get("network")
        if network == NetworkAccount.Network.MASTODON and not data.get("server_url"):
            self.add_error("server_url", _("Give the Mastodon instance's address."))
        if network in ("bluesky", "threads") and not data.get("identifier"):
            self.add_error("identifier", _("Give the account's handle or user id."))
        return data


class NetworkAccountViewSet(ModelViewSet):
    """The outlet's accounts on Mastodon, Bluesky and Threads that articles are posted to."""

    model = NetworkAccount
    icon = "link-external"
    menu_label = _("Social network accounts")
    list_display = ["name", "network", "identifier", "server_url", "enabled"]
    copy_view_enabled = False
    inspect_view_enabled = False

    def get_form_class(self, for_update=False):
        return NetworkAccountForm


class NetworkPostViewSet(ModelViewSet):
    """Each article's posts: waiting (with its next try), posted (with its link) or given
    up (with the error), plus each article's own screen for choosing accounts and text."""

    model = NetworkPost
    icon = "link-external"
    menu_label = _("Social network posts")
    list_display = [
        "article",
        "account",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        Column("url", label=_("Link")),
    ]
    list_filter = ["status", "account"]
    form_fields = ["status"]
    add_view_class = NotByHandCreateView
    edit_view_class = NotByHandEditView
    copy_view_enabled = False

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("article/<int:page_id>/", article_posts, name="article"),
        ]


class ArticlePostsForm(forms.Form):
    accounts = forms.ModelMultipleChoiceField(
        label=_("Post to"),
        queryset=NetworkAccount.objects.filter(enabled=True).order_by("pk"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    text = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=2000,
        help_text=_("Empty for the headline and standfirst. The link and hashtags are added."),
    )


def article_posts(request, page_id):
    """One article's social network posts: the accounts it goes to and its text (until it
    is posted), and the links of the posts made."""
    article = get_object_or_404(ArticlePage, pk=page_id)
    if not article.permissions_for_user(request.user).can_edit():
        raise PermissionDenied
    accounts, text = posting.choice_for(article)
    initial = {"accounts": accounts, "text": "" if text == posting.default_text(article) else text}
    form = ArticlePostsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        posting.save_choice(article, form.cleaned_data["accounts"], form.cleaned_data["text"])
        messages.success(request, _("Saved: the article is posted with these when published."))
        return redirect("social_posts:article", article.pk)
    context = {
        "article": article,
        "form": form,
        "posts": NetworkPost.objects.filter(article=article).select_related("account"),
        "default_text": posting.default_text(article),
        "page_title": _("Social network posts"),
        "header_icon": "link-external",
    }
    return render(request, "social/admin/article_posts.html", context)


viewsets = [
    FollowerViewSet("social_followers"),
    BlockedDomainViewSet("social_blocked_domains"),
    BlockedActorViewSet("social_blocked_actors"),
    FediverseAuthorViewSet("social_authors"),
    ArticleReactionsViewSet("social_article_reactions"),
    ReactionViewSet("social_reactions"),
    ReplyViewSet("social_replies"),
    DeliveryViewSet("social_deliveries"),
    NetworkAccountViewSet("social_accounts"),
    NetworkPostViewSet("social_posts"),
]
