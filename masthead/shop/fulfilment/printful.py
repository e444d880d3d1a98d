"""Printful (API v1, https://api.printful.com) for print-on-demand variants.

An order goes to Printful with ``external_id`` = the outlet's order number, so a retry never
creates a second one: :meth:`PrintfulProvider.submit` first asks for ``/orders/@<number>``,
posts only on a 404, and if the post answers that the external id exists (a concurrent or
earlier attempt won), reads the order back. Items name the variant by the shop variant's
``external_variant_id`` (Printful's sync variant external id) and carry the order line's id
as their own ``external_id``, so a shipment webhook says exactly which lines left.

This module is a plain client: it submits an order and reads a webhook body into
ShipmentUpdate and StatusUpdate dataclasses, and changes nothing in the database. The shop
applies what it returns (``print_on_demand.submit_order``, ``orders.apply_fulfilment_updates``).

HTTP goes through a tiny client (urllib) that tests replace with one answering from recorded
responses; nothing here reaches the network in tests.
"""

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from masthead.shop.fulfilment.base import (
    FulfilmentError,
    FulfilmentProvider,
    InvalidFulfilmentWebhook,
    ShipmentUpdate,
    StatusUpdate,
)
from masthead.shop.models import Order, Variant, web_link

logger = logging.getLogger("masthead.shop")

API_BASE = "https://api.printful.com"
TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes


class UrllibClient:
    """The real HTTP client: one request, the status and the body, never an exception for
    an HTTP error status (a 404 is an answer here)."""

    def request(self, method, url, headers, body=None, timeout=TIMEOUT_SECONDS):
        if not url.startswith("https://"):
            raise OSError("Printful is only called over https.")
        # The scheme is checked just above, so no file: or custom scheme can be opened.
        request = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return HttpResponse(response.status, response.read())
        except urllib.error.HTTPError as error:
            return HttpResponse(error.code, error.read())


# None means UrllibClient; tests put a client answering from recorded responses here.
http_client = None


def _money(amount):
    """Printful writes money as a decimal string: 2500 pence is "25.00"."""
    units, minor = divmod(amount, 100)
    return f"{units}.{minor:02d}"


class PrintfulProvider(FulfilmentProvider):
    """Sends print-on-demand lines to Printful and reads its webhooks."""

    name = "printful"

    def __init__(self, api_key, *, confirm=False, api_base=API_BASE, client=None):
        self.api_key = api_key
        self.confirm = confirm
        self.api_base = api_base.rstrip("/")
        self.client = client or UrllibClient()

    @classmethod
    def from_settings(cls):
        return cls(
            settings.PRINTFUL_API_KEY,
            confirm=settings.PRINTFUL_CONFIRM_ORDERS,
            client=http_client,
        )

    def _call(self, method, path, payload=None):
        """One API call: (HTTP status, decoded JSON). Raises FulfilmentError when Printful
        cannot be reached or answers with something that is not JSON."""
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Accept": "application/json",
            "User-Agent": "Masthead",
        }
        body = None
        if payload is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(payload).encode()
        try:
            response = self.client.request(method, self.api_base + path, headers, body)
        except (OSError, TimeoutError) as error:
            logger.warning("Printful %s %s failed: %s", method, path, error)
            raise FulfilmentError(
                _("Printful could not be reached; the order will be sent again.")
            ) from error
        try:
            data = json.loads(response.body or b"{}")
        except ValueError as error:
            raise FulfilmentError(_("Printful answered with something unreadable.")) from error
        if not isinstance(data, dict):
            raise FulfilmentError(_("Printful answered with something unreadable."))
        return response.status, data

    @staticmethod
    def _error_message(data):
        error = data.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        result = data.get("result")
        return str(result) if isinstance(result, str) else ""

    def find(self, external_id):
        """Printful's order with this external id, or None when it has none."""
        status, data = self._call("GET", f"/orders/@{external_id}")
        if status == 404:
            return None
        if status == 200 and isinstance(data.get("result"), dict):
            return data["result"]
        raise FulfilmentError(
            _("Printful refused to look up the order: %(error)s")
            % {"error": self._error_message(data) or status}
        )

    def order_payload(self, order):
        """The body of POST /orders: the recipient and the order's Printful lines."""
        lines = order.lines.select_related("variant").filter(fulfilment=Variant.Fulfilment.PRINTFUL)
        items = []
        for line in lines:
            variant_id = line.variant.external_variant_id if line.variant else ""
            if not variant_id:
                raise FulfilmentError(
                    _("%(sku)s has no print-on-demand variant id.") % {"sku": line.sku}
                )
            quantity = line.quantity - line.quantity_refunded
            if quantity <= 0:
                continue
            items.append(
                {
                    "external_id": str(line.pk),
                    "external_variant_id": variant_id,
                    "quantity": quantity,
                    "retail_price": _money(line.unit_price),
                    "name": f"{line.product_title} {line.variant_label}".strip(),
                }
            )
        if not items:
            raise FulfilmentError(_("This order has nothing for Printful to print."))
        return {
            "external_id": order.number,
            "shipping": "STANDARD",
            "recipient": {
                "name": order.full_name,
                "address1": order.address_line1,
                "address2": order.address_line2,
                "city": order.city,
                "state_code": order.region,
                "country_code": order.country,
                "zip": order.postcode,
                "phone": order.phone,
                "email": order.email,
            },
            "items": items,
            "retail_costs": {"currency": order.currency},
        }

    def submit(self, order):
        existing = self.find(order.number)
        if existing is not None:
            return str(existing["id"])
        confirm = "true" if self.confirm else "false"
        status, data = self._call("POST", f"/orders?confirm={confirm}", self.order_payload(order))
        if status == 200 and isinstance(data.get("result"), dict):
            return str(data["result"]["id"])
        message = self._error_message(data)
        if status == 400 and "already exist" in message.lower():
            existing = self.find(order.number)
            if existing is not None:
                return str(existing["id"])
        raise FulfilmentError(
            _("Printful refused the order: %(error)s") % {"error": message or status}
        )

    def parse_webhook(self, body, headers=None):
        try:
            data = json.loads(body)
        except ValueError as error:
            raise InvalidFulfilmentWebhook("The body is not JSON.") from error
        if not isinstance(data, dict) or not isinstance(data.get("data"), dict):
            raise InvalidFulfilmentWebhook("The body is not a Printful event.")
        kind = data.get("type")
        payload = data["data"]
        order = payload.get("order")
        if not isinstance(order, dict) or not order.get("external_id"):
            # Orders made outside the shop (in Printful's dashboard) are not ours.
            return []
        number = str(order["external_id"])
        if kind == "package_shipped":
            shipment = payload.get("shipment")
            if not isinstance(shipment, dict) or "id" not in shipment:
                raise InvalidFulfilmentWebhook("A shipped package without its shipment.")
            return [
                ShipmentUpdate(
                    order_number=number,
                    external_id=f"printful-{shipment['id']}",
                    carrier=str(shipment.get("carrier") or "Printful"),
                    tracking_number=str(shipment.get("tracking_number") or ""),
                    # Shown to readers as a link: a web address or nothing.
                    tracking_url=web_link(str(shipment.get("tracking_url") or "")),
                    items=_shipped_lines(shipment, order),
                )
            ]
        if kind in {"order_failed", "order_canceled"}:
            status = (
                Order.PrintStatus.FAILED if kind == "order_failed" else Order.PrintStatus.CANCELED
            )
            return [StatusUpdate(number, status, str(payload.get("reason") or ""))]
        if kind == "order_updated":
            return [StatusUpdate(number, str(order.get("status") or "updated"))]
        return []


def _shipped_lines(shipment, order):
    """{our order line id: quantity} from a shipment's items and the order's items (whose
    ``external_id`` is our line's id)."""
    line_of_item = {}
    for item in order.get("items") or []:
        if isinstance(item, dict) and str(item.get("external_id") or "").isdigit():
            line_of_item[item.get("id")] = int(item["external_id"])
    shipped = {}
    for item in shipment.get("items") or []:
        if not isinstance(item, dict):
            continue
        line_id = line_of_item.get(item.get("item_id"))
        quantity = item.get("quantity")
        if line_id is None or isinstance(quantity, bool) or not isinstance(quantity, int):
            continue
        if quantity > 0:
            shipped[line_id] = shipped.get(line_id, 0) + quantity
    return shipped
