"""The optimizer's reasons are kept as codes and worded for each reader; old rows keep their sentence."""

from __future__ import annotations

import optimizer
from dispatch.i18n import use_locale
from dispatch.planning import wording
from dispatch.planning.models import PlanStop, PlanUnassigned


def _problem() -> optimizer.Problem:
    here = optimizer.Location(53.48, -2.24)
    return optimizer.Problem(
        engineers=(
            optimizer.Engineer(id="e1", start_location=here, shift_start=8 * 3600, shift_end=17 * 3600),
        ),
        visits=(
            optimizer.Visit(id="ok", location=optimizer.Location(53.49, -2.25), service_duration=1800),
            optimizer.Visit(
                id="gas",
                location=optimizer.Location(53.47, -2.23),
                service_duration=1800,
                required_skills=frozenset({"gas"}),
            ),
        ),
        travel=optimizer.HaversineTravel(),
    )


def test_a_left_out_order_and_a_stop_are_explained_in_the_readers_language():
    plan = optimizer.solve(_problem(), time_limit_s=1)
    (left,) = plan.unassigned
    assert left.note == optimizer.Note.of("no_skilled_engineer", skills="gas")
    row = PlanUnassigned(reason=left.reason.value, detail=left.detail, detail_note=wording.stored(left.note))
    (stop,) = plan.routes[0].stops
    kept = PlanStop(why=stop.why, why_notes=wording.stored(stop.notes))
    with use_locale("en"):
        assert str(row.detail_text) == left.detail == "no engineer has the skills (gas)"
        assert str(kept.why_text) == stop.why
    with use_locale("zh_Hans"):
        assert str(row.detail_text) == "没有工程师具备所需技能（gas）"  # noqa: RUF001 - Chinese punctuation
        assert "公里" in str(kept.why_text)
        assert "km" not in str(kept.why_text)
        # A row planned before the codes were kept is shown with the sentence it was stored with.
        old = PlanUnassigned(reason="dropped_too_costly", detail="did not fit this route's timing")
        assert old.detail_text == "did not fit this route's timing"
