"""Wagtail admin for newsletters, subscribers (search, filters, history, CSV import and
export) and the suppression list."""

import django_filters
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django.views.generic.edit import FormView
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.views.generic import CreateView, IndexView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button

from masthead.core.actions import audit_log
from masthead.core.exports import spreadsheet_safe
from masthead.newsletter import actions, consent, services
from masthead.newsletter.forms import SubscriberImportForm
from masthead.newsletter.models import Newsletter, Subscriber, Subscription, Suppression

# A list of readers' addresses is the most valuable thing an outlet holds: taking a copy is a
# permission of its own (not any subscriber permission), and every copy taken is logged.
EXPORT_PERMISSION = "newsletter.export_subscribers"
EXPORT_LOG_ACTION = "newsletter.export_subscribers"
IMPORT_LOG_ACTION = "newsletter.import_subscribers"


class NewsletterViewSet(ModelViewSet):
    """The lists readers can join."""

    model = Newsletter
    icon = "mail"
    menu_label = _("Newsletters")
    form_fields = ["name", "slug", "description", "is_public", "sort_order"]
    list_display = ["name", "slug", "is_public", "sort_order"]
    search_fields = ["name", "slug"]
    copy_view_enabled = False


class SubscriberFilterSet(WagtailFilterSet):
    """Filter subscribers by status, by a newsletter they actively receive, and by import."""

    status = django_filters.ChoiceFilter(label=_("Status"), choices=Subscriber.Status.choices)
    newsletter = django_filters.ModelChoiceFilter(
        label=_("Newsletter"),
        queryset=Newsletter.objects.all(),
        method="filter_newsletter",
    )
    imported = django_filters.BooleanFilter(label=_("Imported"))

    class Meta:
        model = Subscriber
        fields = ["status", "imported"]

    def filter_newsletter(self, queryset, name, value):
        return queryset.filter(
            subscriptions__newsletter=value, subscriptions__is_active=True
        ).distinct()


class SubscriberIndexView(IndexView):
    """The subscriber listing; its CSV export streams every matching subscriber."""

    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .prefetch_related(
                Prefetch(
                    "subscriptions",
                    queryset=Subscription.objects.filter(is_active=True).select_related(
                        "newsletter"
                    ),
                    to_attr="active_subscriptions",
                )
            )
        )

    @cached_property
    def show_export_buttons(self):
        return super().show_export_buttons and self.request.user.has_perm(EXPORT_PERMISSION)

    def render_to_response(self, context, **response_kwargs):
        if self.is_export:
            if not self.request.user.has_perm(EXPORT_PERMISSION):
                raise PermissionDenied
            # Logged against the editor who took the copy, with the filters that chose it.
            audit_log(
                self.request.user,
                EXPORT_LOG_ACTION,
                self.request.user,
                {
                    "format": self.request.GET.get("export"),
                    "query": self.request.GET.urlencode(),
                },
            )
        return super().render_to_response(context, **response_kwargs)

    def to_row_dict(self, item):
        # The export's "newsletters" column: the slugs of the active subscriptions.
        item.newsletters = ";".join(
            sorted(subscription.newsletter.slug for subscription in item.active_subscriptions)
        )
        return super().to_row_dict(item)

    def write_csv_row(self, writer, row_dict):
        return writer.writerow(
            {
                field: spreadsheet_safe(self.preprocess_field_value(field, value, self.FORMAT_CSV))
                for field, value in row_dict.items()
            }
        )

    @cached_property
    def header_more_buttons(self):
        buttons = super().header_more_buttons.copy()
        if self.permission_policy.user_has_permission(self.request.user, "add"):
            buttons.append(
                Button(
                    _("Import from CSV"),
                    url=reverse("subscribers:import"),
                    icon_name="upload",
                    priority=60,
                )
            )
        return buttons


class SubscriberCreateView(CreateView):
    """Subscribers are never typed in by hand (that records no consent): send editors to
    the CSV import, which records it."""

    def get(self, request, *args, **kwargs):
        return redirect("subscribers:import")

    def post(self, request, *args, **kwargs):
        return redirect("subscribers:import")


class SubscriberInspectView(InspectView):
    """A subscriber's details with their history: consent records and deliveries."""

    template_name = "newsletter/admin_subscribers/inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        subscriber = self.object
        context["consent_records"] = subscriber.consent_records.all()
        context["subscriptions"] = subscriber.subscriptions.select_related("newsletter")
        context["deliveries"] = subscriber.deliveries.select_related("campaign").order_by(
            "-sent_at", "-pk"
        )[:200]
        context["suppression"] = consent.suppression_for(subscriber.email)
        return context


@require_POST
def revoke_subscriber_links(request, pk):
    """An editor makes every link sent to one subscriber stop working."""
    subscriber = get_object_or_404(Subscriber, pk=pk)
    actions.RevokeSubscriberLinks(subscriber, request.user).execute()
    messages.success(
        request,
        _("Every link sent to %(email)s before now has stopped working.")
        % {"email": subscriber.email},
    )
    return redirect("subscribers:inspect", pk)


class SubscriberImportView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """Upload a CSV of subscribers; report every row that was not imported, and why."""

    model = Subscriber
    permission_required = "add"
    form_class = SubscriberImportForm
    template_name = "newsletter/admin_subscribers/import.html"
    page_title = _("Import subscribers")
    header_icon = "upload"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("subscribers:index"), "label": _("Subscribers")},
            {"url": "", "label": self.page_title},
        ]

    def form_valid(self, form):
        upload = form.cleaned_data["csv_file"]
        try:
            report = services.import_subscribers(
                form.cleaned_data["csv_text"],
                filename=upload.name,
                uploader=self.request.user,
                default_newsletters=form.cleaned_data["default_newsletters"],
                already_confirmed=form.cleaned_data["already_confirmed"],
            )
        except services.ImportFileError as error:
            form.add_error("csv_file", str(error))
            return self.form_invalid(form)
        audit_log(
            self.request.user,
            IMPORT_LOG_ACTION,
            self.request.user,
            {
                "filename": upload.name,
                "created": report.created,
                "rejected": len(report.rejected),
            },
        )
        messages.success(
            self.request,
            _("%(created)d subscribers imported, %(rejected)d rows not imported.")
            % {"created": report.created, "rejected": len(report.rejected)},
        )
        return self.render_to_response(
            self.get_context_data(form=self.form_class(), report=report, filename=upload.name)
        )


class SubscriberViewSet(ModelViewSet):
    """Readers who signed up or were imported: find them, see their history, import,
    export."""

    model = Subscriber
    icon = "user"
    menu_label = _("Subscribers")
    form_fields = ["email", "name"]
    list_display = ["email", "name", "status", "imported", "created_at"]
    search_fields = ["email", "name"]
    search_backend_name = None
    filterset_class = SubscriberFilterSet
    list_export = [
        "email",
        "name",
        "status",
        "newsletters",
        "imported",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "source",
    ]
    export_headings = {"newsletters": "newsletters"}
    export_filename = "subscribers"
    index_view_class = SubscriberIndexView
    add_view_class = SubscriberCreateView
    inspect_view_class = SubscriberInspectView
    inspect_view_enabled = True
    inspect_view_fields = [
        "email",
        "name",
        "status",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "source",
        "imported",
        "imported_list",
    ]
    copy_view_enabled = False

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("import/", SubscriberImportView.as_view(), name="import"),
            path("<int:pk>/revoke-links/", revoke_subscriber_links, name="revoke_links"),
        ]


class SuppressionCreateView(CreateView):
    """Adding an address by hand goes through the suppression service, which also records
    it on the subscriber's consent history. An address already suppressed, by itself or as
    an erased reader's keyed hash, is refused with the reason, not stored again."""

    def get_form_class(self):
        base = super().get_form_class()

        class SuppressionForm(base):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.fields["email"].required = True
                self.fields["reason"].choices = [
                    choice
                    for choice in self.fields["reason"].choices
                    if choice[0] != Suppression.Reason.ERASED
                ]

            def clean_email(self):
                email = self.cleaned_data["email"]
                existing = consent.suppression_for(email)
                if existing is not None:
                    raise ValidationError(
                        _("This address is already suppressed: %(reason)s.")
                        % {"reason": existing.get_reason_display().lower()}
                    )
                return email

        return SuppressionForm

    def save_instance(self):
        suppression, _created = consent.suppress_address(
            self.form.cleaned_data["email"],
            self.form.cleaned_data["reason"],
            detail=self.form.cleaned_data["detail"],
            source=f"added by {self.request.user.get_username()}",
        )
        return suppression


class SuppressionViewSet(ModelViewSet):
    """Addresses never to be mailed again; an editor can add one or take one off."""

    model = Suppression
    icon = "warning"
    menu_label = _("Suppression list")
    form_fields = ["email", "reason", "detail"]
    list_display = ["address", "reason", "detail", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]
    search_backend_name = None
    add_view_class = SuppressionCreateView
    copy_view_enabled = False


viewsets = [
    NewsletterViewSet("newsletters"),
    SubscriberViewSet("subscribers"),
    SuppressionViewSet("suppressions"),
]
