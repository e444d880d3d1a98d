"""The print-on-demand provider's webhook: Printful tells the shop a package was shipped or
an order failed, was cancelled or changed.

Printful v1 signs nothing, so the address itself carries a secret
(/shop/webhooks/printful/<PRINTFUL_WEBHOOK_SECRET>/): a wrong or missing secret, or none
configured, is a 404, as if the endpoint did not exist. Replays are harmless: a shipment is
unique on Printful's shipment id and a status that does not change is not logged again.
"""

import hmac
import logging

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from masthead.shop import orders
from masthead.shop.fulfilment import printful as printful_provider
from masthead.shop.fulfilment.base import InvalidFulfilmentWebhook

logger = logging.getLogger("masthead.shop")

# Printful's events are a few kilobytes; anything far bigger is not from Printful.
MAX_BODY_BYTES = 256 * 1024


def _secret_matches(given):
    expected = settings.PRINTFUL_WEBHOOK_SECRET
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


@csrf_exempt
@never_cache
@require_POST
def printful(request, secret):
    """Apply one Printful webhook delivery."""
    if not _secret_matches(secret):
        raise Http404
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return HttpResponseBadRequest("Bad Content-Length.", content_type="text/plain")
    if length > MAX_BODY_BYTES:
        return HttpResponse("Too large.", status=413, content_type="text/plain")
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return HttpResponse("Too large.", status=413, content_type="text/plain")
    provider = printful_provider.PrintfulProvider.from_settings()
    try:
        updates = provider.parse_webhook(body)
    except InvalidFulfilmentWebhook as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain")
    changed = orders.apply_fulfilment_updates(updates)
    return HttpResponse(f"ok ({changed} changed)", content_type="text/plain")
