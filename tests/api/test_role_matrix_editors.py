"""The editors' screens in the role matrix: agents and admins preview and filter knowledge base
articles; leads (admins, dispatchers, agents who lead a desk team) read the retired rubric items."""

from __future__ import annotations

import pytest

from tests.api.test_role_matrix import DENIED, OK, ROLES, Row, check_cell, kb_world  # noqa: F401
from tests.api.test_role_matrix_quality import quality_world  # noqa: F401

EVERYONE = (OK, OK, OK, OK, OK)
EDITORS = (OK, DENIED, OK, DENIED, DENIED)

EDITORS_KB_ROWS: list[Row] = [
    Row("POST", "/kb/preview", EDITORS, lambda w: {"body": "# Drain\n\nClear it <script>x</script>"}),
    # Everyone may list; only editors get drafts (the others get the published articles).
    Row("GET", "/kb/articles?drafts=true&status=draft&title=ready", EVERYONE),
    Row("GET", "/kb/articles?visibility=internal", EVERYONE),
]
EDITORS_QUALITY_ROWS: list[Row] = [
    Row("GET", "/quality/rubric?retired=true", (OK, OK, DENIED, DENIED, DENIED)),
]


def _cells(rows: list[Row]) -> list[object]:
    return [
        pytest.param(row, role, row.expected[i], id=f"{row.method} {row.path} {i}:{role}")
        for row in rows
        for i, role in enumerate(ROLES)
    ]


@pytest.mark.parametrize(("row", "role", "status"), _cells(EDITORS_KB_ROWS))
def test_kb_editor_role_gets_exactly_the_expected_status(client, kb_world, row, role, status):  # noqa: F811
    check_cell(client, kb_world, row, role, status)


@pytest.mark.parametrize(("row", "role", "status"), _cells(EDITORS_QUALITY_ROWS))
def test_rubric_editor_role_gets_exactly_the_expected_status(client, quality_world, row, role, status):  # noqa: F811
    check_cell(client, quality_world, row, role, status)
