"""Masthead's URLs: the admin, the API, feeds, search and tags, then Wagtail's pages."""

import re

from django.conf import settings
from django.urls import include, path, re_path
from django.views.static import serve as serve_file
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from masthead.accounts.admin.password_reset import ThrottledPasswordResetView
from masthead.core import metrics as core_metrics
from masthead.core import views as core_views
from masthead.publishing import feeds
from masthead.publishing import views as publishing_views
from masthead.publishing.api import api_router
from masthead.publishing.sitemaps import sitemaps
from masthead.social import views as social_views

urlpatterns = [
    # Wagtail's password-reset request page, with limits per network and per mailbox.
    path(
        "admin/password_reset/",
        ThrottledPasswordResetView.as_view(),
        name="wagtailadmin_password_reset",
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v2/", api_router.urls),
    path("search/", publishing_views.search, name="search"),
    path("tags/<str:slug>/", publishing_views.tag, name="tag"),
    path("feed/", feeds.SiteRssFeed(), name="feed_rss"),
    path("feed/atom/", feeds.SiteAtomFeed(), name="feed_atom"),
    path("feed/section/<slug:slug>/", feeds.SectionRssFeed(), name="feed_section_rss"),
    path("feed/section/<slug:slug>/atom/", feeds.SectionAtomFeed(), name="feed_section_atom"),
    path("feed/author/<slug:slug>/", feeds.AuthorRssFeed(), name="feed_author_rss"),
    path("feed/author/<slug:slug>/atom/", feeds.AuthorAtomFeed(), name="feed_author_atom"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    path("robots.txt", core_views.robots_txt, name="robots_txt"),
    path(".well-known/security.txt", core_views.security_txt, name="security_txt"),
    path(".well-known/webfinger", social_views.webfinger, name="webfinger"),
    path(".well-known/nodeinfo", social_views.nodeinfo_links, name="nodeinfo_links"),
    # ActivityPub: actors, inboxes, outboxes and article objects (masthead.social).
    path("social/", include("masthead.social.urls")),
    path("health/", core_views.health, name="health"),
    # Prometheus' usual path; answered by MetricsMiddleware, before the host check.
    path("metrics", core_metrics.metrics, name="metrics"),
    # The hit endpoint of the cookieless counter (masthead.audience).
    path("a/", include("masthead.audience.urls")),
    path("account/", include("masthead.readers.urls")),
    path("newsletter/", include("masthead.newsletter.urls")),
    path("payments/", include("masthead.payments.urls")),
    path("shop/", include("masthead.shop.urls")),
    path("", include("masthead.donations.urls")),
]

if settings.SERVE_MEDIA:
    # Only image renditions, as behind nginx: documents go through their view (which checks
    # their collection's privacy) and original uploads are never served.
    urlpatterns.append(
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}images/(?P<path>.*)$",
            serve_file,
            {"document_root": settings.MEDIA_ROOT / "images"},
        )
    )

urlpatterns.append(path("", include(wagtail_urls)))

handler404 = "masthead.core.views.page_not_found"
handler500 = "masthead.core.views.server_error"
