"""Bulk inserts with primary keys taken beforehand (``punchlist.dbinsert.reserve_ids``)."""

import pytest
from django.db import transaction

from punchlist.dbinsert import insert_rows, reserve_ids
from punchlist.orgs.models import Organization
from punchlist.register.models import ItemSequence


@pytest.mark.django_db
def test_reserved_keys_follow_every_key_ever_handed_out():
    org = Organization.objects.create(name="Acme", slug="acme")
    first, last = (ItemSequence.objects.create(organization=org, family=family) for family in ("AC", "IA"))
    gone = last.pk
    last.delete()  # a key handed out once is never handed out again, even after its row is gone
    with transaction.atomic():
        keys = reserve_ids(ItemSequence, 3)
        assert keys[0] > gone and keys == list(range(keys[0], keys[0] + 3))
        insert_rows(ItemSequence, ("id", "organization", "family", "last_number"),
                    [(key, org.pk, family, 0) for key, family in zip(keys, ("AU", "CM", "SC"))])
    assert ItemSequence.objects.create(organization=org, family="SI").pk > keys[-1]
    assert sorted(ItemSequence.objects.values_list("pk", flat=True)) == [first.pk, *keys, keys[-1] + 1]


def test_keys_are_reserved_only_inside_the_transaction_that_uses_them(live_db):
    with pytest.raises(ValueError, match="inside the transaction"):
        reserve_ids(ItemSequence, 1)
