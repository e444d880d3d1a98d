"""Everything the shop plugs into elsewhere, connected once from ``ShopConfig.ready()``:
its payment handler, the periodic jobs (releasing expired stock holds and old baskets,
asking again for refunds whose asker died), its share of the demo, the page-cache
invalidation for catalogue changes, the margin on the funding page, the product block in
article bodies, the products in the site search, and the filter that keeps the Printful
webhook's secret out of Django's request logs; and, with ``readers``, the "Your orders"
section of the reader's account page and the shop's share of a reader's personal data."""

from masthead.audience.desk import register_desk_panel
from masthead.core.blocks import register_body_block
from masthead.core.cache_invalidation import invalidate_pages_on_change
from masthead.core.demo import register_demo_part
from masthead.core.funding import register_income_source
from masthead.core.metrics import register_webhook_endpoint
from masthead.core.scheduler import register_periodic_job
from masthead.core.search import register_search_source
from masthead.core.slots import register_slot
from masthead.payments.registry import register_handler
from masthead.readers.registry import register_account_section, register_personal_data
from masthead.shop import (
    account,
    cart,
    checkout,
    demo,
    desk,
    log_filters,
    orders,
    payment_events,
    reader_data,
    retention,
    search,
)
from masthead.shop.blocks import ProductBlock
from masthead.shop.models import (
    Category,
    Product,
    ProductImage,
    ShippingRate,
    ShippingZone,
    Variant,
)


def connect():
    """Register the shop with core's registries and the payments handler registry."""
    register_handler("order", payment_events.handle_payment_event)
    register_periodic_job(
        "shop.release_expired_reservations", checkout.release_expired_reservations
    )
    register_periodic_job("shop.delete_stale_carts", cart.delete_stale_carts, every=3600)
    register_periodic_job("shop.trim_unpaid_orders", retention.trim_unpaid_orders, every=3600)
    register_periodic_job(
        "shop.anonymise_old_orders", retention.anonymise_old_orders, every=24 * 3600
    )
    register_periodic_job("shop.resume_stale_refunds", orders.resume_stale_refunds, every=300)
    # The catalogue is on cached pages; carts and orders are reader activity and never are.
    invalidate_pages_on_change(Category, Product, ProductImage, Variant, ShippingZone, ShippingRate)
    register_income_source("shop", orders.MARGIN_LABEL, orders.margin_by_month)
    register_demo_part(
        "shop", build=demo.build_demo_part, remove=demo.remove_demo, is_present=demo.demo_is_present
    )
    register_body_block("product", ProductBlock())
    register_search_source(
        "shop",
        search.search_products,
        template=search.SEARCH_TEMPLATE,
        stylesheets=search.SEARCH_STYLESHEETS,
    )
    # "Your orders" on the reader's account page, and the shop's share of their data.
    register_account_section(account.SECTION)
    register_personal_data(reader_data.SHARE)
    # Orders to dispatch on the newsroom's desk (the admin's home).
    register_desk_panel(desk.DISPATCH_PANEL)
    log_filters.hide_secret_from_request_logs()
    # /metrics counts the Printful deliveries refused or failed.
    register_webhook_endpoint("shop:printful_webhook")
    # The header's shop and basket links, and the script that fills in the basket's count
    # (masthead.core.slots).
    register_slot("head", "shop/includes/head.html", order=10)
    register_slot("nav", "shop/includes/nav.html", order=20)
