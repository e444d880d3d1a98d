"""The reader's account: sign-in, the account page and its data rights (under /account/)."""

from django.urls import path

from masthead.readers import views

app_name = "readers"

urlpatterns = [
    path("", views.account, name="account"),
    path("sign-in/", views.sign_in, name="sign_in"),
]
