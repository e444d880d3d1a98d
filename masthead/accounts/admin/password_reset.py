"""Wagtail's password-reset request page with limits per network and per mailbox, so that
it cannot be used to flood an editor's inbox (see throttling.py)."""

from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from wagtail.admin.views.account import PasswordResetView

from masthead.accounts import throttling


@method_decorator(never_cache, name="dispatch")
class ThrottledPasswordResetView(PasswordResetView):
    """Refuses, saying so, once this network or this address asked too often."""

    def form_valid(self, form):
        if not throttling.allow_password_reset(form.cleaned_data["email"], self.request):
            form.add_error(None, _("Too many password reset requests. Try again later."))
            return self.form_invalid(form)
        return super().form_valid(form)
