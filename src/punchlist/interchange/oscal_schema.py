"""Validation against NIST's OSCAL POA&M JSON Schemas (1.1.3 and 1.2.1).

The schemas' patterns use ``\\p{L}``, which Python's ``re`` does not know: patterns run through the ``regex``
module, with ``$`` meaning the end of the text as in the ECMA-262 patterns JSON Schema specifies (Python's
``$`` would also match before a final newline and let a two-line title through).

The schema files are NIST's and are looked up, in order, in the ``schema_dir`` argument, in the folder
named by ``PUNCHLIST_OSCAL_SCHEMA_DIR``, and in the package's ``schemas`` folder.
"""

from __future__ import annotations

import json
import os
from functools import cache
from importlib import resources
from pathlib import Path

import regex
from jsonschema import validators
from jsonschema.exceptions import ValidationError, best_match

from punchlist.errors import InputError

SCHEMA_VERSIONS = ("1.1.3", "1.2.1")
SCHEMA_FILE = "oscal_poam_schema_{version}.json"
SCHEMA_DIR_VARIABLE = "PUNCHLIST_OSCAL_SCHEMA_DIR"
_MAX_REASON = 400


class OscalSchemaUnavailable(LookupError):
    """No schema file for a version: a deployment problem, not the user's document."""


class OscalValidationError(InputError):
    """A document the schema refuses: where (a JSON path) and the schema's reason."""

    def __init__(self, reason: str, *, path: str, version: str, file: str | None = None, pointer: str = "",
                 where: str | None = None):
        super().__init__(f"not valid OSCAL {version}: at {where or pointer or path}: {reason}", file=file)
        self.reason = reason
        self.path = path  # JSONPath, $['plan-of-action-and-milestones']...
        self.pointer = pointer  # JSON pointer, /plan-of-action-and-milestones/...
        self.version = version

    def placed(self, where: str) -> OscalValidationError:
        """The same error, naming ``where`` (an XML path, say) as the place."""
        return OscalValidationError(self.reason, path=self.path, version=self.version, file=self.file,
                                    pointer=self.pointer, where=where)


def schema_path(version: str, schema_dir: str | Path | None = None) -> Path:
    if version not in SCHEMA_VERSIONS:
        raise OscalSchemaUnavailable(f"OSCAL {version} is not one of the supported versions {SCHEMA_VERSIONS}")
    name = SCHEMA_FILE.format(version=version)
    folders = [Path(schema_dir)] if schema_dir else []
    if os.environ.get(SCHEMA_DIR_VARIABLE):
        folders.append(Path(os.environ[SCHEMA_DIR_VARIABLE]))
    folders.append(Path(str(resources.files(__package__).joinpath("schemas"))))
    for folder in folders:
        if (folder / name).is_file():
            return folder / name
    looked = ", ".join(str(folder) for folder in folders)
    raise OscalSchemaUnavailable(f"no {name} in {looked}; set {SCHEMA_DIR_VARIABLE} to NIST's schema folder")


def available_versions(schema_dir: str | Path | None = None) -> list[str]:
    found = []
    for version in SCHEMA_VERSIONS:
        try:
            schema_path(version, schema_dir)
        except OscalSchemaUnavailable:
            continue
        found.append(version)
    return found


@cache
def _compiled(pattern: str):
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return regex.compile(pattern)


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _validator(path: Path):
    schema = json.loads(path.read_text("utf-8"))
    base = validators.validator_for(schema)  # the schemas declare draft-07
    return validators.extend(base, {"pattern": _pattern})(schema)


def validate_all(document, version: str, *, schema_dir: str | Path | None = None,
                 file: str | None = None) -> list[OscalValidationError]:
    """Every schema error, the best explained first, each with its validator keyword (``.validator``)."""
    validator = _validator(schema_path(version, schema_dir))
    try:
        errors = list(validator.iter_errors(document))
    except RecursionError:
        found = OscalValidationError("nested too deeply", path="$", version=version, file=file, pointer="/")
        found.validator = "type"
        return [found]
    if not errors:
        return []
    first = best_match(errors)
    errors.sort(key=lambda e: e is not first)
    return [_explained(error, version, file) for error in errors]


def _explained(error: ValidationError, version: str, file: str | None) -> OscalValidationError:
    reason = error.message
    if len(reason) > _MAX_REASON:  # a message may quote a whole object
        reason = reason[:_MAX_REASON] + " ..."
    place = "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in error.absolute_path)
    found = OscalValidationError(reason, path=error.json_path, version=version, file=file, pointer=place or "/")
    found.validator = error.validator
    found.instance = error.instance
    return found


def validate_oscal(document: dict, version: str, *, schema_dir: str | Path | None = None,
                   file: str | None = None) -> OscalValidationError | None:
    """None when ``document`` is valid against the OSCAL POA&M schema ``version``, else the error that best
    explains why not (its JSON path and the schema's reason)."""
    validator = _validator(schema_path(version, schema_dir))
    try:
        error = best_match(validator.iter_errors(document))
    except RecursionError:
        return OscalValidationError("nested too deeply", path="$", version=version, file=file, pointer="/")
    if error is None:
        return None
    reason = error.message
    if len(reason) > _MAX_REASON:  # a message may quote a whole object
        reason = reason[:_MAX_REASON] + " ..."
    place = "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in error.absolute_path)
    return OscalValidationError(reason, path=error.json_path, version=version, file=file, pointer=place or "/")
