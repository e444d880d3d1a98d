"""Donation URLs: /support/ to give and manage one's support (by the emailed link, or
signed in under /support/account/), /funding/ for where the money goes."""

from django.urls import path

from masthead.donations import account, views

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
    path(
        "support/account/<int:recurring_id>/amount/",
        account.change_amount,
        name="account_amount",
    ),
    path("support/account/<int:recurring_id>/cancel/", account.cancel, name="account_cancel"),
    path("support/account/<int:recurring_id>/card/", account.card, name="account_card"),
    path(
        "support/account/receipts/<uuid:reference>/",
        account.receipt,
        name="account_receipt",
    ),
    path(
        "support/account/receipts/<uuid:reference>/pdf/",
        account.receipt_pdf,
        name="account_receipt_pdf",
    ),
    path("funding/", views.funding, name="funding"),
]
