"""The signed-in user's start page: their caseload."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mendwell.clinical.registry import ClientStatus
from mendwell.permissions import Permission
from mendwell.queries.clients import client_view
from mendwell.queries.scope import client_visibility
from mendwell.store.models import Client, ClientAssignment, Site
from mendwell.web.access import Db, SignedIn, action_context
from mendwell.web.extensions import PanelRequest, dashboard_panels
from mendwell.web.templating import render

router = APIRouter(include_in_schema=False)

ACTIVE_STATUSES = (
    ClientStatus.SCREENING,
    ClientStatus.ELIGIBLE,
    ClientStatus.ENROLLED,
    ClientStatus.IN_TREATMENT,
    ClientStatus.FOLLOW_UP,
)


@router.get("/")
def dashboard(request: Request, db: Db, principal: SignedIn) -> Response:
    actor = principal.actor
    now = action_context(request, db, principal).now
    today = now.date()
    mine = db.scalars(
        select(Client)
        .where(
            client_visibility(db, actor),
            Client.assignments.any(ClientAssignment.user_id == actor.user_id),
        )
        .options(selectinload(Client.assignments))
        .order_by(Client.status_changed_at.desc())
    ).all()
    counts: dict[int, Counter[str]] = {}
    for site_id, status in db.execute(
        select(Client.site_id, Client.status).where(client_visibility(db, actor))
    ):
        counts.setdefault(site_id, Counter())[status] += 1
    sites = {s.id: s for s in db.scalars(select(Site).where(Site.id.in_(list(counts) or [0])))}
    caseload = [
        (c, client_view(c, actor, today))
        for c in mine
        if c.status in ACTIVE_STATUSES or c.status == ClientStatus.REFERRED
    ]
    panels = dashboard_panels(PanelRequest(request, db, actor, now))
    return render(
        request,
        "dashboard.html",
        {
            "panels": panels,
            "caseload": caseload,
            "site_counts": [
                (sites[s], counts[s]) for s in sorted(counts, key=lambda i: sites[i].name)
            ],
            "statuses": list(ClientStatus),
            "may_list": actor.can_anywhere(Permission.CLIENT_LIST),
        },
    )
