"""Donation URLs: /support/ to give and manage one's support, /funding/ for where the money
goes."""

from django.urls import path

from masthead.donations import views

app_name = "donations"

urlpatterns = [
    path("support/", views.donate, name="donate"),
    path("support/give/", views.give, name="give"),
    path("support/thanks/", views.thanks, name="thanks"),
    path("support/manage/", views.manage, name="manage"),
    path("support/manage/<str:token>/", views.manage_donor, name="manage_donor"),
    path(
        "support/manage/<str:token>/<int:recurring_id>/amount/",
        views.change_amount,
        name="change_amount",
    ),
    path("support/manage/<str:token>/<int:recurring_id>/cancel/", views.cancel, name="cancel"),
    path("support/manage/<str:token>/<int:recurring_id>/card/", views.card, name="card"),
    path("funding/", views.funding, name="funding"),
]
