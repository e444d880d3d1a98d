"""Reader-facing account pages: sign in (by link or code), sign out, and the account page.

None of these pages is ever cached: each calls ``current_reader`` (so ``ReaderMiddleware``
makes the response ``private, no-store``) and carries a CSRF token, as forms on uncached
pages do. The header link to them is on cached pages and holds nothing personal.

Threat model (details in ``sign_in``): asking to sign in answers the same page for any
well-formed address and whatever the rate limits decided; the emailed link opens a page
with a button, because mail scanners fetch links and must not use them up; the link and
the code work once, in time, and only in the browser that asked; ``next`` is followed only
to a path on this site. Statuses: 400 for a form that does not validate, an unknown link or
a wrong code; 410 for a link that was used, has expired or was spent by wrong codes; 403
for a link opened in another browser.
"""

from django.conf import settings
from django.db import transaction
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from masthead.core import ratelimit
from masthead.readers import registry, sessions
from masthead.readers import sign_in as flow
from masthead.readers.forms import CodeForm, DetailsForm, SignInForm
from masthead.readers.models import ReaderSession
from masthead.readers.sessions import current_reader, reader_required

LINK_STATUSES = {
    flow.Refusal.UNKNOWN: 400,
    flow.Refusal.USED: 410,
    flow.Refusal.EXPIRED: 410,
    flow.Refusal.SPENT: 410,
    flow.Refusal.OTHER_BROWSER: 403,
    flow.Refusal.NOTHING_PENDING: 400,
}


def _after_sign_in(request, next_path):
    return flow.safe_next(request, next_path) or reverse("readers:account")


def _sign_in_page(request, form, status=200):
    return render(request, "readers/sign_in.html", {"form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request):
    """Ask for a sign-in email: the form, then the same "check your inbox" page for any
    well-formed address."""
    if request.method == "GET":
        next_path = flow.safe_next(request, request.GET.get("next"))
        if current_reader(request) is not None:
            return redirect(_after_sign_in(request, next_path))
        return _sign_in_page(request, SignInForm(initial={"next": next_path}))
    current_reader(request)
    form = SignInForm(request.POST)
    if not form.is_valid():
        return _sign_in_page(request, form, status=400)
    started = flow.start(
        form.cleaned_data["email"],
        nonce=flow.browser_nonce(request),
        next_path=flow.safe_next(request, form.cleaned_data["next"]),
        network=ratelimit.client_network(request),
    )
    response = _check_inbox(request, CodeForm(), email=form.cleaned_data["email"])
    flow.set_nonce_cookie(response, started.browser_nonce)
    return response


def _check_inbox(request, form, *, email="", status=200, attempts_left=None):
    return render(
        request,
        "readers/check_inbox.html",
        {
            "form": form,
            "email": email,
            "minutes": settings.READERS_SIGN_IN_MINUTES,
            "attempts_left": attempts_left,
        },
        status=status,
    )


def _signed_in(request, pending):
    """Finish a sign-in: the request used (once), the address verified, the reader's new
    session on this browser, then on to ``next``; all or nothing."""
    with transaction.atomic():
        reader = flow.complete(flow.use(pending))
        response = redirect(_after_sign_in(request, pending.next_path))
        sessions.sign_in(request, response, reader)
    flow.clear_nonce_cookie(response)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def code(request):
    """The code from the email, typed in the browser that asked."""
    current_reader(request)
    nonce = request.COOKIES.get(flow.NONCE_COOKIE, "")
    if request.method == "GET":
        return _check_inbox(request, CodeForm(), email=flow.pending_address(nonce))
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _check_inbox(request, form, email=flow.pending_address(nonce), status=400)
    try:
        # Attempts are claimed (and committed) before the comparison, so a wrong code
        # counts even though nothing else happens.
        return _signed_in(request, flow.match_code(form.cleaned_data["code"], nonce))
    except flow.SignInRefused as refused:
        if refused.reason != flow.Refusal.WRONG_CODE:
            return _refused(request, refused.reason)
    attempts_left = flow.attempts_left(nonce)
    if attempts_left <= 0:
        return _refused(request, flow.Refusal.SPENT, status=400)
    form.add_error("code", _("That is not the code we sent. Check it and try again."))
    return _check_inbox(
        request,
        form,
        email=flow.pending_address(nonce),
        status=400,
        attempts_left=attempts_left,
    )


def _refused(request, reason, status=None):
    return render(
        request,
        "readers/link_refused.html",
        {"reason": reason, "form": SignInForm(), "minutes": settings.READERS_SIGN_IN_MINUTES},
        status=status or LINK_STATUSES[reason],
    )


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_link(request, token):
    """The link from the email: GET shows a button (mail scanners fetch links), its POST
    signs in."""
    current_reader(request)
    nonce = request.COOKIES.get(flow.NONCE_COOKIE, "")
    try:
        if request.method == "GET":
            pending = flow.check_link(token, nonce)
            return render(request, "readers/sign_in_link.html", {"email": pending.email})
        return _signed_in(request, flow.check_link(token, nonce))
    except flow.SignInRefused as refused:
        return _refused(request, refused.reason)


@require_POST
def sign_out(request):
    """Sign this browser out."""
    return sessions.sign_out(request, redirect("readers:signed_out"))


@require_POST
def sign_out_everywhere(request):
    """Sign out every browser the reader is signed in on, this one included."""
    return sessions.sign_out(request, redirect("readers:signed_out"), everywhere=True)


@never_cache
def signed_out(request):
    """Where signing out ends: a plain confirmation, with the way back in."""
    if current_reader(request) is not None:
        return redirect("readers:account")
    return render(request, "readers/signed_out.html")


@reader_required
@require_POST
def end_session(request, session_id):
    """Sign the reader out of one of their other browsers."""
    sessions.end_other_session(current_reader(request), session_id)
    return redirect(reverse("readers:account") + "#browsers")


def _rendered_sections(request, reader):
    return [
        {
            "section": section,
            "html": render_to_string(
                section.template, section.context(request, reader), request=request
            ),
        }
        for section in registry.account_sections()
    ]


def _account_page(request, reader, details_form=None, status=200):
    this_session = sessions.current_session(request)
    return render(
        request,
        "readers/account.html",
        {
            "reader": reader,
            "sections": _rendered_sections(request, reader),
            "details_form": details_form or DetailsForm(initial={"name": reader.name}),
            "details_saved": request.GET.get("saved") == "details",
            "browsers": ReaderSession.objects.filter(reader=reader).order_by("-last_seen_at"),
            "this_session_id": this_session.pk if this_session else None,
        },
        status=status,
    )


@never_cache
@reader_required
@require_http_methods(["GET", "HEAD"])
def account(request):
    """The reader's account: every app's section, then their details and browsers."""
    return _account_page(request, current_reader(request))


@reader_required
@require_POST
def details(request):
    """Change the reader's name."""
    reader = current_reader(request)
    form = DetailsForm(request.POST)
    if not form.is_valid():
        return _account_page(request, reader, details_form=form, status=400)
    reader.name = form.cleaned_data["name"]
    reader.save(update_fields=["name"])
    return redirect(reverse("readers:account") + "?saved=details#details")
