"""Wagtail admin of the social web: followers (with approval of pending follows), blocked
servers and actors, the authors who are followable, reactions and replies per article, and
the deliveries of each activity. Every change goes through masthead.social.services."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.ui.tables import Column, StatusTagColumn
from wagtail.admin.views.generic import CreateView, EditView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet

from masthead.social import actors, reports, services
from masthead.social.models import (
    BlockedActor,
    BlockedDomain,
    Delivery,
    Follower,
    LocalActor,
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
    """Fediverse replies to articles, waiting for the conversation queue (issue 15 part 3)."""

    model = Reply
    icon = "comment"
    menu_label = _("Fediverse replies")
    list_display = ["article", "remote_actor", "status", "received_at"]
    list_filter = ["status"]
    form_fields = ["status"]
    add_view_class = NotByHandCreateView
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


viewsets = [
    FollowerViewSet("social_followers"),
    BlockedDomainViewSet("social_blocked_domains"),
    BlockedActorViewSet("social_blocked_actors"),
    FediverseAuthorViewSet("social_authors"),
    ArticleReactionsViewSet("social_article_reactions"),
    ReactionViewSet("social_reactions"),
    ReplyViewSet("social_replies"),
    DeliveryViewSet("social_deliveries"),
]
