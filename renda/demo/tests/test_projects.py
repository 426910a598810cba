import pytest

from renda.demo import projects as demo
from renda.projects.models import CandidateList, Project, ProjectState, Proposal

pytestmark = pytest.mark.django_db


def test_demo_builds_two_years_with_a_rectification_and_is_idempotent(system, scope_of):
    summary = demo.build(scope=system, seed=2026)
    assert "民生实事已生成" in summary
    assert CandidateList.objects.filter(state="decided").count() == 4
    assert Project.objects.filter(state=ProjectState.RECTIFYING).count() >= 1
    clerk = scope_of("clerk")
    assert Project.objects.filter(lead_unit_id__in=clerk.unit_ids).exists()
    assert Proposal.objects.filter(state="submitted").exists()
    assert demo.build(scope=system, seed=2026) == "民生实事：已有演示数据，跳过"
