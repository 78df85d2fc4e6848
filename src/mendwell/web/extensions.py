"""Where features plug into shared pages: client-page panels, dashboard panels, navigation.

A feature registers its panels and menu entries in its own route module; the client page, the
dashboard and the menu render whatever is registered, in ``order``, for users whose role allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from mendwell.actions.context import Actor
from mendwell.permissions import Permission
from mendwell.store.models import Client


@dataclass(frozen=True)
class PanelRequest:
    """What a panel's context function receives."""

    request: Request
    db: Session
    actor: Actor
    now: datetime
    client: Client | None = None


PanelContext = Callable[[PanelRequest], dict[str, Any] | None]


@dataclass(frozen=True)
class Panel:
    """A section of a shared page. A context of None hides the panel this time."""

    id: str
    title: str
    template: str
    permission: Permission
    context: PanelContext
    order: int = 100


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    permission: Permission | None
    order: int = 100


CLIENT_PANELS: dict[str, Panel] = {}
DASHBOARD_PANELS: dict[str, Panel] = {}
NAV_ITEMS: dict[str, NavItem] = {}


def client_panel(panel: Panel) -> Panel:
    """Show ``panel`` on the client page to users holding its permission at the client's site."""
    CLIENT_PANELS[panel.id] = panel
    return panel


def dashboard_panel(panel: Panel) -> Panel:
    """Show ``panel`` on the dashboard to users holding its permission at any site."""
    DASHBOARD_PANELS[panel.id] = panel
    return panel


def nav_item(item: NavItem) -> NavItem:
    NAV_ITEMS[item.path] = item
    return item


def _ordered(panels: dict[str, Panel]) -> list[Panel]:
    return sorted(panels.values(), key=lambda p: (p.order, p.id))


def client_panels(req: PanelRequest) -> list[tuple[Panel, dict[str, Any]]]:
    assert req.client is not None
    out = []
    for panel in _ordered(CLIENT_PANELS):
        if req.actor.can(panel.permission, req.client.site_id):
            context = panel.context(req)
            if context is not None:
                out.append((panel, context))
    return out


def dashboard_panels(req: PanelRequest) -> list[tuple[Panel, dict[str, Any]]]:
    out = []
    for panel in _ordered(DASHBOARD_PANELS):
        if req.actor.can_anywhere(panel.permission):
            context = panel.context(req)
            if context is not None:
                out.append((panel, context))
    return out


def nav_items(actor: Actor | None) -> list[NavItem]:
    if actor is None:
        return []
    items = sorted(NAV_ITEMS.values(), key=lambda i: (i.order, i.label))
    return [i for i in items if i.permission is None or actor.can_anywhere(i.permission)]


nav_item(NavItem("Dashboard", "/", None, order=0))
nav_item(NavItem("Clients", "/clients", Permission.CLIENT_LIST, order=10))
nav_item(NavItem("Users", "/admin/users", Permission.USER_MANAGE, order=900))
nav_item(NavItem("Sites", "/admin/sites", Permission.SITE_MANAGE, order=910))
nav_item(NavItem("Audit log", "/admin/audit", Permission.AUDIT_VIEW, order=920))
