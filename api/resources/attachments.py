"""Photos and signatures of a job — ``/api/v1/orders/<id>/attachments`` and ``/api/v1/attachments``."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, current_app, request, url_for
from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, fields, validate

from api import database
from api.auth import actor
from api.common import blueprint
from api.database import View
from api.fields import Id, Text, When
from api.idempotency import DOC as IDEMPOTENCY_DOC
from api.idempotency import idempotent
from dispatch.attachments import service as attachments
from dispatch.attachments.images import TooLarge
from dispatch.attachments.models import Attachment, AttachmentKind
from dispatch.attachments.storage import LocalBlobStore
from dispatch.config import Settings
from dispatch.errors import Invalid

blp = blueprint("attachments", "", "Photos and signatures taken on jobs (uploaded by the device's id)")

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


def client_id(value: str, name: str) -> str:
    """Check an id a device made (a UUID, or 1-64 letters, digits, '-' and '_')."""
    if not CLIENT_ID.match(value):
        raise Invalid(
            f"{name} must be 1-64 letters, digits, '-' or '_' (a UUID)", errors={name: ["malformed"]}
        )
    return value


def store() -> LocalBlobStore:
    """The app's attachment store."""
    settings: Settings = current_app.config["DISPATCH"]
    return LocalBlobStore(settings.attachments_folder)


class AttachmentSchema(Schema):
    """A photo or signature (fetch the image at ``content_url``)."""

    id = Text()
    order_id = Id()
    kind = fields.Enum(AttachmentKind, by_value=True)
    content_type = Text()
    size_bytes = fields.Integer()
    width = fields.Integer()
    height = fields.Integer()
    signer_name = Text(allow_none=True)
    caption = Text(allow_none=True)
    taken_at = When(allow_none=True)
    created_at = When()
    content_url = fields.Method("get_url")

    def get_url(self, attachment: Attachment) -> str:
        """Where the image itself is served."""
        return url_for("attachments.AttachmentContent", attachment_id=attachment.id)


class UploadArgs(Schema):
    """What the image is; the image itself is the request body."""

    kind = fields.Enum(AttachmentKind, by_value=True, load_default=AttachmentKind.PHOTO)
    signer_name = Text(load_default=None, validate=validate.Length(max=200))
    caption = Text(load_default=None, validate=validate.Length(max=500))
    taken_at = When(load_default=None)


UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "description": "the image bytes (JPEG, PNG or WebP; checked by content)",
        "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in IMAGE_TYPES},
    },
    **IDEMPOTENCY_DOC,
}


@blp.route("/orders/<id:order_id>/attachments/<attachment_id>")
class AttachmentUpload(View):
    """Upload one image under the id the device made for it."""

    @idempotent
    @blp.arguments(UploadArgs, location="query")
    @blp.response(201, AttachmentSchema)
    @blp.alt_response(200, schema=AttachmentSchema, description="The same image was uploaded before")
    @blp.alt_response(404, schema=ErrorSchema, description="No such order, or not yours")
    @blp.alt_response(409, schema=ErrorSchema, description="Not on site, or the id holds another image")
    @blp.alt_response(413, schema=ErrorSchema, description="Too many bytes or pixels")
    @blp.alt_response(415, schema=ErrorSchema, description="Not a JPEG, PNG or WebP image")
    @blp.doc(**UPLOAD_DOC)
    def put(self, args: dict[str, Any], order_id: int, attachment_id: str) -> tuple[Attachment, int]:
        """Attach a photo or the customer's signature (with the signer's name) to an on-site job."""
        settings: Settings = current_app.config["DISPATCH"]
        if (request.content_length or 0) > settings.attachment_max_bytes:
            raise TooLarge(
                f"the image is {request.content_length:,} bytes; at most "
                f"{settings.attachment_max_bytes:,} are accepted (downscale it)",
                errors={"body": [f"at most {settings.attachment_max_bytes} bytes"]},
            )
        attachment, created = attachments.upload(
            database.session(),
            store(),
            actor=actor(),
            order_id=order_id,
            attachment_id=client_id(attachment_id, "attachment_id"),
            data=request.get_data(cache=True),
            max_bytes=settings.attachment_max_bytes,
            max_pixels=settings.attachment_max_pixels,
            **args,
        )
        return attachment, 201 if created else 200


@blp.route("/orders/<id:order_id>/attachments")
class OrderAttachments(View):
    """A job's photos and signatures."""

    @blp.response(200, AttachmentSchema(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="No such order, or not yours")
    def get(self, order_id: int) -> list[Attachment]:
        """List the job's attachments, oldest first."""
        return attachments.for_order(database.session(), actor=actor(), order_id=order_id)


@blp.route("/attachments/<attachment_id>/content")
class AttachmentContent(View):
    """The image of an attachment."""

    @blp.response(200, description="The image", content_type="image/jpeg")
    @blp.alt_response(404, schema=ErrorSchema, description="No such attachment, or not yours")
    def get(self, attachment_id: str) -> Response:
        """Download the image (JPEG, PNG or WebP as uploaded)."""
        attachment = attachments.get_or_raise(
            database.session(), actor=actor(), attachment_id=client_id(attachment_id, "attachment_id")
        )
        data = attachments.content(store(), attachment)
        response = Response(data, mimetype=attachment.content_type)
        response.headers["Cache-Control"] = "private, max-age=86400, immutable"
        response.headers["ETag"] = f'"{attachment.sha256}"'
        return response
