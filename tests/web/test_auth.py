"""Tokens, roles, sessions and CSRF: nothing is reachable without a token."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from claims import DOC, build
from served import REVIEWER, VIEWER, serve
from starlette.routing import Mount, Route

from seamline.exceptions import ConfigError
from seamline.store import RunStore
from seamline.web.auth import TokenBook

OPEN = {"/login", "/static/app.css"}


def every_path(app: object) -> list[tuple[str, str]]:
    """(method, path) of every route and mount, path parameters filled in."""
    found = []
    routes = list(app.routes)  # type: ignore[attr-defined]
    while routes:
        route = routes.pop(0)
        included = getattr(route, "original_router", None)  # an included router
        if included is not None:
            routes += included.routes
            continue
        path = re.sub(r"\{[^}]+\}", "x", route.path)
        if isinstance(route, Mount):
            found += [("GET", f"{path}/app.css"), ("GET", f"{path}/app.js"), ("GET", f"{path}/nope")]
        elif isinstance(route, Route):
            found += [(m, path) for m in sorted(route.methods or ()) if m != "HEAD"]
    return found


async def test_no_page_or_endpoint_is_reachable_without_a_token(sqlite_store: RunStore) -> None:
    await build().run({"doc": DOC}, store=sqlite_store)
    async with serve(sqlite_store, [build()]) as s:
        paths = every_path(s.app)
        assert len(paths) > 25 and ("GET", "/api/openapi.json") in paths
        for token in (None, "not-a-token-at-all-xxxx"):
            async with s.client(token) as c:
                for method, path in paths:
                    if path in OPEN:
                        continue
                    answer = await c.request(method, path, follow_redirects=False)
                    if path.startswith(("/api", "/static")):
                        assert answer.status_code == 401, (method, path, answer.status_code)
                        assert answer.json()["error"] == "unauthorized"
                    else:
                        assert answer.status_code == 303, (method, path, answer.status_code)
                        assert answer.headers["location"].startswith("/login?next=")
        async with s.client(None) as c:
            login = await c.get("/login")
            assert login.status_code == 200 and 'name="token"' in login.text
            assert "seamline ui" in login.text and "ana" not in login.text  # nothing leaks
            bad = await c.get("/inbox", params={"token": "wrong-token-wrong-token"}, follow_redirects=False)
            assert bad.status_code == 303 and "wrong-token" not in bad.headers["location"]


async def test_a_token_link_opens_a_session_and_leaves_the_address(sqlite_store: RunStore) -> None:
    async with serve(sqlite_store, []) as s, s.client(None) as c:
        answer = await c.get("/runs", params={"token": REVIEWER, "status": "waiting"}, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/runs?status=waiting"
        cookie = answer.headers["set-cookie"]
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
        page = await c.get("/runs?status=waiting")
        assert page.status_code == 200 and "ana" in page.text and REVIEWER not in page.text


async def test_login_form_and_logout(sqlite_store: RunStore) -> None:
    async with serve(sqlite_store, []) as s, s.client(None) as c:
        wrong = await c.post("/login", data={"token": "nope", "next": "/runs"}, follow_redirects=False)
        assert wrong.status_code == 303 and "error=" in wrong.headers["location"]
        elsewhere = await c.post(
            "/login", data={"token": REVIEWER, "next": "//evil.example/"}, follow_redirects=False
        )
        assert elsewhere.headers["location"] == "/inbox"  # never sent off the site
        assert (await c.get("/runs")).status_code == 200
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', (await c.get("/runs")).text)
        assert csrf is not None
        out = await c.post("/logout", data={"csrf": csrf.group(1)}, follow_redirects=False)
        assert out.status_code == 303
        c.cookies.clear()
        assert (await c.get("/runs", follow_redirects=False)).status_code == 303


async def test_form_posts_by_cookie_need_the_csrf_token(sqlite_store: RunStore) -> None:
    run_id = (await build().run({"doc": DOC}, store=sqlite_store)).run_id
    (pending,) = await sqlite_store.pending_approvals()
    async with serve(sqlite_store, [build()]) as s, s.client(None) as c:
        await c.get("/inbox", params={"token": REVIEWER})
        page = (await c.get(f"/inbox/{pending.approval_id}")).text
        fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', page)
        assert fingerprint is not None
        form = {"decision": "approve", "fingerprint": fingerprint.group(1)}
        for csrf in (None, "forged"):
            data = {**form, **({"csrf": csrf} if csrf else {})}
            answer = await c.post(f"/inbox/{pending.approval_id}", data=data, follow_redirects=False)
            assert answer.status_code == 403 and "stale or was not sent by this site" in answer.text
        # The API by cookie needs the header; by bearer token it does not.
        api = await c.post(f"/api/runs/{run_id}/resume")
        assert api.status_code == 403 and "X-CSRF-Token" in api.text
    assert await sqlite_store.pending_approvals() == [pending]  # nothing was decided


async def test_a_viewer_sees_pages_without_decision_forms(sqlite_store: RunStore) -> None:
    await build().run({"doc": DOC}, store=sqlite_store)
    (pending,) = await sqlite_store.pending_approvals()
    async with serve(sqlite_store, [build()]) as s, s.client(VIEWER) as c:
        page = await c.get(f"/inbox/{pending.approval_id}")
        assert page.status_code == 200 and "deciding needs a reviewer token" in page.text
        assert 'name="decision"' not in page.text
        refused = await c.post(f"/inbox/{pending.approval_id}", data={"decision": "approve"})
        assert refused.status_code == 403 and "viewer" in refused.text


def test_token_files_are_read_with_clear_errors(tmp_path: Path) -> None:
    path = tmp_path / "tokens.txt"
    path.write_text(
        "# the team\n"
        f"{'a' * 20} reviewer Ana Ruiz\n"
        f"{'b' * 20} viewer\n"
        f"{'c' * 20}\n"
    )
    book = TokenBook.from_file(path)
    assert book.identify("a" * 20) is not None and book.identify("a" * 20).name == "Ana Ruiz"  # type: ignore[union-attr]
    assert book.identify("b" * 20).role == "viewer"  # type: ignore[union-attr]
    assert book.identify("c" * 20).role == "reviewer"  # type: ignore[union-attr]
    assert book.identify("d" * 20) is None and book.identify("") is None
    for text, message in (
        (f"{'a' * 20} admin\n", "line 1: role 'admin'"),
        ("short reviewer\n", "line 1: a token needs at least 16 characters"),
        (f"{'a' * 20}\n{'a' * 20}\n", "line 2: this token is already"),
        ("# nothing\n", "holds no token"),
    ):
        path.write_text(text)
        with pytest.raises(ConfigError, match=message):
            TokenBook.from_file(path)
    with pytest.raises(ConfigError, match="cannot read the token file"):
        TokenBook.from_file(tmp_path / "missing.txt")


def test_csrf_tokens_are_per_session() -> None:
    book, token = TokenBook.generated("ana")
    assert book.identify(token) is not None and len(token) >= 24
    assert book.csrf_ok(token, book.csrf_for(token))
    assert not book.csrf_ok(token, book.csrf_for("another-token-xxxxxxxx"))
    assert not book.csrf_ok(token, None)


async def test_pages_cannot_be_framed_and_load_nothing_from_elsewhere(sqlite_store: RunStore) -> None:
    async with serve(sqlite_store, []) as s, s.client() as c:
        for path in ("/inbox", "/api/me", "/login"):
            answer = await c.get(path)
            assert answer.headers["x-frame-options"] == "DENY"
            assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
            assert answer.headers["referrer-policy"] == "no-referrer"
        page = (await c.get("/inbox")).text
        assert "http://" not in page.replace(s.url, "") and "https://" not in page  # no CDN
