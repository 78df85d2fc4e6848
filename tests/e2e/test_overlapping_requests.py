"""Overlapping requests of one session must not freeze the server.

The screening form's live findings panel sends a request while the previous one may still be
running. A request holds its session's row (PostgreSQL) or the write lock (SQLite) from the
moment it is authenticated; waiting for that lock must happen off the event loop, or the first
request can never finish reading its body and the server stalls.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from urllib.parse import urlencode, urlsplit

import httpx

from support.world import PASSWORD


def _sign_in(base: str) -> tuple[str, str]:
    """A session cookie and its CSRF token (read by hand: httpx keeps Secure cookies to https)."""
    with httpx.Client(base_url=base, follow_redirects=False) as http:
        page = http.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        login_cookie = page.headers["set-cookie"].split(";")[0]
        done = http.post(
            "/login",
            data={
                "username": "mara",
                "password": PASSWORD,
                "csrf_token": token.group(1),
                "next": "/",
            },
            headers={"cookie": login_cookie},
        )
        assert done.status_code == 303
        session = next(
            c.split(";")[0] for c in done.headers.get_list("set-cookie") if "mendwell_session" in c
        )
        home = http.get("/", headers={"cookie": session})
        csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', home.text)
        assert csrf
        return session, csrf.group(1)


def test_a_request_waiting_for_a_lock_does_not_stall_the_one_holding_it(live_server) -> None:  # type: ignore[no-untyped-def]
    cookie, csrf = _sign_in(live_server)
    url = urlsplit(live_server)
    body = urlencode({"substance": "mdma", "medical_history.hypertension": "yes"}).encode()
    first = socket.create_connection((url.hostname, url.port), timeout=8)
    first.sendall(
        b"POST /screening/findings HTTP/1.1\r\n"
        + f"Host: {url.netloc}\r\nCookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\n".encode()
        + b"Content-Type: application/x-www-form-urlencoded\r\n"
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body[:10]
    )
    time.sleep(0.3)  # the first request is authenticated and waits for the rest of its body
    second: dict[str, int] = {}

    def fetch() -> None:
        with httpx.Client(base_url=live_server, timeout=8) as http:
            response = http.get("/screening/medications?q=parox", headers={"cookie": cookie})
            second["status"] = response.status_code

    waiting = threading.Thread(target=fetch)
    started = time.monotonic()
    waiting.start()
    time.sleep(0.3)
    first.sendall(body[10:])
    answer = b""
    while chunk := first.recv(65536):
        answer += chunk
    first.close()
    waiting.join(timeout=8)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert b"mdma.controlled_hypertension" in answer or b"Answer not recorded" in answer
    assert second.get("status") == 200
    assert time.monotonic() - started < 4
