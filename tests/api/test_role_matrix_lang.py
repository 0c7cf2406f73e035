"""Role matrix rows of a job's notes list: whoever may see the order reads its notes."""

from __future__ import annotations

import pytest

from tests.api.test_role_matrix import HIDDEN, OK, ROLES, Row, check_cell

NOTES_ROWS: list[Row] = [
    Row("GET", "/orders/{o_site}/notes", (OK, OK, OK, OK, OK)),
    Row("GET", "/orders/{o_other}/notes", (OK, OK, OK, HIDDEN, HIDDEN)),
]

CELLS = [
    pytest.param(row, role, row.expected[i], id=f"{row.method} {row.path} {i}:{role}")
    for row in NOTES_ROWS
    for i, role in enumerate(ROLES)
]


@pytest.fixture
def notes_world(world):
    """The shared world: its orders are what the notes rows read."""
    return world


@pytest.mark.parametrize(("row", "role", "status"), CELLS)
def test_notes_role_gets_exactly_the_expected_status(client, notes_world, row, role, status):
    check_cell(client, notes_world, row, role, status)
