"""Saving configuration at the till: versions, the config.changed mutation, nothing half-saved."""

from decimal import Decimal

import pytest

from support import dump_replica
from pos_loyalty import jsonio
from pos_loyalty.errors import ConfigInvalid
from pos_loyalty.services import configuration


def last_mutation(replica):
    import sqlite3

    with sqlite3.connect(replica.path) as connection:
        return connection.execute("SELECT kind, payload, config_version FROM outbox ORDER BY device_seq DESC LIMIT 1").fetchone()


def test_a_new_till_starts_with_seed_002_sample_configuration(replica):
    document = configuration.export(replica)
    assert document["version"] == 1 and document["isEnabled"] is True
    assert [c["categoryName"] for c in document["categoryPointConfigs"]] == ["Medicines", "General", "Baby Care", "Cosmetics"]


def test_each_save_is_a_new_version_with_its_changed_fields_queued(replica):
    document = configuration.export(replica)
    document["maxRedemptionPercent"] = Decimal("40")
    document["categoryPointConfigs"][1]["pointPercentage"] = Decimal("3.5")
    saved = configuration.save(replica, document, performed_by="manager")
    assert saved.changed and saved.version == 2
    assert set(saved.fields) == {"maxRedemptionPercent", "categoryPointConfigs/2"}
    kind, payload, version = last_mutation(replica)
    body = jsonio.loads(payload)
    assert (kind, version, body["baseVersion"], body["version"]) == ("config.changed", 2, 1, 2)
    assert body["base"]["maxRedemptionPercent"] == Decimal("50.00")
    assert body["changes"]["maxRedemptionPercent"] == Decimal("40.00")
    assert configuration.export(replica)["maxRedemptionPercent"] == Decimal("40.00")
    assert configuration.save(replica, configuration.export(replica)).version == 2  # unchanged: no new version


def test_a_bad_configuration_saves_nothing(replica):
    before = dump_replica(replica)
    document = configuration.export(replica)
    document["categoryPointConfigs"][0]["pointPercentage"] = Decimal("101")
    document["maxRedemptionPercent"] = Decimal("10")  # a good change in the same document
    with pytest.raises(ConfigInvalid) as caught:
        configuration.save(replica, document)
    assert caught.value.field == "categoryPointConfigs[0].pointPercentage"
    assert dump_replica(replica) == before


def test_bills_use_the_newest_configuration(replica):
    from support import make_bill
    from pos_loyalty.services import bills, cards

    card = cards.issue(replica, name="C", phone="9000000600").card_number
    assert bills.quote(replica, card, make_bill((2, "100.00"))).points_earned == 300
    document = jsonio.loads(jsonio.dumps(configuration.export(replica)))
    document["categoryPointConfigs"][1]["pointPercentage"] = 10
    configuration.save(replica, document)
    assert bills.quote(replica, card, make_bill((2, "100.00"))).points_earned == 1000


def test_a_save_based_on_an_older_version_is_refused_in_its_own_transaction(replica):
    """The editor's check and its save are one transaction: a version that landed in between
    (the sync daemon's pull) is never undone."""
    from pos_loyalty.errors import LoyaltyError
    from support import dump_replica

    started_from = configuration.export(replica)
    configuration.save(replica, {**started_from, "maxRedemptionPercent": 30})  # the pull, meanwhile
    before = dump_replica(replica)
    with pytest.raises(LoyaltyError) as refused:
        configuration.save(replica, {**started_from, "minPointsToRedeem": 250}, expected_version=started_from["version"])
    assert refused.value.code == configuration.CONFIG_CHANGED and "Version 2 arrived" in refused.value.message
    assert dump_replica(replica) == before
    saved = configuration.save(replica, {**started_from, "minPointsToRedeem": 250}, expected_version=2)
    assert saved.version == 3
