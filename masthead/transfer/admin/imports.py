"""The admin's import screens: start an import, watch it run, read its report, list past
runs; and a read-only listing of the comments kept from an old site.

Importing changes the whole site, so it is for Administrators only
(``transfer.add_importrun``, granted to the Administrators group; superusers have it).
Archived comments are read by Editors and Administrators (``transfer.view_archivedcomment``).

Threat model of the upload: only a signed-in Administrator reaches it (checked before the
body is read). A request larger than ``TRANSFER_MAX_UPLOAD_MB`` is refused from its
Content-Length before its body is read, and an upload that grows past it anyway (a lying or
missing Content-Length) is cut off by an upload handler; so CSRF is checked after the
handler is in place rather than by the middleware, which would read the body first. The
files are kept under a server-chosen folder with sanitised names, outside MEDIA_ROOT, and
deleted once the import has run. What is inside them is the importers' business: they
refuse hostile XML and ZIP files and sanitise HTML.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import Page

from masthead.publishing.models import ArticlePage, StandardPage
from masthead.transfer import actions, forms, tasks
from masthead.transfer.models import ArchivedComment, ImportRun, SourceRecord

IMPORT_PERMISSION = tasks.IMPORT_PERMISSION
ARCHIVED_COMMENTS_PERMISSION = "transfer.view_archivedcomment"
LOG_ACTIONS = tasks.LOG_ACTIONS
RUNS_PAGE_SIZE = 30
COMMENTS_PAGE_SIZE = 50
# Pages an import created or updated, linked from its report.
PAGES_SHOWN = 20
# A page of a running import reloads itself this often (no script needed).
REFRESH_SECONDS = 2
# Room for the form's other fields around the files in a request's size.
FORM_OVERHEAD_BYTES = 1024 * 1024
COLUMN_ORDER = ("created", "updated", "skipped", "failed")


def may_import(user):
    return bool(user and user.is_active and user.has_perm(IMPORT_PERMISSION))


def may_view_archived_comments(user):
    return bool(user and user.is_active and user.has_perm(ARCHIVED_COMMENTS_PERMISSION))


class ImportPermissionMixin:
    def dispatch(self, request, *args, **kwargs):
        if not may_import(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SizeCapUploadHandler(FileUploadHandler):
    """Stops an upload once its files together pass ``limit`` bytes (the rest of the
    request is read and thrown away, so the browser gets the answer)."""

    def __init__(self, request, limit):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


def imports_breadcrumbs(home):
    return [*home, {"url": reverse("transfer_import_list"), "label": _("Imports")}]


class ImportListView(ImportPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """Every import run, newest first, from the admin and from the command line."""

    template_name = "transfer/import_list.html"
    page_title = _("Imports")
    header_icon = "download"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": _("Imports")}]

    def get_context_data(self, **kwargs):
        runs = ImportRun.objects.select_related("created_by")
        page = Paginator(runs, RUNS_PAGE_SIZE).get_page(self.request.GET.get("p"))
        return super().get_context_data(page=page, **kwargs)


@method_decorator(csrf_exempt, name="dispatch")
class ImportStartView(ImportPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """Choose the kind, upload the file(s), set the options, and start the import."""

    template_name = "transfer/import_start.html"
    page_title = _("New import")
    header_icon = "download"

    def get_breadcrumbs_items(self):
        return [*imports_breadcrumbs(self.breadcrumbs_items), {"url": "", "label": _("New import")}]

    def dispatch(self, request, *args, **kwargs):
        # The permission is checked first (ImportPermissionMixin), then the size, then CSRF,
        # all before the body is read.
        if not may_import(request.user):
            raise PermissionDenied
        self.size_cap = None
        if request.method == "POST":
            limit = forms.max_upload_bytes()
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit + FORM_OVERHEAD_BYTES:
                return self.too_large()
            self.size_cap = SizeCapUploadHandler(request, limit)
            request.upload_handlers.insert(0, self.size_cap)
        return csrf_protect(super().dispatch)(request, *args, **kwargs)

    def too_large(self):
        context = self.get_context_data(form=forms.ImportForm(), refusal=forms.oversize_message())
        return self.render_to_response(context, status=413)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=forms.ImportForm()))

    def post(self, request, *args, **kwargs):
        form = forms.ImportForm(request.POST, request.FILES)
        if self.size_cap is not None and self.size_cap.exceeded:
            return self.too_large()
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        run = actions.StartImport(
            form.cleaned_data["kind"],
            form.cleaned_data["files"],
            options=form.importer_options(),
            dry_run=form.cleaned_data["dry_run"],
            user=request.user,
        ).execute()
        messages.success(request, _("The import has started."))
        return redirect("transfer_import_run", run.pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            limit_mb=forms.max_upload_bytes() // (1024 * 1024),
            kinds_with_options=forms.KIND_OPTIONS,
            **kwargs,
        )


def count_table(counts):
    """The report's counts as a table: its columns (created, updated, skipped and failed
    first, then whatever else the importer counted) and one row of numbers per kind."""
    actions = {action for by_action in counts.values() for action in by_action}
    columns = [action for action in COLUMN_ORDER if action in actions]
    columns += sorted(actions - set(COLUMN_ORDER))
    rows = [(kind, [counts[kind].get(action, 0) for action in columns]) for kind in sorted(counts)]
    return columns, rows


def option_lines(options):
    """The run's options as (name, text) for people: mappings as "old → new", yes and no."""
    lines = []
    for name, value in options.items():
        if isinstance(value, dict):
            text = "; ".join(f"{old} → {new}" for old, new in value.items())
        elif isinstance(value, bool):
            text = _("yes") if value else _("no")
        else:
            text = str(value)
        lines.append((name, text))
    return lines


def pages_touched(run, limit=PAGES_SHOWN):
    """The articles and plain pages a finished, real run created or updated, newest first
    (not the sections or author pages it matched things to)."""
    if run.dry_run or run.status != ImportRun.Status.DONE or not run.started_at:
        return []
    page_types = ContentType.objects.get_for_models(
        ArticlePage, StandardPage, for_concrete_models=False
    ).values()
    records = SourceRecord.objects.filter(
        content_type__in=page_types,
        updated_at__gte=run.started_at,
        updated_at__lte=run.finished_at,
    ).values_list("object_id", flat=True)
    page_ids = [int(object_id) for object_id in records if str(object_id).isdigit()]
    return list(
        Page.objects.filter(pk__in=page_ids)
        .specific()
        .order_by("-first_published_at", "-pk")[:limit]
    )


class ImportRunView(ImportPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """One run: its progress while it runs (the page reloads itself), then its report."""

    template_name = "transfer/import_run.html"
    header_icon = "download"

    def get(self, request, *args, **kwargs):
        self.run = get_object_or_404(
            ImportRun.objects.select_related("created_by"), pk=kwargs["pk"]
        )
        response = self.render_to_response(self.get_context_data())
        if self.is_running():
            response["Refresh"] = str(REFRESH_SECONDS)
        return response

    def is_running(self):
        return self.run.status in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING)

    def get_breadcrumbs_items(self):
        label = _("Import %(number)s") % {"number": self.run.pk}
        return [*imports_breadcrumbs(self.breadcrumbs_items), {"url": "", "label": label}]

    def get_page_title(self):
        return _("Import %(number)s: %(file)s") % {
            "number": self.run.pk,
            "file": self.run.filename,
        }

    def get_context_data(self, **kwargs):
        done, total = tasks.progress_of(self.run)
        report = self.run.report or {}
        columns, rows = count_table(report.get("counts", {}))
        return super().get_context_data(
            run=self.run,
            running=self.is_running(),
            refresh_seconds=REFRESH_SECONDS,
            done=done,
            total=total,
            percent=(100 * done // total) if total else 0,
            columns=columns,
            rows=rows,
            notes=[
                (_("Failed"), "failed", report.get("failed", [])),
                (_("Skipped"), "skipped", report.get("skipped", [])),
                (_("Approximated"), "approximated", report.get("approximated", [])),
            ],
            options=option_lines(tasks.importer_options(self.run)),
            pages=pages_touched(self.run),
            **kwargs,
        )


class ArchivedCommentListView(WagtailAdminTemplateMixin, TemplateView):
    """The comments kept from an old site, by article (read-only); ``?article=<id>`` shows
    one article's."""

    template_name = "transfer/archived_comments.html"
    page_title = _("Archived comments")
    header_icon = "comment"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": _("Archived comments")}]

    def dispatch(self, request, *args, **kwargs):
        if not may_view_archived_comments(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        comments = ArchivedComment.objects.select_related("article").order_by(
            "article__title", "article_id", "posted_at", "pk"
        )
        article = None
        article_id = self.request.GET.get("article", "")
        if article_id.isdigit():
            article = Page.objects.filter(pk=int(article_id)).first()
            comments = comments.filter(article_id=int(article_id))
        page = Paginator(comments, COMMENTS_PAGE_SIZE).get_page(self.request.GET.get("p"))
        return super().get_context_data(page=page, article=article, **kwargs)
