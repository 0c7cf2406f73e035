"""Editing the quality rubric as the rubric screen does: reviews already scored keep the rubric
they were scored on (their score and their copy of each item); the next review is scored on the
new one; a retired item is listed for leads to put back."""

from __future__ import annotations

from tests.api.test_role_matrix_quality import quality_world  # noqa: F401

API = "/api/v1/quality"


def test_a_changed_rubric_scores_the_next_review_and_leaves_old_scores_alone(client, quality_world):  # noqa: F811
    w, admin = quality_world, quality_world.h("admin")
    solves = w.ids["item"]  # weight 3
    polite = client.post(
        f"{API}/rubric", json={"name": "Polite", "weight": 1, "position": 2}, headers=admin
    ).json
    old = client.post(
        f"{API}/reviews/{w.ids['rev_agent']}/score",
        json={"marks": [{"item_id": solves, "passed": True}, {"item_id": polite["id"], "passed": False}]},
        headers=admin,
    ).json
    assert old["score"] == 75

    # The lead reweighs, makes "Polite" critical, adds an item and retires another.
    assert client.patch(f"{API}/rubric/{solves}", json={"weight": 1}, headers=admin).status_code == 200
    client.patch(f"{API}/rubric/{polite['id']}", json={"critical": True, "name": "Courteous"}, headers=admin)
    identity = client.post(f"{API}/rubric", json={"name": "Checks identity", "weight": 2}, headers=admin).json
    client.patch(f"{API}/rubric/{identity['id']}", json={"active": False}, headers=admin)

    kept = client.get(f"{API}/reviews/{w.ids['rev_agent']}", headers=admin).json
    assert kept["score"] == 75
    assert [(r["name"], r["weight"], r["critical"]) for r in kept["results"]] == [
        ("Solves the problem", 3, False),
        ("Polite", 1, False),
    ]
    weeks = client.get(f"{API}/scores?until=2026-11-23", headers=admin).json
    assert [row["average"] for row in weeks if row["agent_id"] == w.ids["user_agent"]] == [75.0]

    new = client.post(
        f"{API}/reviews/{w.ids['rev_other']}/score",
        json={"marks": [{"item_id": solves, "passed": True}, {"item_id": polite["id"], "passed": False}]},
        headers=admin,
    ).json
    assert new["score"] == 0
    assert new["critical_failed"] is True
    assert [(r["name"], r["weight"]) for r in new["results"]] == [("Solves the problem", 1), ("Courteous", 1)]

    active = [i["name"] for i in client.get(f"{API}/rubric", headers=admin).json]
    everything = {
        i["name"]: i["active"] for i in client.get(f"{API}/rubric?retired=true", headers=admin).json
    }
    assert active == ["Solves the problem", "Courteous"]
    assert everything == {"Solves the problem": True, "Courteous": True, "Checks identity": False}
