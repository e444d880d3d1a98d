"""A reader's own data-rights pages: ask for a copy of their data, download it, erase their
account.

Threat model. Asking for a copy or an erasure needs a signed-in reader and a POST with
Django's CSRF token (these pages are personal and never cached). The copy itself is reached
only through the emailed link: a random token of 256 bits whose hash alone is stored, so a
guessed, enumerated or leaked-database link opens nothing, and it stops working (410) after
READERS_EXPORT_DAYS; being signed in as someone is not enough to download their copy.
Erasure asks the reader to type their address and tick a box, so a stray click, or a
browser left signed in, erases nothing by accident; the browser is signed out at once,
everywhere. The page that follows is reached by a signed request number and says only how
far the erasure has gone.
"""

from datetime import timedelta

from django import forms
from django.core import signing
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from masthead.core.ratelimit import mailbox
from masthead.readers import rights, sessions, tasks
from masthead.readers.models import DataRequest
from masthead.readers.sessions import current_reader, reader_required

STATUS_SALT = "masthead.readers.erasure-status"
# A reader who asks again within this time gets the copy already on its way, not another.
EXPORT_REPEAT_WINDOW = timedelta(hours=1)


class ErasureForm(forms.Form):
    """The reader's confirmation: their address, typed, and a ticked box."""

    email = forms.EmailField(label=_("Your email address"), max_length=254)
    confirm = forms.BooleanField(
        label=_(
            "I understand that my account and my data will be erased, and that this "
            "cannot be undone."
        ),
    )

    def __init__(self, *args, reader, **kwargs):
        super().__init__(*args, **kwargs)
        self.reader = reader

    def clean_email(self):
        address = self.cleaned_data["email"]
        if mailbox(address) != self.reader.mailbox:
            raise forms.ValidationError(
                _("This is not the address of the account you are signed in with.")
            )
        return address


@never_cache
@require_GET
@reader_required
def data(request):
    """The data-rights page: a copy of my data, erase my account."""
    return render(request, "readers/rights/data.html", {"reader": current_reader(request)})


@never_cache
@require_POST
@reader_required
def export(request):
    """Ask for a copy of my data: it is built in the background and its link emailed."""
    reader = current_reader(request)
    recent = DataRequest.objects.filter(
        reader=reader,
        kind=DataRequest.Kind.EXPORT,
        status=DataRequest.Status.RECEIVED,
        received_at__gt=timezone.now() - EXPORT_REPEAT_WINDOW,
    )
    if not recent.exists():
        tasks.request_export(reader)
    return redirect("readers:data_export_sent")


@never_cache
@require_GET
@reader_required
def export_sent(request):
    return render(request, "readers/rights/export_sent.html", {"reader": current_reader(request)})


@never_cache
@require_GET
def download(request, token):
    """The emailed link: the copy, while it lasts."""
    try:
        data_request = rights.export_for_token(token)
    except rights.LinkNotFound:
        raise Http404 from None
    except rights.LinkExpired:
        return render(request, "readers/rights/download_expired.html", status=410)
    response = FileResponse(
        rights.export_path(data_request).open("rb"),
        as_attachment=True,
        filename=f"my-data-{data_request.received_at:%Y-%m-%d}.zip",
        content_type="application/zip",
    )
    response["Referrer-Policy"] = "no-referrer"
    rights.mark_downloaded(data_request)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@reader_required
def erase(request):
    """Erase my account: what goes and what stays, then the reader's confirmation."""
    reader = current_reader(request)
    form = ErasureForm(request.POST or None, reader=reader)
    if request.method == "POST" and form.is_valid():
        data_request = tasks.request_erasure(reader)
        ticket = signing.dumps(data_request.pk, salt=STATUS_SALT)
        response = redirect("readers:erasure_status", ticket=ticket)
        return sessions.sign_out(request, response, everywhere=True)
    return render(
        request,
        "readers/rights/erase.html",
        {"reader": reader, "form": form, "kept": rights.kept()},
        status=400 if request.method == "POST" else 200,
    )


@never_cache
@require_GET
def erasure_status(request, ticket):
    """How far an erasure has gone (the page after the confirmation)."""
    try:
        request_id = signing.loads(ticket, salt=STATUS_SALT)
    except signing.BadSignature:
        raise Http404 from None
    data_request = DataRequest.objects.filter(pk=request_id, kind=DataRequest.Kind.ERASURE).first()
    if data_request is None:
        raise Http404
    return render(
        request,
        "readers/rights/erasure_status.html",
        {"data_request": data_request, "kept": rights.kept()},
    )
