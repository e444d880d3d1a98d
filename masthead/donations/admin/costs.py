"""Admin for the outlet's side of the funding page: its monthly costs by category, and the
goal it sets for each month."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.model import ModelViewSet

from masthead.donations.models import CostCategory, FundingGoal, MonthlyCost


class CostCategoryViewSet(ModelViewSet):
    """The kinds of cost shown on the funding page; editors rename and add them."""

    model = CostCategory
    icon = "tag"
    menu_label = _("Cost categories")
    form_fields = ["name", "description", "sort_order"]
    list_display = ["name", "sort_order"]
    copy_view_enabled = False


class MonthlyCostViewSet(ModelViewSet):
    """The outlet's costs, month by month and category by category."""

    model = MonthlyCost
    icon = "doc-full"
    menu_label = _("Monthly costs")
    form_fields = ["month", "category", "amount", "currency", "note"]
    list_display = ["month", "category", "amount", "note"]
    list_filter = ["category", "month"]


class FundingGoalViewSet(ModelViewSet):
    """How much the outlet aims to raise from readers each month."""

    model = FundingGoal
    icon = "success"
    menu_label = _("Funding goals")
    form_fields = ["month", "amount", "currency"]
    list_display = ["month", "amount"]
    copy_view_enabled = False


viewsets = [
    MonthlyCostViewSet("monthly_costs"),
    FundingGoalViewSet("funding_goals"),
    CostCategoryViewSet("cost_categories"),
]
