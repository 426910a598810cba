"""Regions (行政区划): the tree every scope, record and statistic hangs from.

Each region carries the 12-digit statistical division code (统计用区划代码) and a
*path*: the significant prefix of that code (2 digits for a province, 4 a city,
6 a county, 9 a township/street, 12 a village/community, 15 a grid cell below a
village). A region's subtree is therefore a contiguous range of paths, which a
plain B-tree index answers on SQLite and PostgreSQL alike — no recursive walk.
"""

from __future__ import annotations

from django.db import models

from renda.core.models import TimeStampedModel


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, "省"
    CITY = 2, "市"
    COUNTY = 3, "县（市、区）"
    TOWNSHIP = 4, "乡镇/街道"
    VILLAGE = 5, "村/社区"
    GRID = 6, "网格"


# Length of the path (significant code prefix) at each level.
PATH_LENGTH = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
    RegionLevel.GRID: 15,
}
LEVEL_BY_PATH_LENGTH = {length: level for level, length in PATH_LENGTH.items()}


class RegionKind(models.TextChoices):
    PROVINCE = "province", "省"
    CITY = "city", "市"
    COUNTY = "county", "县"
    DISTRICT = "district", "区"
    COUNTY_CITY = "county_city", "县级市"
    TOWN = "town", "镇"
    TOWNSHIP = "township", "乡"
    STREET = "street", "街道"
    VILLAGE = "village", "村"
    COMMUNITY = "community", "社区"
    GRID = "grid", "网格"


class Region(TimeStampedModel):  # 行政区划
    # Uniqueness is declared as constraints, not unique=True: on PostgreSQL that skips the
    # extra varchar_pattern_ops ("_like") index Django adds to unique text fields, which the
    # range-based subtree query never needs (bench/README.md: ~74 MiB saved at 700k regions).
    code = models.CharField("区划代码", max_length=15)
    path = models.CharField("路径", max_length=15, editable=False)
    name = models.CharField("名称", max_length=64)
    level = models.PositiveSmallIntegerField("层级", choices=RegionLevel.choices)
    kind = models.CharField("类型", max_length=16, choices=RegionKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级区划", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["path"]
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=6), name="region_level_range"),
            models.UniqueConstraint(fields=["code"], name="region_code_unique"),
            models.UniqueConstraint(fields=["path"], name="region_path_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_street(self) -> bool:
        return self.kind == RegionKind.STREET

    @property
    def full_name(self) -> str:
        return "".join(r.name for r in self.ancestors(include_self=True) if r.level >= RegionLevel.COUNTY)

    def ancestor_paths(self, *, include_self: bool = False) -> list[str]:
        lengths = [n for n in PATH_LENGTH.values() if n < len(self.path)]
        paths = [self.path[:n] for n in lengths]
        if include_self:
            paths.append(self.path)
        return paths

    def ancestors(self, *, include_self: bool = False) -> list[Region]:
        paths = self.ancestor_paths(include_self=include_self)
        return list(Region.objects.filter(path__in=paths).order_by("path"))
