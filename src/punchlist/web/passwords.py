"""Password rules beyond Django's own (3.5.7): the guesses an attacker tries first.

Django's validators (AUTH_PASSWORD_VALIDATORS) check length, a whole password in its list of 20,000 common
ones, an all-digit password and one close to the username. Guessing tools try more than that, and these rules
refuse what they try:

- ``NotBuiltOnNamesValidator``: a password that is the person's names with a little added (``alexmorgan12``
  for Alex Morgan): without the username, first and last name and email name in it, what is left must still
  be long enough on its own.
- ``NotCommonAtHeartValidator``: a common password dressed up with capitals, digits, symbols or
  look-alike characters (``Password123!``, ``P@ssw0rd2026``, ``Welcome2026!``).
- ``NoPatternValidator``: a password made mostly of one repeated character or block (``aaaaaaaaaaaa``,
  ``abababababab``), or of runs along the alphabet, the digits or the keyboard (``abcdefghijkl``,
  ``123456789012``, ``qwertyuiop12``).
"""

from __future__ import annotations

import re

from django.contrib.auth.password_validation import CommonPasswordValidator, MinimumLengthValidator
from django.core.exceptions import ValidationError

_TOKEN = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
_LOOKALIKES = str.maketrans({"0": "o", "1": "i", "!": "i", "3": "e", "4": "a", "@": "a", "5": "s", "$": "s",
                             "7": "t", "+": "t", "8": "b", "9": "g"})
_KEYBOARD_ROWS = ("`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./")
_KEYBOARD_COLUMNS = ("1qaz", "2wsx", "3edc", "4rfv", "5tgb", "6yhn", "7ujm", "8ik,", "9ol.", "0p;/")
RUN = 4  # characters in a row along a sequence before they count as a pattern


def _min_length() -> int:
    from django.contrib.auth.password_validation import get_default_password_validators

    for validator in get_default_password_validators():
        if isinstance(validator, MinimumLengthValidator):
            return validator.min_length
    return 12


class NotBuiltOnNamesValidator:
    """The password with the person's names taken out must still be as long as a password must be."""

    ATTRIBUTES = ("username", "first_name", "last_name", "email")

    def validate(self, password, user=None):
        if user is None:
            return
        names = set()
        for attribute in self.ATTRIBUTES:
            value = str(getattr(user, attribute, "") or "")
            if attribute == "email":
                value = value.partition("@")[0]
            names.update(token.lower() for token in _TOKEN.findall(value))
        if not names:
            return
        rest = password.lower().translate(_LOOKALIKES)  # one character for one: the length is kept
        found = []
        for name in sorted(names, key=len, reverse=True):
            if name in rest:
                found.append(name)
                rest = rest.replace(name, "")
        if found and len(rest) < _min_length():
            raise ValidationError(
                "This password is built on your name (%(names)s); without it, too little is left to guess.",
                code="password_built_on_names", params={"names": ", ".join(sorted(set(found)))})

    def get_help_text(self):
        return "Your password cannot be your name or username with a few characters added."


class NotCommonAtHeartValidator:
    """A common password stays common with capitals, look-alike characters, digits or symbols around it."""

    def __init__(self):
        self._common = CommonPasswordValidator().passwords

    def _cores(self, password: str) -> set[str]:
        lowered = password.lower().strip()
        stripped = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", lowered)
        plain = re.sub(r"[\W_]+", "", lowered)
        cores = {lowered, stripped, plain, plain.translate(_LOOKALIKES)}
        # The look-alikes inside, with the digits and symbols at the ends taken off.
        ends = re.match(r"^([\W\d_]*)(.*?)([\W\d_]*)$", lowered)
        if ends:
            cores.add(ends.group(2).translate(_LOOKALIKES))
            cores.add(re.sub(r"[\W_]+", "", ends.group(2)).translate(_LOOKALIKES))
        return {core for core in cores if len(core) >= 4}

    def validate(self, password, user=None):
        if any(core in self._common for core in self._cores(password)):
            raise ValidationError("This password is a common one with a few characters changed or added.",
                                  code="password_common_at_heart")

    def get_help_text(self):
        return "Your password cannot be a common password with capitals, digits or symbols added."


def _steps(a: str, b: str) -> bool:
    """Whether ``b`` follows ``a`` along the alphabet, the digits or a keyboard row or column, either way."""
    if a == b:
        return True
    if a.isalnum() and b.isalnum() and a.isdigit() == b.isdigit() and abs(ord(a) - ord(b)) == 1:
        return True
    for line in _KEYBOARD_ROWS + _KEYBOARD_COLUMNS:
        i, j = line.find(a), line.find(b)
        if i >= 0 and j >= 0 and abs(i - j) == 1:
            return True
    return a == "0" and b == "1" or a == "9" and b == "0"


class NoPatternValidator:
    """At least half of the password must be something other than repetition or runs along a sequence."""

    def validate(self, password, user=None):
        text = password.lower()
        if len(text) < 2:
            return
        if _period(text) <= len(text) // 3:
            raise ValidationError("This password repeats the same characters.", code="password_repeated")
        in_runs = 0
        start = 0
        for end in range(1, len(text) + 1):
            if end == len(text) or not _steps(text[end - 1], text[end]):
                if end - start >= RUN:
                    in_runs += end - start
                start = end
        if in_runs * 2 >= len(text):
            raise ValidationError("This password is mostly a sequence (abcd, 1234, qwerty) or a repeated "
                                  "character.", code="password_sequence")

    def get_help_text(self):
        return "Your password cannot be mostly repeated characters or a run such as abcd, 1234 or qwerty."


def _period(text: str) -> int:
    """The length of the shortest block that, repeated, makes up ``text`` (a trailing partial block allowed)."""
    for size in range(1, len(text)):
        if all(text[i] == text[i - size] for i in range(size, len(text))):
            return size
    return len(text)
