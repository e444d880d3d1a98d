"""Middleware that guards every view at once."""

from django.http import HttpResponseBadRequest, QueryDict


class NulBytesMiddleware:
    """Keep NUL bytes out of every view.

    No page or slug of ours contains one, and PostgreSQL refuses to store or even compare
    text holding it, so a junk request would otherwise become an error page deep inside a
    view. A path with a NUL byte is answered 400; in query parameters NUL bytes are dropped
    and the rest is kept, as a reader's search for "quay\\x00wall" still means "quaywall".
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            return HttpResponseBadRequest(
                "The address contains a NUL byte.", content_type="text/plain; charset=utf-8"
            )
        if "%00" in request.META.get("QUERY_STRING", ""):
            cleaned = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                cleaned.setlist(key.replace("\x00", ""), [v.replace("\x00", "") for v in values])
            cleaned._mutable = False
            request.GET = cleaned
        return self.get_response(request)
