"""A person's own two-factor authentication in the admin: the code asked after the password,
enrolling an authenticator app (with recovery codes), and the page in their account
settings to renew the codes or turn it off where their role allows."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import FormView, TemplateView
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from masthead.accounts import two_factor
from masthead.accounts.forms import CodeForm

# The secret being enrolled stays in the session until a first code proves the app has it.
ENROLMENT_SECRET_SESSION_KEY = "accounts_2fa_enrolment_secret"  # noqa: S105 - a key name


def next_url(request):
    """Where to go once this step is done: the page first asked for, if it is on this site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("wagtailadmin_home")


def mark_verified(request, device):
    """Record in the session that its owner has given their second factor, under a new session
    key (a session that gained rights gets a new id)."""
    otp_login(request, device)
    request.session.cycle_key()


class VerifyView(FormView):
    """After the password: a code from the app, or a recovery code (then used up)."""

    template_name = "accounts/verify.html"
    form_class = CodeForm
    page_title = _("Enter your code")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_verified() or not two_factor.has_two_factor(request.user):
            return redirect(next_url(request))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=self.page_title, next=next_url(self.request), **kwargs
        )

    def form_valid(self, form):
        try:
            device = two_factor.verify(self.request.user, form.cleaned_data["code"])
        except two_factor.CodeThrottled:
            form.add_error(None, _("Too many wrong codes in a row. Wait a minute, then try again."))
            return self.form_invalid(form)
        if device is None:
            form.add_error(
                None,
                _(
                    "That code is not right. Enter the newest code from your app, or a "
                    "recovery code."
                ),
            )
            return self.form_invalid(form)
        mark_verified(self.request, device)
        if isinstance(device, StaticDevice):
            left = two_factor.recovery_codes_left(self.request.user)
            messages.warning(
                self.request,
                ngettext(
                    "You signed in with a recovery code; %(count)d is left. Make new ones "
                    "under Account, Two-factor authentication.",
                    "You signed in with a recovery code; %(count)d are left. Make new ones "
                    "under Account, Two-factor authentication.",
                    left,
                )
                % {"count": left},
            )
        return redirect(next_url(self.request))


class SetupView(FormView):
    """Enrol an authenticator app: scan the QR code (or type the key), prove it with a code;
    then the recovery codes are shown, once."""

    template_name = "accounts/setup.html"
    form_class = CodeForm
    page_title = _("Set up two-factor authentication")

    def dispatch(self, request, *args, **kwargs):
        # Replacing an app needs the current one first: a password alone must not do it.
        if two_factor.has_two_factor(request.user) and not request.user.is_verified():
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('accounts_2fa_verify')}?{query}")
        return super().dispatch(request, *args, **kwargs)

    def secret(self):
        session = self.request.session
        if ENROLMENT_SECRET_SESSION_KEY not in session:
            session[ENROLMENT_SECRET_SESSION_KEY] = two_factor.new_secret()
        return session[ENROLMENT_SECRET_SESSION_KEY]

    def get_context_data(self, **kwargs):
        secret = self.secret()
        user = self.request.user
        qr_code = two_factor.qr_code_svg(two_factor.authenticator_url(user, secret))
        return super().get_context_data(
            page_title=self.page_title,
            next=next_url(self.request),
            required=two_factor.must_use_two_factor(user),
            # The SVG is drawn by the qrcode library from our own otpauth:// address.
            qr_code_svg=mark_safe(qr_code),  # noqa: S308
            readable_secret=two_factor.readable_secret(secret),
            **kwargs,
        )

    def form_valid(self, form):
        enrolled = two_factor.enrol(self.request.user, self.secret(), form.cleaned_data["code"])
        if enrolled is None:
            form.add_error(
                None,
                _("That code is not right. Check the app's clock, and enter its newest code."),
            )
            return self.form_invalid(form)
        device, codes = enrolled
        del self.request.session[ENROLMENT_SECRET_SESSION_KEY]
        mark_verified(self.request, device)
        return self.response_class(
            request=self.request,
            template="accounts/recovery_codes.html",
            context={
                "page_title": _("Your recovery codes"),
                "codes": codes,
                "next": next_url(self.request),
            },
        )


class ManageView(WagtailAdminTemplateMixin, TemplateView):
    """The person's own two-factor settings, under Account."""

    template_name = "accounts/manage.html"
    page_title = _("Two-factor authentication")
    header_icon = "key"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("wagtailadmin_account"), "label": _("Account")},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        user = self.request.user
        enrolled = two_factor.has_two_factor(user)
        return super().get_context_data(
            enrolled=enrolled,
            codes_left=two_factor.recovery_codes_left(user) if enrolled else 0,
            required=two_factor.must_use_two_factor(user),
            **kwargs,
        )

    def post(self, request):
        user = request.user
        action = request.POST.get("action")
        if action == "renew_codes" and two_factor.has_two_factor(user):
            return self.response_class(
                request=request,
                template="accounts/recovery_codes.html",
                context={
                    "page_title": _("Your new recovery codes"),
                    "codes": two_factor.renew_recovery_codes(user),
                    "next": reverse("accounts_2fa_manage"),
                },
            )
        if action == "turn_off" and not two_factor.must_use_two_factor(user):
            two_factor.turn_off(user)
            messages.success(request, _("Two-factor authentication is off."))
        return redirect("accounts_2fa_manage")
