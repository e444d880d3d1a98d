"""The hit endpoint answered at the top of the stack, as ``/metrics`` and the health check are.

A hit needs none of what the rest of the middleware does for pages: no session, no CSRF
token (the same-site check stands in for it), no signed-in user or reader, no messages, no
page cache, no redirects. Going through all of it cost more than the hit itself (about 700
hits/s on two cores against the thousands the page cache serves), so ``HitMiddleware`` sits
just after the request id and the metrics and hands ``/a/hit`` and ``/a/hit.gif`` straight to
their views. Everything else goes on down the stack unchanged. Host validation still
applies: the views read ``request.get_host()``, which refuses hosts not in ALLOWED_HOSTS.

In production nginx sends hits to the hit listener (``masthead.audience.listener``) and
this path is not taken; it serves the demo and any site run without the listener.
"""

from django.urls import reverse

from masthead.audience import views


class HitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.views = {reverse("audience:hit"): views.hit, reverse("audience:pixel"): views.pixel}

    def __call__(self, request):
        view = self.views.get(request.path_info)
        if view is None:
            return self.get_response(request)
        return view(request)
