from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Signing in to the admin safely: sign-in throttling and lockout, two-factor
    authentication, idle sessions that end, and an audit log of role and settings changes."""

    name = "masthead.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from masthead.accounts import wiring

        wiring.connect()
