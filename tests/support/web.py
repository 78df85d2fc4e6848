"""Driving the web app in tests: a signed-in browser with its CSRF token, or an API client."""

from __future__ import annotations

import re
import warnings
from typing import Any

from fastapi import FastAPI

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from support.world import PASSWORD

BASE_URL = "https://testserver"
_LOGIN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SESSION_CSRF = re.compile(r'"X-CSRF-Token": "([^"]+)"')


class Browser:
    """A browser-like client: cookies, form posts that carry the page's CSRF token."""

    def __init__(self, app: FastAPI) -> None:
        self.http = TestClient(app, base_url=BASE_URL, follow_redirects=False)
        self.csrf: str | None = None

    def login(self, username: str, password: str = PASSWORD) -> Any:
        page = self.http.get("/login")
        token = _LOGIN_CSRF.search(page.text)
        assert token, "login form has no CSRF token"
        response = self.http.post(
            "/login",
            data={
                "username": username,
                "password": password,
                "csrf_token": token.group(1),
                "next": "/",
            },
        )
        if response.status_code == 303:
            self.refresh_csrf()
        return response

    def refresh_csrf(self) -> None:
        home = self.http.get("/")
        found = _SESSION_CSRF.search(home.text)
        self.csrf = found.group(1) if found else None

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.http.get(path, **kwargs)

    def post(
        self,
        path: str,
        data: dict[str, Any] | list[tuple[str, Any]] | None = None,
        *,
        csrf: bool = True,
        **kwargs: Any,
    ) -> Any:
        if isinstance(data, dict):
            items: list[tuple[str, Any]] = []
            for key, value in data.items():
                if isinstance(value, list):
                    items.extend((key, v) for v in value)
                elif value is not None:
                    items.append((key, value))
            data = items
        data = list(data or [])
        if csrf and self.csrf:
            data.append(("csrf_token", self.csrf))
        return self.http.post(
            path,
            headers={
                "content-type": "application/x-www-form-urlencoded",
                **kwargs.pop("headers", {}),
            },
            content=_urlencode(data),
            **kwargs,
        )

    @property
    def session_cookie(self) -> str | None:
        return self.http.cookies.get("__Host-mendwell_session")


def _urlencode(items: list[tuple[str, Any]]) -> bytes:
    from urllib.parse import urlencode

    return urlencode([(k, str(v)) for k, v in items]).encode()


def api_client(app: FastAPI, token: str | None) -> TestClient:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return TestClient(app, base_url=BASE_URL, headers=headers, follow_redirects=False)
