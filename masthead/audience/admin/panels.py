"""Audience's own panels on the newsroom's desk (the admin's home page) and the figures
panel on an article's edit screen.

- "Scheduled to go live": pages with a scheduled revision, the viewer's own unless they may
  publish (then every one), soonest first.
- "Your drafts": pages the viewer owns that are not live, or live with unpublished changes.
- "Today's audience": live visitors, today's views and read-throughs, top articles and, for
  those with ``audience.view_audience``, today's conversions and money; a Contributor sees
  their own articles' figures only.
"""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.components import Component
from wagtail.models import Page, Revision, get_default_page_content_type
from wagtail.permissions import page_permission_policy

from masthead.audience.admin import figures
from masthead.publishing.models import ArticlePage

ROWS = 5
ARTICLE_PANEL_DAYS = 30


class ScheduledPagesPanel(Component):
    name = "audience_scheduled_pages"
    template_name = "audience/desk/scheduled.html"
    order = 230

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        revisions = (
            Revision.objects.filter(
                base_content_type=get_default_page_content_type(),
                approved_go_live_at__isnull=False,
            )
            .select_related("user")
            .order_by("approved_go_live_at")
        )
        if not page_permission_policy.user_has_permission(request.user, "publish"):
            own = Page.objects.filter(owner=request.user).values_list("pk", flat=True)
            revisions = revisions.filter(object_id__in=[str(pk) for pk in own])
        revisions = list(revisions[: ROWS * 2])
        pages = Page.objects.in_bulk([int(revision.object_id) for revision in revisions])
        scheduled = [
            (revision.approved_go_live_at, pages[int(revision.object_id)])
            for revision in revisions
            if int(revision.object_id) in pages
        ][:ROWS]
        return {"scheduled": scheduled}

    def render_html(self, parent_context=None):
        context = self.get_context_data(parent_context)
        if not context["scheduled"]:
            return ""
        return super().render_html(parent_context)


class DraftsPanel(Component):
    name = "audience_drafts"
    template_name = "audience/desk/drafts.html"
    order = 240

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        drafts = (
            Page.objects.filter(owner=request.user, depth__gt=1)
            .filter(has_unpublished_changes=True)
            .order_by("-latest_revision_created_at")[:ROWS]
        )
        return {"drafts": list(drafts)}

    def render_html(self, parent_context=None):
        if not self.get_context_data(parent_context)["drafts"]:
            return ""
        return super().render_html(parent_context)


class TodayPanel(Component):
    name = "audience_today"
    template_name = "audience/desk/today.html"
    order = 100

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        scope = figures.scope_for(request.user)
        today = timezone.localdate()
        articles = figures.article_rows(today, today, scope)[:ROWS]
        return {
            "scope": scope,
            "live": figures.live_visitors() if scope.everything else None,
            "total": figures.totals(today, today, scope),
            "articles": articles,
            "dashboard_url": reverse("audience_dashboard"),
        }


def article_panel_context(user, page):
    """The figures of ``page`` (an article) for its edit screen over the last 30 days, or
    None when ``user`` may not see them or it is not an article."""
    if not isinstance(page, ArticlePage) or not page.pk:
        return None
    scope = figures.scope_for(user)
    if not scope.everything and page.pk not in scope.article_ids:
        return None
    end = timezone.localdate()
    start = end - timedelta(days=ARTICLE_PANEL_DAYS - 1)
    query = f"?period=custom&start={start:%Y-%m-%d}&end={end:%Y-%m-%d}"
    return {
        "row": figures.article_figures(page.pk, start, end),
        "days": ARTICLE_PANEL_DAYS,
        "money": scope.money,
        "dashboard_url": reverse("audience_dashboard") + query,
        "title": _("Audience, last %(days)s days") % {"days": ARTICLE_PANEL_DAYS},
    }
