"""Static assets are well formed and served locally."""

from __future__ import annotations

import re

from mendwell.web.templating import STATIC_DIR


def test_stylesheet_blocks_are_balanced() -> None:
    depth = 0
    css = re.sub(r"/\*.*?\*/", "", (STATIC_DIR / "app.css").read_text(), flags=re.S)
    for number, line in enumerate(css.splitlines(), 1):
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"app.css line {number} closes a block that is not open"
    assert depth == 0, "app.css leaves a block open"


def test_stylesheet_loads_nothing_from_elsewhere() -> None:
    css = (STATIC_DIR / "app.css").read_text()
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", css)
    assert "@import" not in css


def test_vendored_htmx_is_present() -> None:
    htmx = (STATIC_DIR / "htmx.min.js").read_text()
    assert htmx.startswith("var htmx=")
    assert len(htmx) > 40_000
