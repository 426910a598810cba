"""The organisation (组织体系): congress bodies, deputies and their mandates, stations,
groups, handling units and the opinion categories units handle.

Every record here hangs from a region; the scoping layer (renda/core/scoping.py) filters
on ``region__path``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from renda.core.models import TimeStampedModel, new_public_id


class CongressLevel(models.IntegerChoices):  # 人大层级
    NATIONAL = 1, "全国"
    PROVINCE = 2, "省级"
    CITY = 3, "市级"
    COUNTY = 4, "县级"
    TOWNSHIP = 5, "乡镇级"


class BodyKind(models.TextChoices):
    CONGRESS = "congress", "人民代表大会"
    STANDING_COMMITTEE = "standing_committee", "人大常委会"
    PRESIDIUM = "presidium", "乡镇人大主席团"
    STREET_WORK_COMMITTEE = "street_committee", "街道人大工委"
    STREET_DELIBERATION = "street_deliberation", "街道议政代表会议"


class Body(TimeStampedModel):  # 人大机构
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=24, choices=BodyKind.choices)
    level = models.PositiveSmallIntegerField("层级", choices=CongressLevel.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name="所属区划", on_delete=models.PROTECT, related_name="bodies"
    )
    term = models.PositiveSmallIntegerField("届次", null=True, blank=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "人大机构"
        verbose_name_plural = "人大机构"
        constraints = [models.UniqueConstraint(fields=["region", "kind"], name="body_one_kind_per_region")]

    def __str__(self) -> str:
        return self.name


class DeputyKind(models.TextChoices):
    DEPUTY = "deputy", "人大代表"
    DELIBERATION = "deliberation", "议政代表"


class Gender(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class Deputy(TimeStampedModel):  # 人大代表 / 议政代表 (one person; levels are Mandates)
    public_id = models.CharField("公开编号", max_length=32, unique=True, default=new_public_id, editable=False)
    kind = models.CharField("类别", max_length=16, choices=DeputyKind.choices, default=DeputyKind.DEPUTY)
    name = models.CharField("姓名", max_length=50)
    name_initials = models.CharField("姓名拼音首字母", max_length=50, db_index=True, editable=False)
    name_pinyin = models.CharField("姓名拼音", max_length=200, db_index=True, editable=False)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField("出生年份", null=True, blank=True)
    ethnicity = models.CharField("民族", max_length=20, blank=True)
    party = models.CharField("政治面貌", max_length=20, blank=True)
    occupation = models.CharField("工作单位及职务", max_length=200, blank=True)
    phone = models.CharField("手机", max_length=20, blank=True)
    photo = models.ImageField("照片", upload_to="deputies/", blank=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name="所属区划", on_delete=models.PROTECT, related_name="deputies"
    )
    is_active = models.BooleanField("在任", default=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "代表"
        verbose_name_plural = "代表"
        indexes = [models.Index(fields=["region", "name"], name="deputy_region_name_idx")]

    def __str__(self) -> str:
        return self.name


class Mandate(TimeStampedModel):  # 代表资格：one level held by a deputy
    deputy = models.ForeignKey(Deputy, verbose_name="代表", on_delete=models.CASCADE, related_name="mandates")
    level = models.PositiveSmallIntegerField("层级", choices=CongressLevel.choices)
    term = models.PositiveSmallIntegerField("届次")
    constituency = models.CharField("选区/选举单位", max_length=100, blank=True)
    body = models.ForeignKey(
        Body, verbose_name="所属人大", null=True, blank=True, on_delete=models.PROTECT, related_name="mandates"
    )

    class Meta(TimeStampedModel.Meta):
        verbose_name = "代表资格"
        verbose_name_plural = "代表资格"
        constraints = [
            models.UniqueConstraint(fields=["deputy", "level", "term"], name="mandate_unique_level_term"),
            models.CheckConstraint(condition=Q(term__gte=1, term__lte=99), name="mandate_term_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()}第{self.term}届"


class StationKind(models.TextChoices):
    HOME = "home", "代表之家"
    STATION = "station", "代表联络站"
    POINT = "point", "代表联系点"


class Station(TimeStampedModel):  # 家站点
    public_id = models.CharField("公开编号", max_length=32, unique=True, default=new_public_id, editable=False)
    code = models.CharField("站点编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=16, choices=StationKind.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name="所在区划", on_delete=models.PROTECT, related_name="stations"
    )
    served_regions = models.ManyToManyField(
        "regions.Region", verbose_name="联系的村/社区", blank=True, related_name="serving_stations"
    )
    address = models.CharField("地址", max_length=200, blank=True)
    opening_hours = models.CharField("接待时间", max_length=200, blank=True)
    industry = models.CharField("联系行业（联系点）", max_length=100, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "代表家站点"
        verbose_name_plural = "代表家站点"

    def __str__(self) -> str:
        return self.name

    @property
    def contact_phone(self) -> str:
        """The number citizens may call: the 站长's, else a 联络员's (on the station's pages and
        the booking pages)."""
        officers = sorted(self.officers.all(), key=lambda o: (o.role != "head", o.pk))
        return next((o.phone for o in officers if o.phone), "")


class OfficerRole(models.TextChoices):
    HEAD = "head", "站长"
    LIAISON = "liaison", "联络员"


class StationOfficer(TimeStampedModel):  # 站长/联络员
    station = models.ForeignKey(Station, verbose_name="站点", on_delete=models.CASCADE, related_name="officers")
    role = models.CharField("职责", max_length=16, choices=OfficerRole.choices)
    name = models.CharField("姓名", max_length=50)
    phone = models.CharField("电话", max_length=20, blank=True)
    user = models.ForeignKey(
        "accounts.User", verbose_name="系统账号", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(TimeStampedModel.Meta):
        verbose_name = "站点工作人员"
        verbose_name_plural = "站点工作人员"
        ordering = ["station", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["station"], condition=Q(role="head"), name="station_one_head"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.name}"


class StationMembership(TimeStampedModel):  # 进站：a deputy assigned to a station for a period
    deputy = models.ForeignKey(Deputy, verbose_name="代表", on_delete=models.CASCADE, related_name="memberships")
    station = models.ForeignKey(Station, verbose_name="站点", on_delete=models.CASCADE, related_name="memberships")
    start_date = models.DateField("进站日期")
    end_date = models.DateField("离站日期", null=True, blank=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "进站记录"
        verbose_name_plural = "进站记录"
        constraints = [
            models.UniqueConstraint(
                fields=["deputy", "station"], condition=Q(end_date__isnull=True), name="membership_one_open"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="membership_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deputy} @ {self.station}"


class GroupKind(models.TextChoices):
    REGIONAL = "regional", "代表小组"
    PROFESSIONAL = "professional", "专业小组"


class DeputyGroup(TimeStampedModel):  # 代表小组 / 专业小组
    MIN_MEMBERS = 3  # 地方组织法 §43: a group has at least three deputies

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=16, choices=GroupKind.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name="所属区划", on_delete=models.PROTECT, related_name="groups"
    )
    members = models.ManyToManyField(Deputy, verbose_name="成员", blank=True, related_name="groups")

    class Meta(TimeStampedModel.Meta):
        verbose_name = "代表小组"
        verbose_name_plural = "代表小组"
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="group_unique_name_in_region")]

    def __str__(self) -> str:
        return self.name


class Category(TimeStampedModel):  # 意见分类 (two levels)
    code = models.CharField("编码", max_length=16, unique=True)
    name = models.CharField("名称", max_length=50)
    parent = models.ForeignKey(
        "self", verbose_name="上级分类", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = "意见分类"
        verbose_name_plural = "意见分类"

    def __str__(self) -> str:
        return f"{self.parent.name}／{self.name}" if self.parent_id and self.parent else self.name


class UnitKind(models.TextChoices):  # 一府一委两院 and below
    GOVERNMENT = "government", "人民政府"
    DEPARTMENT = "department", "政府部门"
    OFFICE = "office", "乡镇站所/办公室"
    SUPERVISION = "supervision", "监察委员会"
    COURT = "court", "人民法院"
    PROCURATORATE = "procuratorate", "人民检察院"
    OTHER = "other", "其他单位"


class HandlingUnit(TimeStampedModel):  # 承办单位
    code = models.CharField("单位编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=16, choices=UnitKind.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name="所属区划", on_delete=models.PROTECT, related_name="units"
    )
    parent = models.ForeignKey(
        "self", verbose_name="上级单位", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    categories = models.ManyToManyField(Category, verbose_name="承办分类", blank=True, related_name="units")
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "承办单位"
        verbose_name_plural = "承办单位"
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="unit_unique_name_in_region")]

    def __str__(self) -> str:
        return self.name
