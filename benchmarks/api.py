"""API benchmark: `python -m benchmarks.api [--items 10000] [--repeats 60]`.

Target: a page of 100 items from the API (``GET /api/v1/organizations/<org>/items?limit=100``) costs at most
1.5x the same 100 items rendered as the web's Register page (its page size set to 100 for the comparison).
Both are served in this process by the same WSGI handler (Django's test client, every middleware), warm (the
register index computed once, as every later request finds it), for the same person: the coordinator of an
organization of N items built as ``benchmarks.web`` builds it, the API with a read-only token. Times are the
process's CPU seconds per request, median of the repeats, alternating the two so that neither gets a warmer
machine; every response is checked to be the page asked for.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from . import targets
from .web import ORG, build

TARGET = 1.5
PAGE = 100


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.api")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=60)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="punchlist-bench-api-"))
    os.environ.update({"PUNCHLIST_SECURE_COOKIES": "no", "PUNCHLIST_SSL_REDIRECT": "no",
                       "PUNCHLIST_REQUIRE_MFA": "privileged"})  # the coordinator signs in without a second factor
    try:
        started = time.perf_counter()
        print(f"building {args.items:,} items in {folder} ...", file=sys.stderr)
        built = build(folder, args.items)
        print(f"built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        return measure(folder, built, args.repeats)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure(folder: Path, built: dict, repeats: int) -> int:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from punchlist.api import services
    from punchlist.orgs.models import Organization
    from punchlist.web import queries

    # Every API request writes a line to the security log, as in production; here to a file, not the terminal.
    security = logging.getLogger("punchlist.security")
    security.handlers = [logging.FileHandler(folder / "security.log")]
    (folder / "static").mkdir(exist_ok=True)
    queries.PAGE_SIZE = PAGE  # the web page shows the same 100 items the API page gives
    coordinator = get_user_model().objects.get(username="coordinator")
    organization = Organization.objects.get(slug=ORG)
    _, secret = services.create_token(coordinator, name="bench", organizations=[organization], can_write=False,
                                      days=1)
    web = Client(HTTP_HOST="localhost")
    web.force_login(coordinator)
    api = Client(HTTP_HOST="localhost", headers={"Authorization": f"Bearer {secret}"})
    web_url, api_url = f"/o/{ORG}/register/", f"/api/v1/organizations/{ORG}/items"

    def web_page():
        response = web.get(web_url)
        if response.status_code != 200 or response.content.count(b'class="register-row') != PAGE:
            raise SystemExit(f"the register answered {response.status_code} without {PAGE} rows")

    def api_page():
        response = api.get(api_url, {"limit": PAGE})
        if response.status_code != 200 or len(response.json()["items"]) != PAGE:
            raise SystemExit(f"the API answered {response.status_code} without {PAGE} items")

    for _ in range(3):  # the index computed, templates and schemas compiled
        web_page()
        api_page()
    times = {"web": [], "api": []}
    for _ in range(repeats):
        for name, call in (("web", web_page), ("api", api_page)):
            t0 = time.process_time()
            call()
            times[name].append(time.process_time() - t0)
    web_ms = statistics.median(times["web"]) * 1000
    api_ms = statistics.median(times["api"]) * 1000
    ratio = api_ms / web_ms
    print(f"{built['count']:,} items, page of {PAGE}, median CPU ms per request over {repeats} repeats")
    print(f"  web register page: {web_ms:7.2f} ms")
    print(f"  API items page:    {api_ms:7.2f} ms   ({ratio:.2f}x)")
    met = ratio <= TARGET
    targets.record("benchmarks.api", f"API page of {PAGE} items vs the web register page of the same items",
                   f"{ratio:.2f}x", f"at most {TARGET}x", met)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
