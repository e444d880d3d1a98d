"""An authentication backend that enforces sign-in lockouts for every way in, not only the
admin's sign-in form (which also says why it refuses: see forms.py)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from masthead.accounts import throttling


class LockoutBackend:
    """Listed first in ``AUTHENTICATION_BACKENDS``: while the account or the network is
    locked out, it stops authentication before any password is checked. It never signs
    anyone in itself, so it has no ``get_user`` (Django's ``force_login`` and sessions then
    use the model backend)."""

    def authenticate(self, request, username=None, **credentials):
        username = username or credentials.get(get_user_model().USERNAME_FIELD)
        if throttling.locked_until(username, request):
            # PermissionDenied makes Django stop at once instead of asking the next backend.
            raise PermissionDenied
        return None
