"""Chinese numerals as official documents and session names write them (第十九届, 第三次, 二、)."""

from __future__ import annotations

DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 19 → 十九, 23 → 二十三 (1–99; other numbers in digits)."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = (("" if tens == 1 else DIGITS[tens]) + "十") if tens else ""
    return head + (DIGITS[ones] if ones else "")
