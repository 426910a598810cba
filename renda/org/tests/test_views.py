import pytest

from renda.audit.models import AuditEvent
from renda.org.models import Deputy, Station
from renda.regions.models import Region, RegionLevel


def township_root(scope_of):
    return scope_of("township").roots[0]


@pytest.mark.django_db
def test_search_deputies_by_pinyin_initials_and_name(client_as, scope_of):
    deputy = Deputy.objects.filter(region__path__startswith=township_root(scope_of)).order_by("id").first()
    client = client_as("township")
    by_initials = client.get("/org/deputies/", {"q": deputy.name_initials}).content.decode()
    assert deputy.name in by_initials
    by_name = client.get("/org/deputies/", {"q": deputy.name}).content.decode()
    assert deputy.name in by_name


@pytest.mark.django_db
def test_filters_narrow_the_list(client_as, scope_of):
    client = client_as("county")
    county_level = client.get("/org/deputies/", {"level": 4}).context["page"].paginator.count
    everyone = client.get("/org/deputies/").context["page"].paginator.count
    assert 0 < county_level < everyone
    station = (
        Station.objects.filter(region__path__startswith=township_root(scope_of), kind="station").order_by("code").last()
    )
    page = client.get("/org/deputies/", {"station": station.pk}).context["page"]
    assert len(page) > 0
    assert all(station.pk in {m.station_id for m in d.current_memberships} for d in page)
    bad = client.get("/org/deputies/", {"level": "abc", "station": "x" * 100})
    assert bad.status_code == 200  # nonsense filters are ignored, not an error page


@pytest.mark.django_db
def test_htmx_search_returns_only_the_rows(client_as):
    response = client_as("county").get("/org/deputies/", {"q": "z"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<table" in html and "<html" not in html


@pytest.mark.django_db
def test_list_pages_do_not_grow_queries_with_rows(client_as, django_assert_max_num_queries):
    client = client_as("county")
    for url in [
        "/org/deputies/",
        "/org/stations/",
        "/org/units/",
        "/org/bodies/",
        "/org/groups/",
        "/audit/",
        "/regions/",
    ]:
        with django_assert_max_num_queries(12):
            assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_phones_are_masked_for_a_deputy_and_shown_to_staff(client_as, scope_of):
    deputy = Deputy.objects.filter(region__path__startswith=township_root(scope_of)).exclude(phone="").first()
    masked = deputy.phone[:3] + "****" + deputy.phone[-4:]
    as_deputy = client_as("deputy").get("/org/deputies/", {"q": deputy.name}).content.decode()
    assert masked in as_deputy and deputy.phone not in as_deputy
    as_staff = client_as("township").get(f"/org/deputies/{deputy.public_id}/").content.decode()
    assert deputy.phone in as_staff


@pytest.mark.django_db
def test_register_a_deputy_through_the_form(client_as, scope_of):
    village = Region.objects.filter(path__startswith=township_root(scope_of), level=RegionLevel.VILLAGE).first()
    response = client_as("township").post(
        "/org/deputies/new/",
        {
            "name": "新代表",
            "kind": "deputy",
            "region": village.pk,
            "term_5": 19,
            "constituency_5": "第1选区",
            "term_4": 18,
            "phone": "13800001111",
            "reason": "补选",
        },
    )
    deputy = Deputy.objects.get(name="新代表")
    assert response.status_code == 302 and response["Location"].endswith(f"/org/deputies/{deputy.public_id}/")
    assert sorted(deputy.mandates.values_list("level", flat=True)) == [4, 5]
    page = client_as("township").get(response["Location"]).content.decode()
    assert "登记代表" in page and "补选" in page  # the timeline shows who, what and why


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "此项不能为空"),
        ({"name": "长" * 51}, "不能超过 50 个字"),
        ({"term_5": "abc"}, "格式不正确"),
        ({"term_5": ""}, "至少要有一个层级"),
        ({"phone": "110"}, "格式不正确"),
        ({"region": "999999"}, "请选择有效的选项"),
    ],
)
def test_bad_form_input_shows_a_chinese_error_and_writes_nothing(client_as, scope_of, changes, message):
    village = Region.objects.filter(path__startswith=township_root(scope_of), level=RegionLevel.VILLAGE).first()
    data = {"name": "新代表", "kind": "deputy", "region": village.pk, "term_5": 19} | changes
    before = (Deputy.objects.count(), AuditEvent.objects.count())
    response = client_as("township").post("/org/deputies/new/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (Deputy.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.django_db
def test_a_region_of_another_township_is_not_offered_nor_accepted(client_as, scope_of):
    other = Region.objects.filter(level=RegionLevel.VILLAGE).exclude(path__startswith=township_root(scope_of)).first()
    before = Deputy.objects.count()
    response = client_as("township").post(
        "/org/deputies/new/", {"name": "越界", "kind": "deputy", "region": other.pk, "term_5": 19}
    )
    assert "请选择有效的选项" in response.content.decode()
    assert Deputy.objects.count() == before


@pytest.mark.django_db
def test_edit_station_officers_through_the_form(client_as, scope_of):
    station = Station.objects.filter(region__path__startswith=township_root(scope_of)).order_by("code").first()
    client = client_as("township")
    form = client.get(f"/org/stations/{station.public_id}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        head_name="新站长",
        head_phone="13900002222",
        liaison1_name="",
        liaison1_phone="",
        liaison2_name="",
        liaison2_phone="",
        is_active="on",
        reason="人员调整",
    )
    response = client.post(f"/org/stations/{station.public_id}/edit/", data)
    assert response.status_code == 302
    assert list(station.officers.values_list("role", "name")) == [("head", "新站长")]
    data.update(liaison1_phone="13900003333")
    response = client.post(f"/org/stations/{station.public_id}/edit/", data)
    assert "请同时填写姓名" in response.content.decode()


@pytest.mark.django_db
def test_region_tree_expands_through_htmx(client_as, scope_of):
    county = Region.objects.get(path=scope_of("county").roots[0])
    client = client_as("county")
    assert county.name in client.get("/regions/").content.decode()
    children = client.get(f"/regions/{county.code}/children/").content.decode()
    assert all(t.name in children for t in Region.objects.filter(parent=county))


@pytest.mark.django_db
def test_every_wrong_field_of_the_deputy_form_is_shown_at_once(client_as, scope_of):
    """Issue #13: what the form checks is named together (a missing name, a wrong phone), and so is
    what the service checks (a 议政代表 outside a street, with a congress level)."""
    village = Region.objects.filter(path__startswith=township_root(scope_of), level=RegionLevel.VILLAGE).first()
    before = (Deputy.objects.count(), AuditEvent.objects.count())
    client = client_as("township")
    html = client.post("/org/deputies/new/", {"name": "", "kind": "deputy", "phone": "12345"}).content.decode()
    assert html.count("此项不能为空") == 2 and "手机格式不正确" in html  # name, region, phone
    data = {"name": "新代表", "kind": "deliberation", "region": village.pk, "term_5": 19}
    html = client.post("/org/deputies/new/", data).content.decode()
    assert "不能填写人大代表层级" in html and "议政代表只能属于街道" in html
    assert (Deputy.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.django_db
def test_the_deputy_form_names_every_box_and_offers_no_dashes(client_as):
    html = client_as("township").get("/org/deputies/new/").content.decode()
    assert 'aria-label="县级届次"' in html and 'aria-label="乡镇级选区/选举单位"' in html
    assert "---------" not in html and '<option value="" selected>请选择…</option>' in html
