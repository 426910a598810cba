import pytest

from renda.accounts.models import RoleAssignment
from renda.audit.models import AuditEvent
from renda.core.errors import NotFound, PermissionDenied
from renda.core.scoping import Perm, scope_from_assignments
from renda.org.models import Deputy, Station
from renda.regions.models import Region, RegionLevel


@pytest.mark.django_db
def test_township_staff_see_their_township_and_nothing_of_a_neighbour(scope_of):
    scope = scope_of("township")
    (root,) = scope.roots
    deputies = scope.filter(Deputy.objects.all())
    assert deputies.exists()
    assert all(d.region.path.startswith(root) for d in deputies.select_related("region"))
    neighbour = Deputy.objects.exclude(region__path__startswith=root).first()
    with pytest.raises(NotFound):
        scope.get(Deputy.objects.all(), pk=neighbour.pk)


@pytest.mark.django_db
def test_county_staff_see_every_township_of_the_county(scope_of):
    county = scope_of("county")
    assert county.filter(Region.objects.filter(level=RegionLevel.TOWNSHIP)).count() == 12
    assert (
        county.filter(Deputy.objects.all()).count()
        == Deputy.objects.filter(region__path__startswith=county.roots[0]).count()
    )


@pytest.mark.django_db
def test_a_role_without_the_permission_is_refused(scope_of):
    with pytest.raises(PermissionDenied):
        scope_of("deputy").filter(AuditEvent.objects.all(), perm=Perm.AUDIT_VIEW)


@pytest.mark.django_db
def test_unregistered_models_cannot_be_queried_through_the_scope(scope_of):
    from renda.accounts.models import ApiToken

    with pytest.raises(RuntimeError, match="未登记"):
        scope_of("county").filter(ApiToken.objects.all())


@pytest.mark.django_db
def test_several_assignments_union_and_nested_roots_collapse(user_named):
    user = user_named("township")
    town = RoleAssignment.objects.get(user=user).region
    county = town.parent
    village = Region.objects.filter(parent=town).first()
    assignments = [
        RoleAssignment(role="township_staff", region=town),
        RoleAssignment(role="county_staff", region=county),
        RoleAssignment(role="township_staff", region=village),
    ]
    scope = scope_from_assignments(user, assignments)
    assert scope.roots == [county.path]


@pytest.mark.django_db
def test_a_user_without_roles_sees_nothing(django_user_model):
    from renda.core.scoping import scope_for_user

    user = django_user_model.objects.create_user("norole", password="x")
    scope = scope_for_user(user)
    with pytest.raises(PermissionDenied):
        scope.filter(Station.objects.all())
