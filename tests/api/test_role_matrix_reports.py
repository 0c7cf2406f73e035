"""Reports in the role matrix: admins and dispatchers read every figure, agents the service desk's."""

from __future__ import annotations

import pytest

from tests.api.test_role_matrix import DENIED, OK, ROLES, Row, check_cell

STAFF_READ = (OK, OK, OK, DENIED, DENIED)
PLANNERS_READ = (OK, OK, DENIED, DENIED, DENIED)

REPORT_ROWS = [
    Row("GET", "/reports", STAFF_READ),
    Row("GET", "/reports/{desk_figure}?group=channel", STAFF_READ),
    Row("GET", "/reports/{field_figure}?group=engineer", PLANNERS_READ),
]

REPORT_CELLS = [
    pytest.param(row, role, row.expected[i], id=f"{row.method} {row.path} {i}:{role}")
    for row in REPORT_ROWS
    for i, role in enumerate(ROLES)
]


@pytest.fixture
def report_world(world):
    """The world with a desk figure and a field figure to ask for (their rows may be empty)."""
    world.ids.update(desk_figure="volume", field_figure="first_time_fix")
    return world


@pytest.mark.parametrize(("row", "role", "status"), REPORT_CELLS)
def test_report_role_gets_exactly_the_expected_status(client, report_world, row, role, status):
    check_cell(client, report_world, row, role, status)
