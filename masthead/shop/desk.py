"""The shop's panel on the newsroom's desk: paid orders with items the outlet packs still to
send, for those who may view orders."""

from django.utils.translation import gettext_lazy as _

from masthead.audience.desk import DeskLine, DeskPanel
from masthead.shop.orders import fulfilment_queue


def dispatch_lines(request):
    queue = fulfilment_queue()
    oldest = queue.first()
    lines = [DeskLine(_("Orders to dispatch"), str(queue.count()))]
    if oldest is not None and oldest.paid_at:
        lines.append(DeskLine(_("Oldest paid"), f"{oldest.paid_at:%d %b %Y}"))
    return lines


DISPATCH_PANEL = DeskPanel(
    name="shop_dispatch",
    title=_("Orders to dispatch"),
    lines=dispatch_lines,
    url_name="shop_fulfilment:index",
    permission="shop.view_order",
    order=320,
)
