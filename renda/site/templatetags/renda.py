"""``{% load renda %}``: the filters every page uses. Here, in the glue app, because they come
from more than one app (core's masking, audit's action labels)."""

from django import template

from renda.audit.labels import action_label as audit_action_label
from renda.core.validation import mask_name, mask_phone

register = template.Library()


@register.filter
def masked_phone(value: str) -> str:
    return mask_phone(value or "")


@register.filter
def masked_name(value: str) -> str:
    return mask_name(value or "")


@register.simple_tag
def phone(value: str, show: bool) -> str:
    """The phone in full for those who handle the person, masked for everyone else."""
    return (value or "") if show else mask_phone(value or "")


@register.filter
def action_label(value: str) -> str:
    """opinion.route -> 分流交办 (audit action codes in Chinese)."""
    return audit_action_label(value or "")


@register.filter
def wan(value: object) -> str:
    """An amount in 元 shown in 万元 with two decimals and thousands separators: 1,234.50."""
    from decimal import Decimal, InvalidOperation

    try:
        amount = Decimal(str(value)) / Decimal(10000)
    except (InvalidOperation, ValueError):
        return ""
    return f"{amount:,.2f}"


@register.filter
def yuan(value: object) -> str:
    """An amount in 元 with thousands separators and two decimals: 1,234,500.00."""
    from decimal import Decimal, InvalidOperation

    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return ""
