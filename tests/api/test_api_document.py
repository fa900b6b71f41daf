"""The OpenAPI 3.1 document: served at /api/v1/openapi.json and shipped in docs/openapi.json, never apart."""

from __future__ import annotations

import json
from pathlib import Path

SHIPPED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_shipped_document_is_the_one_the_app_serves(client):
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads(SHIPPED.read_text(encoding="utf-8")), (
        "docs/openapi.json differs from what the app serves: run `python -m punchlist.api.openapi` and commit it")


def test_the_document_is_openapi_3_1_and_every_operation_needs_a_token():
    document = json.loads(SHIPPED.read_text(encoding="utf-8"))
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"] == {"TokenAuth": {"scheme": "bearer", "type": "http"}}
    operations = [op for ops in document["paths"].values() for op in ops.values()]
    assert operations and all(op.get("security") == [{"TokenAuth": []}] for op in operations)
    assert all(path.startswith("/api/v1/") for path in document["paths"])
    for op in operations:  # every refusal is documented, in the one Error shape
        errors = {code: answer for code, answer in op["responses"].items() if code.startswith("4")}
        assert "401" in errors, op["operationId"]
        assert all(a["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
                   for a in errors.values())
