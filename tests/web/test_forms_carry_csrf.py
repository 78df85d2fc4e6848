"""Every state-changing form a page renders carries the session's anti-forgery token."""

from __future__ import annotations

import re

from support.web import Browser

FORM = re.compile(r'<form[^>]*method="post"[^>]*>(.*?)</form>', re.S)


def test_every_post_form_has_the_session_csrf_token(app, world) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    browser.login("admin")
    assert browser.csrf
    pages = [
        "/",
        "/clients/new",
        f"/clients/{world.clients['alice']}",
        f"/clients/{world.clients['alice']}/edit",
        "/admin/users/new",
        f"/admin/users/{world.users['bob']}",
        "/admin/sites/new",
        f"/admin/sites/{world.sites['A']}/edit",
        "/account",
    ]
    checked = 0
    for path in pages:
        html = browser.get(path).text
        for form in FORM.findall(html):
            assert f'name="csrf_token" value="{browser.csrf}"' in form, path
            checked += 1
    assert checked >= 12
