"""The API's OpenAPI 3.1 document as the app serves it at /api/v1/openapi.json, written to docs/openapi.json:
``python -m punchlist.api.openapi [PATH]``. A test fails when the shipped copy differs from what is served."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

SHIPPED = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"


def document() -> dict:
    """What GET /api/v1/openapi.json answers (no database needed: the document describes, it reads nothing)."""
    from .v1 import api

    return api.get_openapi_schema(path_prefix="/api/v1/")


def text() -> str:
    return json.dumps(document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "punchlist.settings")
    import django

    django.setup()
    parser = argparse.ArgumentParser(prog="python -m punchlist.api.openapi",
                                     description="Write the API's OpenAPI document as the app serves it.")
    parser.add_argument("path", nargs="?", default=str(SHIPPED), help=f"where to write it (default: {SHIPPED})")
    target = Path(parser.parse_args(argv).path)
    target.write_text(text(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
