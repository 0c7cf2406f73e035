""" "Did this answer your question?" and the questions articles answered (self-service)."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.access import Actor, require_role
from dispatch.errors import Conflict, NotFound
from dispatch.i18n import _
from dispatch.kb import service as articles
from dispatch.kb.models import Article, ArticleFeedback, SelfService, SelfServiceSource
from dispatch.tickets.models import Ticket


def visitor_key(raw: str, *, secret: str) -> str:
    """A stable, non-reversible key for a visitor's cookie or user id."""
    return hashlib.sha256(f"{secret}:{raw}".encode()).hexdigest()


def answer(session: Session, *, actor: Actor | None, article_id: int, visitor: str, helpful: bool) -> Article:
    """Record a visitor's answer; asking again changes it, never counts twice."""
    article = articles.get_or_raise(session, actor=actor, article_id=article_id).article
    row = session.scalar(
        select(ArticleFeedback).where(
            ArticleFeedback.article_id == article.id, ArticleFeedback.visitor == visitor
        )
    )
    if row is None:
        session.add(ArticleFeedback(article_id=article.id, visitor=visitor, helpful=helpful))
    elif row.helpful == helpful:
        return article
    else:
        if row.helpful:
            article.helpful_yes -= 1
        else:
            article.helpful_no -= 1
        row.helpful = helpful
    if helpful:
        article.helpful_yes += 1
    else:
        article.helpful_no += 1
    session.flush()
    return article


def solved_by_customer(
    session: Session, *, actor: Actor | None, article_id: int, visitor: str
) -> SelfService:
    """A customer writing a ticket said the article answered it (once per visitor and article)."""
    article = articles.get_or_raise(session, actor=actor, article_id=article_id).article
    found = session.scalar(
        select(SelfService).where(SelfService.article_id == article.id, SelfService.visitor == visitor)
    )
    if found is not None:
        return found
    row = SelfService(article_id=article.id, source=SelfServiceSource.CUSTOMER, visitor=visitor)
    session.add(row)
    session.flush()
    return row


def solved_ticket(session: Session, *, actor: Actor, article_id: int, ticket_id: int) -> SelfService:
    """An agent says the article answered a ticket (a ticket counts once)."""
    require_role(
        actor,
        articles.EDITORS,
        to=_("Your role (%(role)s) may not mark tickets as solved by an article (allowed: %(allowed)s)."),
    )
    article = articles.get_or_raise(session, actor=actor, article_id=article_id).article
    if session.get(Ticket, ticket_id) is None:
        raise NotFound(_("ticket %(id)s not found", id=ticket_id))
    found = session.scalar(select(SelfService).where(SelfService.ticket_id == ticket_id))
    if found is not None:
        if found.article_id != article.id:
            raise Conflict(
                _("this ticket is already marked as solved by article %(id)s", id=found.article_id)
            )
        return found
    row = SelfService(article_id=article.id, source=SelfServiceSource.AGENT, ticket_id=ticket_id)
    session.add(row)
    session.flush()
    return row
