"""The password rules (3.5.7) refuse what guessing tools try first, on the page where people choose one: too
short, built on the person's own names, common (also dressed up with capitals, digits and symbols),
repeated characters, and runs along the alphabet, the digits or the keyboard."""

from __future__ import annotations

import pytest
from django.test import Client

from punchlist.orgs import services as org_services
from punchlist.orgs.models import Role
from punchlist.testing import PASSWORD

pytestmark = pytest.mark.django_db

WEAK = [
    # password, what the page says
    ("aaaaaaaaaaaa", "repeats the same characters"),
    ("abababababab", "repeats the same characters"),
    ("Password123!", "a common one with a few characters changed or added"),
    ("P@ssw0rd2026", "a common one with a few characters changed or added"),
    ("Welcome2026!", "a common one with a few characters changed or added"),
    ("iloveyou1234", "a common one with a few characters changed or added"),
    ("alexmorgan12", "built on your name (alex, morgan)"),
    ("Morgan.Alex.1", "built on your name (alex, morgan)"),
    ("4lexM0rgan!!", "built on your name (alex, morgan)"),
    ("ridgeline-alex", "built on your name (alex, ridgeline)"),  # the email's name part counts too
    ("123456789012", "entirely numeric"),
    ("123456789012", "mostly a sequence"),
    ("abcdefghijkl", "mostly a sequence"),
    ("zyxwvutsrqpo", "mostly a sequence"),
    ("qwertyuiop12", "mostly a sequence"),
    ("asdfghjkl;12", "mostly a sequence"),
    ("1qaz2wsx3edc", "mostly a sequence"),
    ("Short pw 1", "too short"),
]

STRONG = ["tangerine walrus quietly sings", "Kx7-mQ2p-Zr9w-Lt4v", "harbor lantern 47 mosaic"]


@pytest.fixture
def alex(team):
    user = org_services.create_user("alex", password=PASSWORD, first_name="Alex", last_name="Morgan",
                                    email="alex.ridgeline@example.com")
    org_services.add_member(team.admin, team.org, user, Role.VIEWER)
    return user


def change(user, new):
    client = Client()
    client.force_login(user)
    return client.post("/accounts/password/change/", {"oldpassword": PASSWORD, "password1": new, "password2": new})


@pytest.mark.parametrize("password, reason", WEAK, ids=[f"{p}-{r.split()[0]}" for p, r in WEAK])
def test_weak_passwords_are_refused_with_the_reason(alex, password, reason):
    response = change(alex, password)
    assert response.status_code == 200
    assert reason in response.content.decode().replace("&#x27;", "'")
    alex.refresh_from_db()
    assert alex.check_password(PASSWORD)


@pytest.mark.parametrize("password", STRONG)
def test_strong_passwords_are_accepted(alex, password):
    assert change(alex, password).status_code == 302
    alex.refresh_from_db()
    assert alex.check_password(password)


def test_one_time_passwords_pass_every_rule(alex):
    from django.contrib.auth.password_validation import validate_password

    from punchlist.web.accounts import one_time_password

    for _ in range(500):
        validate_password(one_time_password(), alex)


def test_the_rules_are_shown_where_a_password_is_chosen(alex):
    client = Client()
    client.force_login(alex)
    page = client.get("/accounts/password/change/").content.decode()
    assert "cannot be your name or username" in page.replace("&#x27;", "'")
