"""Signing in to the console, its sessions, CSRF, and one pharmacy never seeing another's."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from central.console import sessions
from central.store.models import ConsoleSession, PointTransaction
from central_data import issue
from central_harness import body

SCRIPT = Path(sys.executable).with_name("pos-loyalty")


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], input=stdin, capture_output=True, text=True, timeout=120)


def test_a_staff_account_made_from_the_command_line_signs_in_with_a_strict_httponly_cookie(sqlite_pharmacy, browser, password):
    access = sqlite_pharmacy.access
    db, tenant = access.server.database, str(access.tenant_id)
    made = run("central", "staff", "add", "--db", db, "--tenant", tenant, "--login", "Bina.Office",
               "--name", "Bina Office", "--password-stdin", "--json", stdin="correct horse battery\n")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["login"] == "bina.office"
    listed = run("central", "staff", "list", "--db", db, "--tenant", tenant)
    assert "bina.office" in listed.stdout and "Bina Office" in listed.stdout
    short = run("central", "staff", "add", "--db", db, "--tenant", tenant, "--login", "c", "--name", "C",
                "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "login" in short.stderr.lower()

    browser = browser(access.server.base)
    answer = browser.sign_in("bina.office", "correct horse battery", allow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{sessions.COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/console" in cookie and "Secure" not in cookie  # plain HTTP here
    assert "Bina Office" in browser.get("/console/").text

    # Removing the account ends its session at once.
    assert run("central", "staff", "remove", "--db", db, "--tenant", tenant, "--login", "bina.office").returncode == 0
    assert browser.get("/console/").url.endswith("/console/sign-in?next=/console/")


def test_over_tls_the_cookie_is_secure(sqlite_pharmacy, browser, password):
    """Behind a TLS proxy on the same machine (uvicorn believes X-Forwarded-Proto from 127.0.0.1)."""
    browser = browser(sqlite_pharmacy.access.server.base)
    answer = browser.sign_in(sqlite_pharmacy.login, password, allow_redirects=False,
                             headers={"X-Forwarded-Proto": "https"})
    assert answer.status_code == 303 and "Secure" in answer.headers["set-cookie"]


def test_a_wrong_password_is_said_plainly_and_repeated_failures_are_held_off(sqlite_pharmacy, browser, password):
    browser = browser(sqlite_pharmacy.access.server.base)
    wrong = browser.sign_in(sqlite_pharmacy.login, "not the password")
    assert wrong.status_code == 401 and sessions.COOKIE not in browser.session.cookies
    assert "That login and password (or admin token) is not right" in browser.text()
    for _ in range(4):
        browser.sign_in(sqlite_pharmacy.login, "not the password")
    held = browser.sign_in(sqlite_pharmacy.login, password)  # even the right one, for a while
    assert held.status_code == 429 and "Too many failed sign-ins" in browser.text()


def test_the_admin_token_signs_in_and_a_tills_token_does_not(sqlite_pharmacy, browser, password):
    access = sqlite_pharmacy.access
    admin_token = access.admin.session.headers["Authorization"].split()[1]
    till_token = access.device.session.headers["Authorization"].split()[1]
    browser = browser(access.server.base)
    assert browser.sign_in(token=till_token).status_code == 401
    assert browser.sign_in(token=admin_token).status_code == 200
    assert "Admin token" in browser.text() and "Dashboard" in browser.text()


def test_a_form_without_its_csrf_token_or_from_another_site_changes_nothing(pharmacy):
    card = issue(pharmacy.access, "CSRF001", balance="100")
    console = pharmacy.console
    console.get(f"/console/cards/{card.id}")
    token = console.csrf
    forged = console.post(f"/console/cards/{card.id}/adjust", {"points": "500", "reason": "forged"}, csrf="")
    assert forged.status_code == 403 and "This form has expired" in console.text()
    elsewhere = console.post(f"/console/cards/{card.id}/adjust", {"points": "500", "reason": "forged"}, csrf=token,
                             headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 403
    assert body(pharmacy.admin.get(f"/api/v1/cards/{card.id}"))["pointsBalance"] == 100
    rows = pharmacy.access.store.run(
        lambda unit: unit.connection.execute(select(PointTransaction.id).where(PointTransaction.card_id == card.id)).all(),
        write=False,
    )
    assert len(rows) == 1  # the opening balance only


def test_another_pharmacys_cards_are_never_found_or_shown(pharmacy, browser, password):
    """Two pharmacies on one service: the console of the first never finds or opens the second's."""
    from central.console import staff
    from central.store.tenants import create_tenant

    store = pharmacy.access.store
    other = create_tenant(store, "The pharmacy across the road").tenant_id
    theirs = issue(pharmacy.access, "THEIRS01", balance="50", tenant_id=other)
    console = pharmacy.console
    console.get("/console/cards", params={"q": "THEIRS01"})
    assert "No card matches" in console.text()
    assert console.get(f"/console/cards/{theirs.id}").status_code == 404
    assert "THEIRS01" not in console.page
    assert "THEIRS01" not in console.get("/console/exports/cards.csv").text
    staff.add(store, other, f"across{other}", "Across Manager", password)
    across = browser(pharmacy.access.server.base)
    across.sign_in(f"across{other}", password)
    assert "THEIRS01" in across.get("/console/exports/cards.csv").text


def test_a_session_ends_after_its_idle_time_and_at_sign_out(sqlite_pharmacy, browser, password):
    console, store = sqlite_pharmacy.console, sqlite_pharmacy.access.store
    assert console.get("/console/").status_code == 200

    def age(unit):
        unit.connection.execute(
            update(ConsoleSession).where(ConsoleSession.tenant_id == sqlite_pharmacy.access.tenant_id)
            .values(last_seen_at=unit.now - sessions.IDLE - timedelta(seconds=1))
        )

    store.run(age, write=True)
    assert console.get("/console/cards").url.endswith("/console/sign-in?next=/console/cards")

    again = browser(console.base)
    again.sign_in(sqlite_pharmacy.login, password)
    cookie = again.session.cookies[sessions.COOKIE]
    again.post("/console/sign-out", {})
    assert again.page and "Sign in" in again.text()
    stale = browser(console.base)
    stale.session.cookies.set(sessions.COOKIE, cookie, path="/console")
    assert stale.get("/console/").url.endswith("/console/sign-in?next=/console/")
