"""Report figures from the daily aggregate rows, as JSON or CSV (``Accept: text/csv`` or ``format=csv``)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from flask import Response, request
from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api import database
from api.auth import actor
from api.common import blueprint
from api.database import View
from api.fields import Text
from dispatch.i18n import text
from dispatch.reports import labels
from dispatch.reports import service as reports
from dispatch.reports.figures import Figure

blp = blueprint("reports", "/reports", "Report figures from daily aggregate rows (JSON or CSV)")

CSV_COLUMNS = ("period", "key", "label", "value", "p90", "count", "total")


class FigureSchema(Schema):
    """A figure one may read."""

    name = fields.String()
    title = fields.Function(lambda f: text(f.title))
    unit = fields.String(metadata={"description": "tickets, share (0 to 1), seconds, metres"})
    reading = fields.Function(
        lambda f: f.reading.value, metadata={"description": "count, rate, sum, duration, last"}
    )
    dimensions = fields.List(fields.String())
    dimension_names = fields.Function(lambda f: {d: text(labels.DIMENSIONS.get(d, d)) for d in f.dimensions})
    audience = fields.Function(lambda f: f.audience.value)


class FigureListSchema(Schema):
    """The figures the reader may see."""

    items = fields.List(fields.Nested(FigureSchema))


class SeriesQuery(Schema):
    """Which days, grouped how."""

    from_ = fields.Date(data_key="from", metadata={"description": "first day (default: 29 days before to)"})
    to = fields.Date(metadata={"description": "last day, included (default: yesterday)"})
    group = Text(load_default="all", validate=validate.Length(1, 40), metadata={"description": "a dimension"})
    every = fields.Enum(reports.Every, by_value=True, load_default=reports.Every.DAY)
    format = fields.String(validate=validate.OneOf(["json", "csv"]), load_default="json")

    @validates_schema
    def _range(self, data: dict[str, Any], **_kwargs: Any) -> None:
        first, last = data.get("from_"), data.get("to")
        if first and last and last < first:
            raise ValidationError("on or after from", "to")


class PointSchema(Schema):
    """One number of the figure: a period and a dimension value."""

    period = fields.Date(metadata={"description": "the first day of the period"})
    key = fields.String()
    label = fields.String()
    value = fields.Float(allow_none=True, metadata={"description": "the figure (median for durations)"})
    p90 = fields.Float(allow_none=True, metadata={"description": "durations: the 90th percentile"})
    count = fields.Integer(
        metadata={"description": "how many were counted (tickets, clocks, visits, routes)"}
    )
    total = fields.Integer(
        metadata={"description": "of those, met or fixed; or the summed seconds or metres"}
    )


class _Prepared(fields.List[Any]):
    """A list already made of plain JSON values (a year of points is dumped in one step, not one field
    at a time); documented as the list of its items."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value


class SeriesSchema(Schema):
    """A figure over a range of days."""

    figure = fields.Nested(FigureSchema)
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    group = fields.String()
    every = fields.String()
    points = _Prepared(fields.Nested(PointSchema))


@blp.route("")
class Figures(View):
    """The figures."""

    @blp.response(200, FigureListSchema)
    @blp.alt_response(403, schema=ErrorSchema, description="Staff only")
    def get(self) -> dict[str, list[Figure]]:
        """The figures the reader may see: agents the service desk's, admins and dispatchers all."""
        return {"items": reports.visible(actor())}


def _wants_csv(args: dict[str, Any]) -> bool:
    if args["format"] == "csv":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return (
        best == "text/csv"
        and request.accept_mimetypes["text/csv"] > request.accept_mimetypes["application/json"]
    )


def _csv(name: str, body: dict[str, Any]) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for point in body["points"]:
        writer.writerow(point)
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{name}_{body["from_"].isoformat()}_{body["to"].isoformat()}.csv"'
    )
    return response


@blp.route("/<string:figure>")
class FigureSeries(View):
    """One figure over a range."""

    @blp.arguments(SeriesQuery, location="query")
    @blp.response(200, SeriesSchema)
    @blp.alt_response(403, schema=ErrorSchema, description="Not staff, or a field figure asked by an agent")
    @blp.alt_response(404, schema=ErrorSchema, description="No such figure")
    @blp.alt_response(422, schema=ErrorSchema, description="Bad range (at most 366 days) or grouping")
    def get(self, args: dict[str, Any], figure: str) -> Any:
        """The figure per day, week or month and per value of ``group``, read from the daily rows.

        CSV with ``Accept: text/csv`` or ``format=csv`` (columns period, key, label, value, p90, count, total).
        """
        session = database.session()
        last: date = args.get("to") or date.today() - timedelta(days=1)
        first: date = args.get("from_") or last - timedelta(days=29)
        series = reports.read(
            session,
            actor=actor(),
            name=figure,
            first=first,
            last=last,
            group=args["group"],
            every=args["every"],
        )
        names = labels.names(session, series.group, {p.key for p in series.points})
        body = {
            "figure": series.figure,
            "from_": series.first,
            "to": series.last,
            "group": series.group,
            "every": series.every.value,
            "points": [
                {
                    "period": p.period.isoformat(),
                    "key": p.key,
                    "label": names.get(p.key, p.key),
                    "value": p.value,
                    "p90": p.p90,
                    "count": p.count,
                    "total": p.total,
                }
                for p in series.points
            ],
        }
        if _wants_csv(args):
            return _csv(series.figure.name, body)
        return body
