"""The shop in Wagtail's admin: the catalogue, shipping and discounts (admin_catalogue) and
orders with the fulfilment queue (admin_orders)."""

from masthead.shop import admin_catalogue, admin_orders

admin_catalogue.register()
admin_orders.register()
