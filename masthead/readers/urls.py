"""The reader's account: sign-in, the account page and its data rights (under /account/)."""

from django.urls import path

from masthead.readers import rights_views, views

app_name = "readers"

urlpatterns = [
    path("", views.account, name="account"),
    path("details/", views.details, name="details"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/code/", views.code, name="code"),
    path("sign-in/<str:token>/", views.sign_in_link, name="sign_in_link"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("sign-out/everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("signed-out/", views.signed_out, name="signed_out"),
    path("browsers/<int:session_id>/sign-out/", views.end_session, name="end_session"),
    # Data rights (rights_views): a copy of my data, erase my account.
    path("data/", rights_views.data, name="data"),
    path("data/export/", rights_views.export, name="data_export"),
    path("data/export/sent/", rights_views.export_sent, name="data_export_sent"),
    path("data/download/<str:token>/", rights_views.download, name="data_download"),
    path("data/erase/", rights_views.erase, name="data_erase"),
    path("data/erase/<str:ticket>/", rights_views.erasure_status, name="erasure_status"),
]
