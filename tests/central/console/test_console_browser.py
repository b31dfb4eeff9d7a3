"""The console in a real browser: Debian's Chromium, headless, driven by Selenium.

One walk through issue 17's 'done': sign in with the keyboard, find a customer by phone,
read why the balance is what it is, fix it with a note, resolve a flag, and watch the
day's chart change after a bill. Screenshots at 1366x768 and at a tablet's 820x1180 are
taken on the way; with `POS_LOYALTY_CONSOLE_SCREENSHOTS=DIR` they are kept in DIR (the
docs' are made so: `docs/screenshots/console-*.png`).
"""

from __future__ import annotations

import base64
import os
import shutil
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from central.store import cards
from central.store.cards import NewCard, insert_card
from central.store.db import bulk_insert
from central.store.ledger import Postings
from central.store.models import Bill
from central_data import EARN
from central_harness import body, till_batch
from pos_loyalty.rules.config import SAMPLE_CONFIG_JSON
from pos_loyalty.rules.ledger import BILL, EARNED, REDEEMED, REFERRAL, REFERRAL_EARNED
from pos_loyalty.rules.postings import Posting, adjustment_posting
from pos_loyalty.services import cards as till_cards
from pos_loyalty.services import open_replica

LAPTOP, TABLET = (1366, 768), (820, 1180)
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def chrome():
    if shutil.which("chromium") is None or not Path(CHROMEDRIVER).exists():
        pytest.fail("Chromium is not installed: scripts/system-packages.txt lists chromium and chromium-driver", pytrace=False)
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=en-GB",
                     "--force-device-scale-factor=1", "--hide-scrollbars"):
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_window_size(*LAPTOP)
    yield driver
    driver.quit()


def shoot(driver, folder: Path, name: str, size: tuple[int, int]) -> Path:
    """The whole page as a PNG, laid out at `size` (width x the viewport's height)."""
    driver.set_window_size(*size)
    height = max(size[1], driver.execute_script("return document.documentElement.scrollHeight"))
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": size[0], "height": height, "deviceScaleFactor": 1, "mobile": False}
    )
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    path = folder / f"console-{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    keep = os.environ.get("POS_LOYALTY_CONSOLE_SCREENSHOTS")
    if keep:
        shutil.copy(path, Path(keep) / path.name)
    return path


def two_weeks_of_bills(access) -> None:
    """Customers and bills on the past 13 days at two tills, as a pharmacy's history."""
    second = access.new_device("Counter 2")
    till_ids = [access.device_id, body(second.get("/api/v1/sync/pull"))["device"]["id"]]

    def work(unit):
        names = ("Anita Desai", "Rahul Verma", "Sunita Nair", "Imran Khan", "Priya Menon", "Vikram Rao")
        made = [insert_card(unit, NewCard(name, f"98111{index:05d}"), referrer=None) for index, name in enumerate(names)]
        referred = insert_card(unit, NewCard("Kavya Desai", "9811100099"), referrer=made[0])
        postings, bills = Postings(unit), []
        for day in range(13, 0, -1):
            when = unit.now - timedelta(days=day, hours=2)
            for index, card in enumerate([*made[: 2 + (day * 7) % 5], referred]):
                till = till_ids[(day + index) % 2]
                bill_id = f"H{day:02d}-{index}"
                earned = 1500 + 97 * ((day * 13 + index * 7) % 40)
                postings.post(Posting(card, EARNED, earned, BILL, bill_id, category_id=2, category_name="General",
                                      point_percentage=300), performed_by="device:history", device_id=till, created_at=when)
                if card is referred:
                    postings.post(Posting(made[0], REFERRAL_EARNED, earned // 6, REFERRAL, bill_id, referred_card=card,
                                          referred_bill_id=bill_id), performed_by="device:history", device_id=till,
                                  created_at=when)
                if card.points_balance > 15_000 and (day + index) % 3 == 0:
                    postings.post(Posting(card, REDEEMED, -10_000, BILL, bill_id), performed_by="device:history",
                                  device_id=till, created_at=when)
                bills.append({"tenant_id": unit.tenant, "bill_id": bill_id, "card_id": card.id, "device_id": till,
                              "status": "FINALIZED", "config_version": 1, "payable": earned * 33, "created_at": when})
        postings.flush()
        bulk_insert(unit, Bill.__table__, bills)

    access.store.run(work, write=True, tenant_id=access.tenant_id)


def test_a_manager_finds_fixes_resolves_and_sees_the_days_figures_in_chromium(chrome, sqlite_pharmacy, password, tmp_path):
    access, base = sqlite_pharmacy.access, sqlite_pharmacy.access.server.base
    ladder = [{"name": "Silver", "minLifetimePoints": 0}, {"name": "Gold", "minLifetimePoints": 300},
              {"name": "Platinum", "minLifetimePoints": 600, "earnMultiplier": D("1.5")}]
    configured = {**SAMPLE_CONFIG_JSON, "tiers": ladder, "pointsExpiryDays": 75, "timeZone": "Asia/Kolkata"}
    assert access.admin.put("/api/v1/card-config", configured).status_code == 200
    two_weeks_of_bills(access)
    meena = body(access.admin.post("/api/v1/cards", {"customerName": "Meena Rao", "customerPhone": "9845012345",
                                                      "cardNumber": "CARD001"}))
    access.store.run(
        lambda unit: _opening(unit, meena["id"]), write=True, tenant_id=access.tenant_id
    )
    assert access.device.post(EARN, {"cardNumber": "CARD001", "billId": "B-1", "billAmount": 1000, "items": [
        {"categoryId": 1, "amount": 500}, {"categoryId": 2, "amount": 500}]}).status_code == 200
    first, second = open_replica(tmp_path / "one"), open_replica(tmp_path / "two")
    till_cards.issue(first, name="Kiran Shah", phone="9000000400")
    till_cards.issue(second, name="Kiran Shah", phone="9000000400")
    access.device.post("/api/v1/sync/push", till_batch(first))
    access.new_device("Counter 3").post("/api/v1/sync/push", till_batch(second))
    first.close(), second.close()

    # Sign in with the keyboard alone: the login field has the focus.
    chrome.delete_all_cookies()
    chrome.get(base + "/console/")
    assert chrome.current_url.endswith("/console/sign-in?next=/console/")
    shoot(chrome, tmp_path, "sign-in", LAPTOP)
    chrome.switch_to.active_element.send_keys(sqlite_pharmacy.login, Keys.TAB, password, Keys.ENTER)
    heading(chrome, "Dashboard")
    issued_today = _today(chrome, "issued")
    bills = int(chrome.find_element(By.ID, "bills").text)
    assert issued_today == D("20.00")
    shoot(chrome, tmp_path, "dashboard", LAPTOP)
    shoot(chrome, tmp_path, "dashboard-tablet", TABLET)

    # Find the customer by phone, as typed over the counter.
    chrome.find_element(By.LINK_TEXT, "Cards").click()
    heading(chrome, "Cards")
    chrome.find_element(By.ID, "q").send_keys("98450 12345", Keys.ENTER)
    heading(chrome, "Meena Rao")
    history = chrome.find_element(By.CLASS_NAME, "history").text
    assert "Earned 15.00 points on General at 3.00 %, bill B-1" in history
    assert "Adjusted by +100.00 points: opening balance" in history
    assert chrome.find_element(By.ID, "balance").text == "120.00"

    chrome.find_element(By.ID, "points").send_keys("-20")
    chrome.find_element(By.ID, "reason").send_keys("Points given twice for bill B-1", Keys.ENTER)
    WebDriverWait(chrome, 10).until(lambda d: d.find_elements(By.CLASS_NAME, "notice"))
    assert "The adjustment is recorded." in chrome.find_element(By.CLASS_NAME, "notice").text
    assert chrome.find_element(By.ID, "balance").text == "100.00"
    assert f"Adjusted by -20.00 points: Points given twice for bill B-1 (by staff:{sqlite_pharmacy.login})" in (
        chrome.find_element(By.CLASS_NAME, "history").text
    )
    shoot(chrome, tmp_path, "card", LAPTOP)
    shoot(chrome, tmp_path, "card-tablet", TABLET)

    # The duplicate customer: resolved with an action and a note.
    chrome.find_element(By.LINK_TEXT, "Flags").click()
    heading(chrome, "Flags")
    shoot(chrome, tmp_path, "flags", LAPTOP)
    flag = chrome.find_element(By.CLASS_NAME, "flag")
    flag.find_element(By.CSS_SELECTOR, "input[value='keep-both']").click()
    flag.find_element(By.NAME, "note").send_keys("Two family members share the phone")
    flag.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
    WebDriverWait(chrome, 10).until(lambda d: d.find_elements(By.CLASS_NAME, "notice"))
    assert "The flag is resolved." in chrome.find_element(By.CLASS_NAME, "notice").text
    assert "0 flags waiting for someone" in chrome.find_element(By.TAG_NAME, "main").text

    chrome.find_element(By.LINK_TEXT, "Configuration").click()
    heading(chrome, "Configuration")
    shoot(chrome, tmp_path, "configuration", LAPTOP)

    # A bill at the counter: the day's bar grows.
    assert access.device.post(EARN, {"cardNumber": "CARD001", "billId": "B-2", "billAmount": 2000, "items": [
        {"categoryId": 2, "amount": 2000}]}).status_code == 200
    chrome.find_element(By.LINK_TEXT, "Dashboard").click()
    heading(chrome, "Dashboard")
    assert _today(chrome, "issued") == issued_today + D("60.00")
    assert int(chrome.find_element(By.ID, "bills").text) == bills + 1


def heading(driver, starts: str) -> None:
    """Wait (at most 10 s) for the page whose heading starts so: a submit loads a new page."""
    def shown(d) -> bool:  # type: ignore[no-untyped-def]
        try:
            return d.find_element(By.TAG_NAME, "h1").text.startswith(starts)
        except StaleElementReferenceException:  # the old page, going
            return False

    WebDriverWait(driver, 10).until(shown)


def _opening(unit, card_id: int) -> None:
    postings = Postings(unit)
    postings.post(adjustment_posting(cards.by_id(unit, card_id, lock=True), 10_000, "opening balance"),
                  performed_by="admin:import", device_id=None)
    postings.flush()


def _today(driver, series: str) -> D:
    bars = driver.find_elements(By.CSS_SELECTOR, f"#chart-daily rect[data-series='{series}']")
    return D(bars[-1].get_attribute("data-value"))
