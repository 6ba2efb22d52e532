"""Formatting shared by the pages."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def money(value) -> str:
    """An amount in AED as "12,500.00": fils always shown, thousands grouped, Western digits in
    both languages (as on the department's receipts)."""
    try:
        amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    return f"{amount:,.2f}"
