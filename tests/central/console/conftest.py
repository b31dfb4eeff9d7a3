"""The head office console against a real `central serve` on 127.0.0.1.

`console` is a manager signed in through the sign-in form, as a browser does it (the
sign-in cookie and nonce, then the session cookie), for a new pharmacy: on both databases
when the test asks for `tenant` (`tests/central/conftest.py`), on SQLite alone with
`sqlite_pharmacy`. Forms are posted with the CSRF token of the page they came from.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from html import unescape

import pytest
import requests

from central.console import staff
from central.store.db import Store
from central.store.tenants import add_device, create_tenant
from central_harness import Client, TenantAccess

PASSWORD = "a long enough password"
_logins = itertools.count(1)
_names = itertools.count(1)


class Console:
    """A browser-like client of the console: cookies, the last page's CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.page = ""

    def get(self, path: str, **kwargs) -> requests.Response:
        answer = self.session.get(self.base + path, timeout=30, **kwargs)
        self.page = answer.text
        return answer

    @property
    def csrf(self) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', self.page)
        assert found, "the page has no form with a CSRF token"
        return found.group(1)

    def post(self, path: str, data: dict, *, csrf: str | None = None, **kwargs) -> requests.Response:
        token = self.csrf if csrf is None else csrf
        answer = self.session.post(self.base + path, data={"csrf": token, **data}, timeout=30, **kwargs)
        self.page = answer.text
        return answer

    def sign_in(self, login: str = "", password: str = "", token: str = "", **kwargs) -> requests.Response:
        form = self.get("/console/sign-in").text
        nonce = re.search(r'name="nonce" value="([^"]+)"', form).group(1)
        answer = self.session.post(
            self.base + "/console/sign-in",
            data={"nonce": nonce, "next": "/console/", "login": login, "password": password, "token": token},
            timeout=30, **kwargs,
        )
        self.page = answer.text
        return answer

    def text(self) -> str:
        """The page as a person reads it: tags out, spaces squeezed."""
        return " ".join(unescape(re.sub(r"<[^>]+>", " ", self.page)).split())


@dataclass
class Pharmacy:
    access: TenantAccess
    login: str
    console: Console

    @property
    def admin(self) -> Client:
        return self.access.admin

    @property
    def device(self) -> Client:
        return self.access.device


def signed_in(access: TenantAccess) -> Pharmacy:
    login = f"manager{next(_logins)}"
    staff.add(access.store, access.tenant_id, login, "Asha Manager", PASSWORD)
    console = Console(access.server.base)
    answer = console.sign_in(login, PASSWORD)
    assert answer.status_code == 200 and answer.url.endswith("/console/"), answer.text[:500]
    return Pharmacy(access, login, console)


@pytest.fixture
def pharmacy(tenant) -> Pharmacy:
    """A manager signed in to a new pharmacy's console, on SQLite and on PostgreSQL."""
    return signed_in(tenant)


@pytest.fixture
def sqlite_pharmacy(sqlite_central) -> Pharmacy:
    """The same on the session's SQLite service only."""
    server, _store = sqlite_central
    store = Store(server.database)
    made = create_tenant(store, f"Console Pharmacy {next(_names)}", sample_config=True)
    till = add_device(store, made.tenant_id, "Counter 1")
    access = TenantAccess(
        server=server, tenant_id=made.tenant_id, device_id=till.device_id, admin=Client(server.base, made.admin_token),
        device=Client(server.base, till.token), anonymous=Client(server.base, None), store=store,
    )
    yield signed_in(access)
    store.dispose()


@pytest.fixture
def browser():
    """A new console client (not signed in) of a service: `browser(base)`."""
    return Console


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def sign_in_to():
    """`sign_in_to(access)`: a manager signed in to that pharmacy's console."""
    return signed_in
