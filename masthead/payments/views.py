"""Payments views: the webhook endpoints, the checkout status page, and the demo
provider's stand-ins for Stripe's hosted checkout and customer portal.

Views only validate input and call services; none of them decides whether anything was
paid. Every page here is personal to one checkout, so none is cached.
"""

import logging

from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from masthead.payments import services, webhooks
from masthead.payments.models import DemoCheckout, DemoPayment, DemoSubscription
from masthead.payments.money import InvalidAmount, parse_amount
from masthead.payments.providers.base import InvalidWebhook, PaymentProviderError

logger = logging.getLogger("masthead.payments")

# How often the status page asks again while the payment is still being confirmed. It never
# waits for the webhooks itself: a request thread held while a provider is slow is one fewer
# for every other reader, and a flood of status requests would hold them all.
STATUS_REFRESH_SECONDS = 2


@csrf_exempt
@require_POST
def webhook(request, provider_name):
    """Receive one provider event: 200 once it is stored (or was already), 400 when the
    signature or payload is bad (nothing is stored), 404 for an unknown or disabled
    provider, 503 when the provider could not be asked about the event (it retries)."""
    try:
        result = services.process_webhook(provider_name, request.body, request.headers)
    except services.PaymentsUnavailable as error:
        raise Http404(str(error)) from error
    except InvalidWebhook as error:
        logger.warning("Refused a %s webhook: %s", provider_name, error)
        return HttpResponseBadRequest(str(error), content_type="text/plain")
    except PaymentProviderError:
        return HttpResponse(status=503)
    return JsonResponse(
        {"received": True, "duplicate": result.outcome == webhooks.WebhookOutcome.DUPLICATE}
    )


@never_cache
@require_http_methods(["GET", "HEAD"])
def checkout_status(request):
    """Where a reader lands after checkout (``?session_id=...``): shows what the webhooks
    have recorded so far, at once, and refreshes itself while payment is being confirmed."""
    checkout = services.find_checkout(request.GET.get("session_id", ""))
    if checkout is None:
        raise Http404(_("There is no such checkout."))
    return render(
        request,
        "payments/checkout_status.html",
        {"checkout": checkout, "refresh_seconds": STATUS_REFRESH_SECONDS},
    )


def _demo_provider():
    try:
        return services.get_provider("demo")
    except services.PaymentsUnavailable as error:
        raise Http404(str(error)) from error


def _with_session_id(url, checkout_id):
    return url.replace("{CHECKOUT_SESSION_ID}", checkout_id)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def demo_checkout(request, checkout_id):
    """The demo provider's hosted checkout page: the amount, and Pay, Decline and Abandon."""
    provider = _demo_provider()
    provider.expire_if_due(checkout_id)
    checkout = DemoCheckout.objects.filter(pk=checkout_id).first()
    if checkout is None:
        raise Http404(_("There is no such checkout."))
    error = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "pay":
                provider.pay(checkout.id)
                return redirect(_with_session_id(checkout.success_url, checkout.id))
            if action == "abandon":
                provider.abandon(checkout.id)
                return redirect(_with_session_id(checkout.cancel_url, checkout.id))
            if action == "decline":
                checkout = provider.decline(checkout.id)
                error = _("Your card was declined. Try again, or go back.")
                status = 402
            else:
                error = _("Choose Pay, Decline or Abandon.")
                status = 400
        except PaymentProviderError as refusal:
            checkout.refresh_from_db()
            error, status = str(refusal), 409
    return render(
        request,
        "payments/demo_checkout.html",
        {"checkout": checkout, "error": error},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def demo_portal(request, customer_id):
    """The demo provider's customer portal: a supporter's monthly payments, with buttons to
    simulate next month's renewal (paid or declined), change the amount, or cancel."""
    provider = _demo_provider()
    subscriptions = DemoSubscription.objects.filter(customer_id=customer_id).order_by("created_at")
    payments = DemoPayment.objects.filter(customer_id=customer_id).order_by("-created_at")
    if not subscriptions.exists() and not payments.exists():
        raise Http404(_("There is no such customer."))
    message, error, status = "", "", 200
    if request.method == "POST":
        subscription = subscriptions.filter(pk=request.POST.get("subscription", "")).first()
        action = request.POST.get("action")
        if subscription is None:
            error, status = _("Choose one of your monthly payments."), 400
        else:
            try:
                if action == "renew":
                    provider.renew(subscription.id)
                    message = _("Next month's payment was taken.")
                elif action == "fail_renewal":
                    provider.renew(subscription.id, succeed=False)
                    message = _("Next month's payment was declined.")
                elif action == "cancel":
                    provider.cancel_subscription(subscription.id)
                    message = _("Your monthly payment is cancelled.")
                elif action == "change_amount":
                    amount = parse_amount(request.POST.get("amount", ""), subscription.currency)
                    services.change_subscription_amount(
                        subscription.id, amount, subscription.currency, provider_name="demo"
                    )
                    message = _("Your monthly amount is changed.")
                else:
                    error, status = _("Choose what to do."), 400
            except InvalidAmount as refusal:
                error, status = str(refusal), 400
            except PaymentProviderError as refusal:
                error, status = str(refusal), 409
    return render(
        request,
        "payments/demo_portal.html",
        {
            "customer_id": customer_id,
            "subscriptions": subscriptions,
            "payments": payments,
            "message": message,
            "error": error,
        },
        status=status,
    )
