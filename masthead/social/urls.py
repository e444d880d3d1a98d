"""The social web's addresses: actors and their collections, the shared inbox, article
objects and activities (the well-known WebFinger and NodeInfo paths are in masthead.urls)."""

from django.urls import path

from masthead.social import views

app_name = "social"

urlpatterns = [
    path("inbox", views.shared_inbox, name="shared_inbox"),
    path("actors/<slug:username>", views.actor, name="actor"),
    path("actors/<slug:username>/inbox", views.inbox, name="inbox"),
    path("actors/<slug:username>/outbox", views.outbox, name="outbox"),
    path("actors/<slug:username>/followers", views.followers, name="followers"),
    path("articles/<int:pk>", views.article, name="article"),
    path("activities/<str:token>", views.activity, name="activity"),
    path("nodeinfo/2.1", views.nodeinfo, name="nodeinfo"),
]
