"""Wagtail admin for imported lists: every list brought in from a CSV, Ghost or Substack,
how many people it holds, and the screen where an editor states its consent basis and
confirms it. Until then no campaign reaches its subscribers."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, StatusTagColumn, TitleColumn
from wagtail.admin.views.generic import CreateView, DeleteView, EditView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet

from masthead.newsletter import actions, imported_lists
from masthead.newsletter.models import ImportedList

CONFIRM_LOG_ACTION = actions.ConfirmImportedList.log_action


class ConfirmListForm(forms.Form):
    """The editor's statement of how the people on a list agreed to be mailed."""

    consent_basis = forms.CharField(
        label=_("Consent basis"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_(
            'How these people agreed to receive the newsletter, e.g. "They signed up on our '
            'Ghost site with double opt-in between 2019 and 2024." Kept with the list.'
        ),
    )
    confirmed = forms.BooleanField(
        label=_(
            "I confirm that everyone on this list agreed to receive these newsletters on this "
            "basis, and that no one who asked to stop is on it."
        ),
    )


class ImportedListCreateView(CreateView):
    """Lists are made by imports, never by hand."""

    def get(self, request, *args, **kwargs):
        return redirect("imported_lists:index")

    def post(self, request, *args, **kwargs):
        return redirect("imported_lists:index")


class ImportedListEditView(EditView):
    """A list's consent basis changes only through its confirmation, which is recorded."""

    def get(self, request, *args, **kwargs):
        return redirect("imported_lists:inspect", kwargs["pk"])

    def post(self, request, *args, **kwargs):
        return redirect("imported_lists:inspect", kwargs["pk"])


class ImportedListDeleteView(DeleteView):
    """A list is the record of where its subscribers came from and of its consent basis:
    it is never deleted (its subscribers are, one by one or by erasure)."""

    def get(self, request, *args, **kwargs):
        return self._refuse(request, kwargs["pk"])

    def post(self, request, *args, **kwargs):
        return self._refuse(request, kwargs["pk"])

    def _refuse(self, request, pk):
        messages.error(
            request,
            _("An imported list records where its subscribers came from; it is not deleted."),
        )
        return redirect("imported_lists:inspect", pk)


class ImportedListInspectView(InspectView):
    """A list's details, with the confirmation form while it waits."""

    template_name = "newsletter/admin/imported_list_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["confirm_form"] = ConfirmListForm(
            initial={"consent_basis": self.object.consent_basis}
        )
        context["confirm_url"] = reverse("imported_lists:confirm", args=[self.object.pk])
        context["may_confirm"] = self.request.user.has_perm(actions.ConfirmImportedList.permission)
        context["waiting"] = self.object.subscribers.count()
        return context


def confirm_imported_list(request, pk):
    """An editor confirms a list's consent basis (POST), then sees the list again."""
    imported_list = get_object_or_404(ImportedList, pk=pk)
    if request.method != "POST":
        return redirect("imported_lists:inspect", pk)
    if not request.user.has_perm(actions.ConfirmImportedList.permission):
        raise PermissionDenied
    form = ConfirmListForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("imported_lists:inspect", pk)
    try:
        actions.ConfirmImportedList(
            imported_list, request.user, form.cleaned_data["consent_basis"]
        ).execute()
    except (imported_lists.ListAlreadyConfirmed, ValueError) as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(list)s is confirmed: its subscribers will receive campaigns from now on.")
            % {"list": imported_list},
        )
    return redirect("imported_lists:inspect", pk)


class ImportedListViewSet(ModelViewSet):
    """Imported lists and their confirmation."""

    model = ImportedList
    icon = "upload"
    menu_label = _("Imported lists")
    form_fields = ["consent_basis"]
    search_fields = ["filename", "description"]
    search_backend_name = None
    list_filter = ["source"]
    add_view_class = ImportedListCreateView
    edit_view_class = ImportedListEditView
    delete_view_class = ImportedListDeleteView
    inspect_view_class = ImportedListInspectView
    inspect_view_enabled = True
    inspect_view_fields = [
        "source",
        "filename",
        "description",
        "count",
        "created_at",
        "created_by",
        "consent_basis",
        "confirmed_by",
        "confirmed_at",
    ]
    copy_view_enabled = False

    @property
    def list_display(self):
        return [
            TitleColumn(
                "__str__",
                label=_("List"),
                get_url=lambda item: reverse(self.get_url_name("inspect"), args=[item.pk]),
            ),
            Column("get_source_display", label=_("Source")),
            Column("count", label=_("Subscribers")),
            StatusTagColumn(
                "is_confirmed",
                label=_("Consent basis"),
                accessor=lambda item: _("confirmed") if item.is_confirmed else _("waiting"),
                primary=lambda item: item.is_confirmed,
            ),
            Column("created_at", label=_("Imported")),
        ]

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/confirm/", confirm_imported_list, name="confirm"),
        ]


viewsets = [ImportedListViewSet("imported_lists")]
