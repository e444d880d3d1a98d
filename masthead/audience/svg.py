"""The Audience screens' day-by-day charts as server-side SVG: no chart library, no
JavaScript.

One bar per day, the highest figure written at the top and the first and last days under
the axis, every bar with its own title (the day and the figure), and a description giving
the period's total, so the chart reads without colour or a mouse; the same figures are in a
table on the page and in its CSV export.
"""

from xml.sax.saxutils import escape

from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

WIDTH = 720
HEIGHT = 200
TOP = 24
BOTTOM = 28
LEFT = 8
RIGHT = 8
# A bar is never wider than this, so a short period does not draw slabs.
MAX_BAR = 48


def day_chart(points, value, *, name, title, colour="#1d5f8a"):
    """SVG markup for ``points`` (DayPoints, oldest first), one bar of ``value(point)`` per
    day; ``name`` makes the element ids unique on the page."""
    figures = [value(point) for point in points]
    largest = max([*figures, 1])
    count = max(len(points), 1)
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / count
    bar = min(max(slot * 0.7, 1), MAX_BAR)
    if points:
        description = _("%(total)s from %(first)s to %(last)s; highest day %(largest)s.") % {
            "total": sum(figures),
            "first": date_format(points[0].day, "j M Y"),
            "last": date_format(points[-1].day, "j M Y"),
            "largest": max(figures),
        }
    else:
        description = _("No figures yet.")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="audience-chart audience-chart--{escape(name)}" role="img" '
        f'aria-labelledby="{escape(name)}-title {escape(name)}-desc">',
        f'<title id="{escape(name)}-title">{escape(title)}</title>',
        f'<desc id="{escape(name)}-desc">{escape(description)}</desc>',
        f'<line x1="{LEFT}" y1="{TOP + plot_height}" x2="{WIDTH - RIGHT}" '
        f'y2="{TOP + plot_height}" stroke="#767676"/>',
        f'<text x="{LEFT}" y="14" font-size="12">'
        f"{escape(_('Highest: %(figure)s') % {'figure': max(figures, default=0)})}</text>",
    ]
    for index, (point, figure) in enumerate(zip(points, figures, strict=True)):
        height = round(plot_height * figure / largest, 1)
        x = LEFT + index * slot + (slot - bar) / 2
        label = f"{date_format(point.day, 'D j M Y')}: {figure}"
        parts.append(
            f'<rect x="{x:.1f}" y="{TOP + plot_height - height:.1f}" width="{bar:.1f}" '
            f'height="{height:.1f}" fill="{colour}" class="audience-chart__bar">'
            f"<title>{escape(label)}</title></rect>"
        )
    if points:
        parts.append(
            f'<text x="{LEFT}" y="{HEIGHT - 8}" font-size="12">'
            f"{escape(date_format(points[0].day, 'j M'))}</text>"
        )
        parts.append(
            f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" font-size="12" text-anchor="end">'
            f"{escape(date_format(points[-1].day, 'j M'))}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
