"""The social web's addresses: actors and their collections, the shared inbox, article
objects and activities (the well-known WebFinger and NodeInfo paths are in masthead.urls),
and readers' comments on articles (masthead.social.comment_views)."""

from django.urls import path

from masthead.social import comment_views, views

app_name = "social"

urlpatterns = [
    path("inbox", views.shared_inbox, name="shared_inbox"),
    path("actors/<slug:username>", views.actor, name="actor"),
    path("actors/<slug:username>/inbox", views.inbox, name="inbox"),
    path("actors/<slug:username>/outbox", views.outbox, name="outbox"),
    path("actors/<slug:username>/followers", views.followers, name="followers"),
    path("articles/<int:pk>", views.article, name="article"),
    path("articles/<int:pk>/comments/", comment_views.page, name="comments"),
    path("articles/<int:pk>/comments/fragment/", comment_views.fragment, name="comments_fragment"),
    path("articles/<int:pk>/comments/new/", comment_views.post_comment, name="post_comment"),
    path("comments/<int:pk>/report/", comment_views.report_comment, name="report_comment"),
    path("activities/<str:token>", views.activity, name="activity"),
    path("nodeinfo/2.1", views.nodeinfo, name="nodeinfo"),
]
