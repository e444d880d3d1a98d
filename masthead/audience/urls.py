"""The hit endpoint, mounted at /a/ (short: it is in every page's script)."""

from django.urls import path

from masthead.audience import views

app_name = "audience"

urlpatterns = [
    path("hit", views.hit, name="hit"),
    path("hit.gif", views.pixel, name="pixel"),
]
