"""The 12-month funding chart as server-side SVG: no chart library, no JavaScript.

Each month gets two bars side by side, costs and readers' income, with the month below and
the figures as text, so the chart reads without colour and a screen reader gets a title, a
description and the same numbers in a table on the page.
"""

from xml.sax.saxutils import escape

from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from masthead.payments.money import format_money

WIDTH = 720
HEIGHT = 300
TOP = 28
BOTTOM = 48
LEFT = 12
RIGHT = 12


def _whole(amount, currency):
    """A compact axis figure: £1,234 rather than £1,234.00."""
    return format_money(amount, currency).rsplit(".", 1)[0]


def funding_chart(points, currency):
    """SVG markup for a list of MonthPoint (month, costs, income), oldest first."""
    count = max(len(points), 1)
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / count
    bar = slot * 0.34
    largest = max([point.costs for point in points] + [point.income for point in points] + [1])
    title = _("Costs and readers' income, month by month")
    if points:
        description = _("Twelve months from %(first)s to %(last)s. %(months)s") % {
            "first": date_format(points[0].month, "F Y"),
            "last": date_format(points[-1].month, "F Y"),
            "months": " ".join(
                _("%(month)s: costs %(costs)s, readers gave %(income)s.")
                % {
                    "month": date_format(point.month, "F Y"),
                    "costs": format_money(point.costs, currency),
                    "income": format_money(point.income, currency),
                }
                for point in points
            ),
        }
    else:
        description = _("No figures yet.")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="funding-chart" role="img" aria-labelledby="funding-chart-title '
        f'funding-chart-desc">',
        f'<title id="funding-chart-title">{escape(title)}</title>',
        f'<desc id="funding-chart-desc">{escape(description)}</desc>',
        f'<line x1="{LEFT}" y1="{TOP + plot_height}" x2="{WIDTH - RIGHT}" '
        f'y2="{TOP + plot_height}" class="funding-chart__axis" stroke="#767676"/>',
        f'<text x="{LEFT}" y="16" class="funding-chart__scale" font-size="12">'
        f"{escape(_('Highest: %(amount)s') % {'amount': _whole(largest, currency)})}</text>",
    ]
    for index, point in enumerate(points):
        x = LEFT + index * slot + (slot - 2 * bar) / 2
        for offset, value, kind, colour in (
            (0, point.costs, "costs", "#9a9a9a"),
            (bar, point.income, "income", "#b3261e"),
        ):
            height = round(plot_height * value / largest, 1)
            label = _("%(what)s in %(month)s: %(amount)s") % {
                "what": _("Costs") if kind == "costs" else _("Readers gave"),
                "month": date_format(point.month, "F Y"),
                "amount": format_money(value, currency),
            }
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{TOP + plot_height - height:.1f}" '
                f'width="{bar:.1f}" height="{height:.1f}" fill="{colour}" '
                f'class="funding-chart__{kind}"><title>{escape(label)}</title></rect>'
            )
        centre = LEFT + index * slot + slot / 2
        parts.append(
            f'<text x="{centre:.1f}" y="{TOP + plot_height + 18}" text-anchor="middle" '
            f'font-size="12" class="funding-chart__month">'
            f"{escape(date_format(point.month, 'M'))}</text>"
        )
        parts.append(
            f'<text x="{centre:.1f}" y="{TOP + plot_height + 34}" text-anchor="middle" '
            f'font-size="10" class="funding-chart__figure">'
            f"{escape(_whole(point.income, currency))}</text>"
        )
    legend_y = 16
    parts.extend(
        [
            f'<rect x="{WIDTH - 250}" y="{legend_y - 10}" width="10" height="10" fill="#9a9a9a"/>',
            f'<text x="{WIDTH - 236}" y="{legend_y}" font-size="12">{escape(_("Costs"))}</text>',
            f'<rect x="{WIDTH - 170}" y="{legend_y - 10}" width="10" height="10" fill="#b3261e"/>',
            f'<text x="{WIDTH - 156}" y="{legend_y}" font-size="12">'
            f"{escape(_('Readers gave'))}</text>",
            "</svg>",
        ]
    )
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
