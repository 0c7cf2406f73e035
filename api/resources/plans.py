"""Plans of a day — ``/api/v1/plans``: ask, follow, cancel, adjust by hand, publish."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, url_for
from flask_smorest.error_handler import ErrorSchema

from api import database
from api.auth import actor
from api.common import blueprint, page_items, paging
from api.database import View
from api.resources.plan_schemas import (
    MoveSchema,
    PlanQuery,
    PlanRequestSchema,
    PlanSchema,
    PlanSummarySchema,
)
from api.worker import jobs
from dispatch.planning import adjust
from dispatch.planning import jobs as plan_jobs
from dispatch.planning import service as planning
from dispatch.planning.models import Plan
from dispatch.tasks.queue import QueueUnavailable

log = logging.getLogger(__name__)
blp = blueprint("plans", "/plans", "Optimizer runs for a day: routes, what is left out, publishing")


def _limits() -> dict[str, Any]:
    """How long a plan may go unheard of while running, and untaken while queued."""
    settings = current_app.config["DISPATCH"]
    return {"stale_after_s": settings.plan_stale_after_s, "queued_after_s": settings.plan_queued_timeout_s}


@blp.route("")
class Plans(View):
    """Ask for a plan, list plans."""

    @blp.arguments(PlanQuery, location="query")
    @blp.response(200, PlanSummarySchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Plan]:
        """List plans, newest first."""
        result = planning.list_plans(
            database.session(),
            actor=actor(),
            **_limits(),
            **args,
            **paging(pagination_parameters),
        )
        return page_items(result, pagination_parameters)

    @blp.arguments(PlanRequestSchema)
    @blp.response(202, PlanSummarySchema)
    @blp.alt_response(409, schema=ErrorSchema, description="A plan for this day and scope is already running")
    @blp.alt_response(422, schema=ErrorSchema, description="Unknown team or region, time limit out of range")
    @blp.alt_response(503, schema=ErrorSchema, description="The job queue is down: the plan is marked failed")
    def post(self, data: dict[str, Any]) -> tuple[Plan, int, dict[str, str]]:
        """Plan a day (or re-plan it from now): the optimizer runs in the planning queue."""
        session = database.session()
        plan = planning.request(
            session,
            actor=actor(),
            default_time_zone=current_app.config["DISPATCH"].default_time_zone,
            **_limits(),
            **data,
        )
        database.commit()  # the worker must see the plan before it runs
        try:
            plan.job_id = jobs().enqueue(
                plan_jobs.run_plan,
                plan.id,
                queue_name="planning",
                timeout_s=plan_jobs.job_timeout_s(plan.time_limit_s),
                job_id=f"plan-{plan.id}",
            )
        except QueueUnavailable as exc:
            # Nothing will ever run it: say so on the plan, so that the day can be planned again.
            planning.fail(session, plan=plan, message=f"the plan could not be queued: {exc.message}")
            database.commit()
            raise QueueUnavailable(
                f"plan {plan.id} was not started because {exc.message}; it is marked failed, "
                "so ask again once the queue is back",
                errors={"plan_id": plan.id, **(exc.errors or {})},
            ) from exc
        return plan, 202, {"Location": url_for("plans.PlanById", plan_id=plan.id)}


@blp.route("/<id:plan_id>")
class PlanById(View):
    """One plan."""

    @blp.response(200, PlanSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such plan")
    def get(self, plan_id: int) -> Plan:
        """Status, progress, routes, left-out orders with reasons, totals, and changes to the published day."""
        return planning.get_or_raise(database.session(), actor=actor(), plan_id=plan_id, **_limits())

    @blp.response(200, PlanSummarySchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such plan")
    @blp.alt_response(409, schema=ErrorSchema, description="The plan is published")
    def delete(self, plan_id: int) -> Plan:
        """Cancel a queued or running plan, or discard a ready one."""
        plan = planning.cancel(database.session(), actor=actor(), plan_id=plan_id)
        if plan.job_id:
            try:
                jobs().cancel(plan.job_id)
            except QueueUnavailable:
                # The plan is cancelled in the database: a worker that takes the job skips it.
                log.warning("plan %s cancelled, but its job could not be withdrawn", plan.id, exc_info=True)
        return plan


@blp.route("/<id:plan_id>/publish")
class PublishPlan(View):
    """Publish a plan."""

    @blp.response(200, PlanSummarySchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such plan")
    @blp.alt_response(
        409,
        schema=ErrorSchema,
        description="The plan is not ready, or orders changed since it was computed (listed in errors.changed_orders)",
    )
    def post(self, plan_id: int) -> Plan:
        """Make the routes the engineers' day: orders dispatched with start and sequence."""
        margin_s = current_app.config["DISPATCH"].notify_eta_margin_minutes * 60
        return planning.publish(database.session(), actor=actor(), plan_id=plan_id, eta_margin_s=margin_s)


@blp.route("/<id:plan_id>/moves")
class MoveInPlan(View):
    """Adjust a plan by hand."""

    @blp.arguments(MoveSchema)
    @blp.response(200, PlanSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such plan")
    @blp.alt_response(
        409,
        schema=ErrorSchema,
        description="The engineer cannot take the order (errors.alternatives lists who can), or the plan is not ready",
    )
    @blp.alt_response(422, schema=ErrorSchema, description="Order or engineer not part of this plan's day")
    def post(self, data: dict[str, Any], plan_id: int) -> Plan:
        """Move (and optionally pin) an order onto an engineer's route, checked by the optimizer."""
        return adjust.move(database.session(), actor=actor(), plan_id=plan_id, **data)
