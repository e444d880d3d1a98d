"""Payments URLs: one webhook endpoint per provider, the checkout status page and the demo
provider's local pages."""

from django.urls import path

from masthead.payments import views

app_name = "payments"

urlpatterns = [
    path("webhooks/<slug:provider_name>/", views.webhook, name="webhook"),
    path("checkout/status/", views.checkout_status, name="checkout_status"),
    path("demo/checkout/<str:checkout_id>/", views.demo_checkout, name="demo_checkout"),
    path("demo/portal/<str:customer_id>/", views.demo_portal, name="demo_portal"),
]
