from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopConfig(AppConfig):
    """The merch shop: catalogue, cart, shipping, discounts, checkout, orders and
    fulfilment."""

    name = "masthead.shop"
    label = "shop"
    verbose_name = _("Shop")

    def ready(self):
        from masthead.shop import wiring

        wiring.connect()
