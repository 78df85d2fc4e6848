"""Private iCalendar feed addresses: created by their owner, shown once, revocable."""

from __future__ import annotations

from sqlalchemy import select

from mendwell.actions import audit
from mendwell.actions.context import ActionContext, writes_allowed
from mendwell.actions.errors import NotFound
from mendwell.permissions import Permission
from mendwell.security.tokens import new_token, token_hash
from mendwell.store.models import CalendarFeedToken

ENTITY = "calendar_feed_token"
FEED_PREFIX = "cal_"


def create_feed_token(ctx: ActionContext) -> tuple[str, CalendarFeedToken]:
    """A new feed token for the acting user; the plain token is returned once, never stored."""
    ctx.require_anywhere(Permission.COURSE_VIEW)
    plain = new_token(FEED_PREFIX)
    with writes_allowed(ctx.db):
        row = CalendarFeedToken(
            user_id=ctx.actor.user_id,
            token_prefix=plain[:10],
            token_hash=token_hash(plain),
            created_at=ctx.now,
        )
        ctx.db.add(row)
    audit.record(ctx, action="create", entity_type=ENTITY, entity_id=row.id)
    return plain, row


def revoke_feed_token(ctx: ActionContext, token_id: int) -> CalendarFeedToken:
    """Revoke one of the acting user's feed tokens; its address stops working at once."""
    row = ctx.db.scalar(
        select(CalendarFeedToken).where(
            CalendarFeedToken.id == token_id, CalendarFeedToken.user_id == ctx.actor.user_id
        )
    )
    if row is None:
        raise NotFound("calendar feed", token_id)
    if row.revoked_at is None:
        with writes_allowed(ctx.db):
            row.revoked_at = ctx.now
        audit.record(ctx, action="revoke", entity_type=ENTITY, entity_id=row.id)
    return row


def record_feed_read(ctx: ActionContext, feed: CalendarFeedToken, events: int) -> None:
    """A calendar application fetched the feed: an access to client visit data, audited."""
    audit.record(
        ctx,
        action="view",
        entity_type="calendar_feed",
        entity_id=feed.id,
        detail={"events": events},
    )
