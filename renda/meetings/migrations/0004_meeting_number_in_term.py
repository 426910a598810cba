"""Data: number each body's sessions within its term in date order, and give those that carry
the generated per-year title (“白鹭镇人民代表大会2026年第4次会议”) the term-based one
(“白鹭镇第十九届人民代表大会第三次会议”). A title staff wrote themselves is kept.

Reversed: numbered per year again, generated titles back to the per-year form.
"""

from collections import defaultdict

from django.db import migrations

DIGITS = "零一二三四五六七八九"
PARKED = 1000


def _cn(n):
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = (("" if tens == 1 else DIGITS[tens]) + "十") if tens else ""
    return head + (DIGITS[ones] if ones else "")


def _short(body):
    region = body.region.name
    rest = body.name[len(region) :] if body.name.startswith(region) else body.name
    if body.kind == "presidium" and rest.startswith("乡镇"):
        rest = rest[2:]
    if region.endswith("街道") and rest.startswith("街道"):
        rest = rest[2:]
    return rest


def _term_title(body, term, year, number):
    prefix = body.region.name if body.name.startswith(body.region.name) else ""
    if term:
        return f"{prefix}第{_cn(term)}届{_short(body)}第{_cn(number)}次会议"
    return f"{prefix}{_short(body)}{year}年第{_cn(number)}次会议"


def _year_title(body, year, number):
    return f"{body.name}{year}年第{number}次会议"


def _renumber(apps, *, by_term):
    Meeting = apps.get_model("meetings", "Meeting")
    series = defaultdict(list)
    for m in Meeting.objects.select_related("body__region").order_by("start_date", "id"):
        key = (m.body_id, m.term) if by_term and m.term is not None else (m.body_id, None, m.year)
        series[key].append(m)
    for rows in series.values():
        # No unique constraint on the number between 0003 and 0005; the numbers are parked out
        # of range first all the same, so that the function also runs with the constraint on.
        for i, m in enumerate(rows):
            Meeting.objects.filter(pk=m.pk).update(number=PARKED + i)
        for n, m in enumerate(rows, start=1):
            old_titles = {_year_title(m.body, m.year, m.number), _term_title(m.body, m.term, m.year, m.number)}
            if by_term:
                title = _term_title(m.body, m.term, m.year, n)
            else:
                title = _year_title(m.body, m.year, n)
            fields = {"number": n}
            if m.title in old_titles:
                fields["title"] = title
            Meeting.objects.filter(pk=m.pk).update(**fields)


def forwards(apps, schema_editor):
    _renumber(apps, by_term=True)


def backwards(apps, schema_editor):
    _renumber(apps, by_term=False)


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0003_meeting_drop_number_in_year"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
