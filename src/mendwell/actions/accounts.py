"""Organisation, sites, users and their roles."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mendwell.actions import audit
from mendwell.actions.auth import end_sessions
from mendwell.actions.clients import changes_since
from mendwell.actions.context import ActionContext, writes_allowed
from mendwell.actions.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from mendwell.permissions import Permission, Role
from mendwell.schemas.accounts import SiteCreate, SiteUpdate, UserCreate
from mendwell.security.passwords import hash_password, password_problem
from mendwell.settings import Settings
from mendwell.store.models import (
    AuthenticatorSecret,
    Organisation,
    RecoveryCode,
    RoleAssignment,
    Site,
    User,
)

SITE_FIELDS = ("name", "code", "timezone", "jurisdiction", "facilitators_see_assigned_only")


def create_organisation(ctx: ActionContext, name: str) -> Organisation:
    with writes_allowed(ctx.db):
        org = Organisation(name=name, created_at=ctx.now)
        ctx.db.add(org)
        ctx.db.flush()
    audit.record(
        ctx,
        action="create",
        entity_type="organisation",
        entity_id=org.id,
        changes={"name": [None, name]},
    )
    return org


def _site_state(site: Site) -> dict[str, Any]:
    return {name: getattr(site, name) for name in (*SITE_FIELDS, "is_active")}


def create_site(ctx: ActionContext, organisation_id: int, data: SiteCreate) -> Site:
    if not ctx.actor.system:
        ctx.require_anywhere(Permission.SITE_MANAGE)
    taken = ctx.db.scalar(
        select(Site.id).where(Site.organisation_id == organisation_id, Site.code == data.code)
    )
    if taken is not None:
        raise InvalidInput.single("code", f"another site already uses the code {data.code}")
    with writes_allowed(ctx.db):
        site = Site(organisation_id=organisation_id, created_at=ctx.now, **data.model_dump())
        ctx.db.add(site)
        ctx.db.flush()
        if ctx.actor.user_id is not None:
            # Whoever creates a site administers it.
            ctx.db.add(
                RoleAssignment(
                    user_id=ctx.actor.user_id, site_id=site.id, role=Role.ADMIN, granted_at=ctx.now
                )
            )
    audit.record(
        ctx,
        action="create",
        entity_type="site",
        entity_id=site.id,
        site_id=site.id,
        changes=audit.diff(None, _site_state(site)),
    )
    return site


def update_site(ctx: ActionContext, site_id: int, data: SiteUpdate) -> Site:
    site = ctx.db.get(Site, site_id)
    if site is None or not ctx.actor.can(Permission.SITE_MANAGE, site_id):
        raise NotFound("site", site_id)
    if data.version != site.version:
        raise Conflict(
            "site",
            site_id,
            expected_version=data.version,
            current_version=site.version,
            changed_since=changes_since(ctx, "site", site_id, data.version),
            current=audit.jsonable(_site_state(site)),
        )
    clash = ctx.db.scalar(
        select(Site.id).where(
            Site.organisation_id == site.organisation_id, Site.code == data.code, Site.id != site_id
        )
    )
    if clash is not None:
        raise InvalidInput.single("code", f"another site already uses the code {data.code}")
    before, old_version = _site_state(site), site.version
    values = data.model_dump(exclude={"version"})
    if before == values:
        return site
    with writes_allowed(ctx.db):
        for name, value in values.items():
            setattr(site, name, value)
        ctx.db.flush()
    changes = audit.diff(before, _site_state(site))
    changes["version"] = [old_version, site.version]
    audit.record(
        ctx,
        action="update",
        entity_type="site",
        entity_id=site.id,
        site_id=site.id,
        changes=changes,
    )
    return site


def _check_password(settings: Settings, password: str, personal: list[str | None]) -> None:
    problem = password_problem(
        password, min_length=settings.password_min_length, personal=[p for p in personal if p]
    )
    if problem:
        raise InvalidInput.single("password", problem)


def _require_manage(ctx: ActionContext, site_ids: set[int]) -> None:
    if ctx.actor.system:
        return
    for site_id in sorted(site_ids):
        ctx.require(Permission.USER_MANAGE, site_id)


def create_user(
    ctx: ActionContext, settings: Settings, organisation_id: int, data: UserCreate
) -> User:
    if not ctx.actor.system:
        ctx.require_anywhere(Permission.USER_MANAGE)
    _require_manage(ctx, set(data.roles))
    if ctx.db.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise InvalidInput.single("username", "is already taken")
    _check_password(settings, data.password, [data.username, data.full_name, data.email])
    sites = {s.id for s in ctx.db.scalars(select(Site).where(Site.id.in_(list(data.roles))))}
    unknown = set(data.roles) - sites
    if unknown:
        raise InvalidInput.single("roles", f"unknown site(s): {sorted(unknown)}")
    with writes_allowed(ctx.db):
        user = User(
            organisation_id=organisation_id,
            username=data.username,
            full_name=data.full_name,
            email=data.email,
            password_hash=hash_password(data.password),
            is_active=True,
            created_at=ctx.now,
            password_changed_at=ctx.now,
        )
        ctx.db.add(user)
        ctx.db.flush()
        for site_id, role in data.roles.items():
            ctx.db.add(
                RoleAssignment(user_id=user.id, site_id=site_id, role=role, granted_at=ctx.now)
            )
        ctx.db.flush()
        ctx.db.refresh(user)
    audit.record(
        ctx,
        action="create",
        entity_type="user",
        entity_id=user.id,
        changes=audit.diff(
            None,
            {
                "username": user.username,
                "full_name": user.full_name,
                "email": user.email,
                "roles": {str(k): v for k, v in data.roles.items()},
            },
        ),
    )
    return user


def visible_user(ctx: ActionContext, user_id: int) -> User:
    """A user the acting admin may manage: one with a role at a site they manage, or none yet."""
    user = ctx.db.get(User, user_id)
    if user is None:
        raise NotFound("user", user_id)
    if ctx.actor.system:
        return user
    managed = ctx.actor.sites_with(Permission.USER_MANAGE)
    if not managed:
        raise PermissionDenied(str(Permission.USER_MANAGE))
    user_sites = {r.site_id for r in user.roles}
    if user_sites and not (user_sites & managed) and user.id != ctx.actor.user_id:
        raise NotFound("user", user_id)
    return user


def _other_active_admins(db: Session, user_id: int) -> int:
    return len(
        set(
            db.scalars(
                select(RoleAssignment.user_id)
                .join(User)
                .where(RoleAssignment.role == Role.ADMIN, User.is_active, User.id != user_id)
            )
        )
    )


def set_role(ctx: ActionContext, user_id: int, site_id: int, role: Role | None) -> User:
    user = visible_user(ctx, user_id)
    _require_manage(ctx, {site_id})
    if ctx.db.get(Site, site_id) is None:
        raise InvalidInput.single("site_id", "is not a site")
    current = next((r for r in user.roles if r.site_id == site_id), None)
    old = current.role if current else None
    if old == role:
        return user
    if old == Role.ADMIN and role != Role.ADMIN:
        still_admin = any(r.role == Role.ADMIN for r in user.roles if r.site_id != site_id)
        if not still_admin and _other_active_admins(ctx.db, user.id) == 0:
            raise InvalidInput.single("role", "this would leave the organisation with no admin")
    with writes_allowed(ctx.db):
        if current and role is None:
            user.roles.remove(current)
        elif current:
            current.role = role  # type: ignore[assignment]
            current.granted_at = ctx.now
        else:
            user.roles.append(RoleAssignment(site_id=site_id, role=role, granted_at=ctx.now))
        ctx.db.flush()
    audit.record(
        ctx,
        action="role_change",
        entity_type="user",
        entity_id=user.id,
        site_id=site_id,
        changes={f"role@site{site_id}": [old, role]},
    )
    return user


def set_active(ctx: ActionContext, user_id: int, active: bool, reason: str | None = None) -> User:
    """Disable (ending every session at once) or re-enable an account."""
    user = visible_user(ctx, user_id)
    _require_manage(ctx, {r.site_id for r in user.roles})
    if not active and user.id == ctx.actor.user_id:
        raise InvalidInput.single("user_id", "you cannot disable your own account")
    is_admin = any(r.role == Role.ADMIN for r in user.roles)
    if not active and is_admin and _other_active_admins(ctx.db, user.id) == 0:
        raise InvalidInput.single("user_id", "this would leave the organisation with no admin")
    if user.is_active == active:
        return user
    with writes_allowed(ctx.db):
        user.is_active = active
        user.disabled_at = None if active else ctx.now
        ctx.db.flush()
    ended = 0 if active else end_sessions(ctx.db, user.id, ctx.now, "account_disabled")
    audit.record(
        ctx,
        action="enable" if active else "disable",
        entity_type="user",
        entity_id=user.id,
        changes={"is_active": [not active, active]},
        reason=reason,
        detail={"sessions_ended": ended} if ended else None,
    )
    return user


def set_password(
    ctx: ActionContext,
    settings: Settings,
    user_id: int,
    password: str,
    *,
    keep_session_id: int | None = None,
) -> User:
    """Set a new password; every other session of the user ends."""
    user = ctx.db.get(User, user_id) if user_id == ctx.actor.user_id else visible_user(ctx, user_id)
    if user is None:
        raise NotFound("user", user_id)
    if user.id != ctx.actor.user_id:
        _require_manage(ctx, {r.site_id for r in user.roles})
    _check_password(settings, password, [user.username, user.full_name, user.email])
    with writes_allowed(ctx.db):
        user.password_hash = hash_password(password)
        user.password_changed_at = ctx.now
        ctx.db.flush()
    from mendwell.store.models import UserSession

    others = ctx.db.scalars(
        select(UserSession).where(
            UserSession.user_id == user.id,
            UserSession.ended_at.is_(None),
            UserSession.id != (keep_session_id or 0),
        )
    ).all()
    with writes_allowed(ctx.db):
        for s in others:
            s.ended_at, s.end_reason = ctx.now, "password_changed"
    audit.record(
        ctx,
        action="password_change",
        entity_type="user",
        entity_id=user.id,
        detail={"sessions_ended": len(others)},
    )
    return user


def reset_two_factor(ctx: ActionContext, user_id: int, reason: str | None = None) -> User:
    """Remove a user's authenticator and recovery codes (a lost phone); their sessions end.

    With two-factor sign-in required, the user sets up a new authenticator at the next sign-in.
    """
    user = visible_user(ctx, user_id)
    _require_manage(ctx, {r.site_id for r in user.roles})
    with writes_allowed(ctx.db):
        ctx.db.execute(delete(AuthenticatorSecret).where(AuthenticatorSecret.user_id == user.id))
        ctx.db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    ended = end_sessions(ctx.db, user.id, ctx.now, "two_factor_reset")
    audit.record(
        ctx,
        action="two_factor_reset",
        entity_type="user",
        entity_id=user.id,
        reason=reason,
        detail={"sessions_ended": ended} if ended else None,
    )
    return user
