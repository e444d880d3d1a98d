"""The fulfilment queue in Wagtail's admin: paid orders with items the outlet packs still to
send, oldest first, and their printable packing slips (one order's, or the whole queue's),
for those who may view orders."""

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from masthead.core.sites import outlet_name
from masthead.shop import orders
from masthead.shop.models import Order, OrderLine, Variant
from masthead.shop.pricing import shop_settings_for

VIEW_PERMISSION = "shop.view_order"


class ViewPermissionMixin:
    """Only for those who may view orders."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(VIEW_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _queue():
    outlet_lines = Prefetch(
        "lines",
        queryset=OrderLine.objects.filter(fulfilment=Variant.Fulfilment.OUTLET),
        to_attr="outlet_lines",
    )
    return list(orders.fulfilment_queue().prefetch_related(outlet_lines))


class FulfilmentQueueView(ViewPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """Paid orders with items the outlet packs still to send, oldest first."""

    template_name = "shop/admin/fulfilment_queue.html"
    page_title = _("Fulfilment queue")
    header_icon = "mail"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            queue=_queue(), slips_url=reverse("shop_fulfilment:slips"), **kwargs
        )


class PackingSlipsView(ViewPermissionMixin, TemplateView):
    """Printable packing slips: one order's, or every order in the queue's."""

    template_name = "shop/admin/packing_slips.html"

    def get_context_data(self, pk=None, **kwargs):
        if pk is None:
            slips = _queue()
        else:
            order = get_object_or_404(Order, pk=pk)
            order.outlet_lines = list(order.lines.filter(fulfilment=Variant.Fulfilment.OUTLET))
            slips = [order]
        return super().get_context_data(
            slips=slips,
            outlet_name=outlet_name(),
            dispatch_note=shop_settings_for().dispatch_note,
            **kwargs,
        )


class QueueMenuItem(MenuItem):
    """The queue's menu item, shown only to those who may view orders."""

    def is_shown(self, request):
        return request.user.has_perm(VIEW_PERMISSION)


class FulfilmentViewSet(ViewSet):
    """The fulfilment queue and its packing slips."""

    icon = "mail"
    menu_label = _("Fulfilment queue")
    menu_item_class = QueueMenuItem

    def get_urlpatterns(self):
        return [
            path("", FulfilmentQueueView.as_view(), name="index"),
            path("slips/", PackingSlipsView.as_view(), name="slips"),
            path("slip/<int:pk>/", PackingSlipsView.as_view(), name="slip"),
        ]
