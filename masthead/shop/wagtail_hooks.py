"""The shop in Wagtail's admin: one "Shop" menu holding the catalogue (products, categories,
shipping zones, discount codes), the orders and the fulfilment queue, and the audit-log
wording of the editors' order actions and of exporting orders. The viewsets and views are
in ``admin/``."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from masthead.shop import actions
from masthead.shop.admin.catalogue import (
    CategoryViewSet,
    DiscountCodeViewSet,
    ProductViewSet,
    ShippingZoneViewSet,
)
from masthead.shop.admin.fulfilment import FulfilmentViewSet
from masthead.shop.admin.orders import EXPORT_LOG_ACTION, OrderViewSet


class ShopAdminGroup(SnippetViewSetGroup):
    """One "Shop" menu for the catalogue, shipping, discounts, orders and fulfilment. The
    catalogue's models are snippets, so an editor can choose a product in an article."""

    menu_label = _("Shop")
    menu_icon = "tag"
    menu_order = 270
    items = (
        ProductViewSet,
        CategoryViewSet,
        ShippingZoneViewSet,
        DiscountCodeViewSet,
        OrderViewSet("orders", url_namespace="shop_orders"),
        FulfilmentViewSet("fulfilment", url_namespace="shop_fulfilment"),
    )


register_snippet(ShopAdminGroup)


@hooks.register("register_log_actions")
def register_order_log_actions(log_actions):
    log_actions.register_action(
        actions.DispatchOrder.log_action, _("Mark order dispatched"), _("Order dispatched")
    )
    log_actions.register_action(
        actions.RefundOrder.log_action, _("Refund order"), _("Order refunded")
    )
    log_actions.register_action(
        actions.CancelOrder.log_action, _("Cancel order"), _("Order cancelled")
    )
    log_actions.register_action(
        actions.ResendConfirmation.log_action,
        _("Resend order confirmation"),
        _("Order confirmation sent again"),
    )
    log_actions.register_action(
        actions.SendToPrintful.log_action, _("Send order to Printful"), _("Order sent to Printful")
    )
    log_actions.register_action(EXPORT_LOG_ACTION, _("Export orders"), _("Orders exported"))
