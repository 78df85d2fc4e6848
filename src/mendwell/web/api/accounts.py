"""Users, sites and the caller's own identity over JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request
from sqlalchemy import select

from mendwell.actions import accounts
from mendwell.permissions import Permission, Role
from mendwell.schemas.accounts import (
    RoleChange,
    RoleOut,
    SiteCreate,
    SiteOut,
    SiteUpdate,
    UserCreate,
    UserOut,
)
from mendwell.schemas.common import parse
from mendwell.store.models import RoleAssignment, Site, User
from mendwell.web.access import Db, Principal, SignedIn, action_context, requires

router = APIRouter(prefix="/api/v1", tags=["users and sites"])

UserAdmin = Annotated[Principal, requires(Permission.USER_MANAGE)]
SiteAdmin = Annotated[Principal, requires(Permission.SITE_MANAGE)]


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        email=user.email,
        is_active=user.is_active,
        last_login_at=user.last_login_at,
        roles=[RoleOut(site_id=r.site_id, role=Role(r.role)) for r in user.roles],
    )


@router.get("/me", response_model=UserOut)
def me(principal: SignedIn) -> UserOut:
    """Who you are and your role at each site."""
    return user_out(principal.user)


@router.get("/users", response_model=list[UserOut])
def list_users(db: Db, principal: UserAdmin) -> list[UserOut]:
    """Users holding a role at a site you administer."""
    sites = principal.actor.sites_with(Permission.USER_MANAGE)
    ids = select(RoleAssignment.user_id).where(RoleAssignment.site_id.in_(sites))
    return [
        user_out(u)
        for u in db.scalars(select(User).where(User.id.in_(ids)).order_by(User.username))
    ]


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(
    request: Request,
    db: Db,
    principal: UserAdmin,
    payload: Annotated[
        dict,
        Body(
            examples=[
                {  # type: ignore[type-arg]
                    "username": "jdoe",
                    "full_name": "J. Doe",
                    "password": "a long passphrase",
                    "roles": {"1": "facilitator"},
                }
            ]
        ),
    ],
) -> UserOut:
    ctx = action_context(request, db, principal)
    return user_out(
        accounts.create_user(
            ctx,
            request.app.state.settings,
            principal.info.organisation_id,
            parse(UserCreate, payload),
        )
    )


@router.put("/users/{user_id}/role", response_model=UserOut)
def set_role(
    request: Request, db: Db, principal: UserAdmin, user_id: int, payload: Annotated[dict, Body()]
) -> UserOut:  # type: ignore[type-arg]
    """Give the user a role at a site, change it, or remove it (`role: null`)."""
    data = parse(RoleChange, payload)
    ctx = action_context(request, db, principal)
    return user_out(accounts.set_role(ctx, user_id, data.site_id, data.role))


@router.post("/users/{user_id}/disable", response_model=UserOut)
def disable_user(request: Request, db: Db, principal: UserAdmin, user_id: int) -> UserOut:
    """Disable the account; its sessions end at once and its API tokens stop working."""
    return user_out(accounts.set_active(action_context(request, db, principal), user_id, False))


@router.post("/users/{user_id}/enable", response_model=UserOut)
def enable_user(request: Request, db: Db, principal: UserAdmin, user_id: int) -> UserOut:
    return user_out(accounts.set_active(action_context(request, db, principal), user_id, True))


def site_out(site: Site) -> SiteOut:
    return SiteOut.model_validate(site, from_attributes=True)


@router.get("/sites", response_model=list[SiteOut])
def list_sites(db: Db, principal: SignedIn) -> list[SiteOut]:
    """The sites where you hold a role."""
    ids = list(principal.actor.roles_by_site)
    return [
        site_out(s) for s in db.scalars(select(Site).where(Site.id.in_(ids)).order_by(Site.name))
    ]


@router.post("/sites", response_model=SiteOut, status_code=201)
def create_site(
    request: Request, db: Db, principal: SiteAdmin, payload: Annotated[dict, Body()]
) -> SiteOut:  # type: ignore[type-arg]
    ctx = action_context(request, db, principal)
    return site_out(
        accounts.create_site(ctx, principal.info.organisation_id, parse(SiteCreate, payload))
    )


@router.put("/sites/{site_id}", response_model=SiteOut)
def update_site(
    request: Request, db: Db, principal: SiteAdmin, site_id: int, payload: Annotated[dict, Body()]
) -> SiteOut:  # type: ignore[type-arg]
    """Update a site's settings; send the version you edited (409 if stale)."""
    ctx = action_context(request, db, principal)
    return site_out(accounts.update_site(ctx, site_id, parse(SiteUpdate, payload)))
