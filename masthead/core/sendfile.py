"""Documents handed to nginx to send, once Django has decided the reader may have them.

Wagtail's document view (``/documents/<id>/<name>``) checks the privacy of the document's
collection first, then calls the ``SENDFILE_BACKEND`` to send the file. Behind the shipped
nginx configuration that backend is this module (``MEDIA_X_ACCEL_REDIRECT``): Django
answers with an empty response whose ``X-Accel-Redirect`` names the file under nginx's
internal ``/protected-media/`` location, and nginx sends it without tying up a worker.
nginx serves nothing else of MEDIA_ROOT but renditions, so no private file can be fetched
by guessing where it lies.
"""

from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import HttpResponse


def sendfile(request, filename, **kwargs):
    """An empty response telling nginx to send ``filename`` (a path inside MEDIA_ROOT);
    Wagtail adds the content type, disposition and length."""
    media_root = Path(settings.MEDIA_ROOT).resolve()
    path = Path(filename).resolve()
    if not path.is_relative_to(media_root):
        raise SuspiciousFileOperation(f"{filename} is outside MEDIA_ROOT.")
    response = HttpResponse()
    response["X-Accel-Redirect"] = settings.MEDIA_X_ACCEL_REDIRECT_URL + quote(
        path.relative_to(media_root).as_posix()
    )
    return response
