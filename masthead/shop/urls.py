"""Shop URLs, under /shop/: the catalogue (cached whole for anonymous readers), the cart
and checkout (per reader, never cached), the order page, Order again from the
reader's account, and the print-on-demand webhook."""

from django.urls import path

from masthead.shop.views import account, cart, catalogue, checkout, orders, webhooks

app_name = "shop"

urlpatterns = [
    path("", catalogue.shop_home, name="home"),
    path("category/<slug:slug>/", catalogue.category, name="category"),
    path("product/<slug:slug>/", catalogue.product, name="product"),
    path("cart/", cart.cart, name="cart"),
    path("cart/add/", cart.add, name="cart_add"),
    path("cart/update/", cart.update, name="cart_update"),
    path("cart/summary/", cart.summary, name="cart_summary"),
    path("checkout/", checkout.details, name="checkout"),
    path("checkout/shipping/", checkout.shipping, name="checkout_shipping"),
    path("checkout/review/", checkout.review, name="checkout_review"),
    path("checkout/pay/", checkout.pay, name="checkout_pay"),
    path("order/<uuid:token>/", orders.order_status, name="order"),
    path("account/orders/<int:order_id>/again/", account.order_again, name="order_again"),
    path("webhooks/printful/<str:secret>/", webhooks.printful, name="printful_webhook"),
]
