"""Smoke test run at the end of `pulumi up`: the deployed API answers as documented.

Calls GET /recommendations for a known user, POST /events with one event of a type the stack's
data uses, and POST /rankings and GET /similar-items when the stack serves them, through the stage
URL and (when the API uses keys) the API key. Exits non-zero with the status and body of the call
that failed, which fails the deploy. Standard library only: it runs with the project's Python
before anything else is installed anywhere.

Environment: API_URL (stage URL), API_KEY (optional), SMOKE_TEST_USER, SMOKE_TEST_ITEM,
SMOKE_TEST_EVENT_TYPE (the program sets it from the stack's data; default "click"),
SMOKE_TEST_ROUTES (comma-separated: "rankings", "similar-items"), SMOKE_TEST_TIMEOUT (seconds to
keep retrying answers that mean "not ready yet", default 300).
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

# Answers that can mean "just deployed": API keys and IAM roles take a while to propagate, a new
# function may throttle, the campaign may still be finishing an update.
RETRYABLE = frozenset({403, 429, 500, 502, 503, 504})

# The environment the program gives this script (components/api.py imports these names).
API_URL = "API_URL"
API_KEY = "API_KEY"
SMOKE_TEST_USER = "SMOKE_TEST_USER"
SMOKE_TEST_ITEM = "SMOKE_TEST_ITEM"
SMOKE_TEST_EVENT_TYPE = "SMOKE_TEST_EVENT_TYPE"
SMOKE_TEST_ROUTES = "SMOKE_TEST_ROUTES"
SMOKE_TEST_TIMEOUT = "SMOKE_TEST_TIMEOUT"


class SmokeTestError(Exception):
    pass


def call(method: str, url: str, api_key: str | None, body: Any = None) -> tuple[int, str]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if api_key:
        request.add_header("x-api-key", api_key)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, TimeoutError) as exc:
        return 0, f"no answer: {exc}"


def call_until(
    method: str,
    url: str,
    *,
    api_key: str | None,
    expected: set[int],
    deadline: float,
    body: Any = None,
) -> str:
    """Call until the status is expected; give up at the deadline or on a non-retryable one."""
    delay = 2.0
    while True:
        status, text = call(method, url, api_key, body)
        if status in expected:
            return text
        retryable = status == 0 or status in RETRYABLE
        if not retryable or time.monotonic() + delay > deadline:
            path = urllib.parse.urlsplit(url).path
            raise SmokeTestError(
                f"smoke test failed: {method} {path} answered {status or 'nothing'} "
                f"(expected {', '.join(map(str, sorted(expected)))}): {text[:2000]}"
            )
        time.sleep(delay)
        delay = min(delay * 2, 30.0)


def run(env: dict[str, str]) -> str:
    base = env[API_URL].rstrip("/")
    api_key = env.get(API_KEY) or None
    user = env[SMOKE_TEST_USER]
    deadline = time.monotonic() + float(env.get(SMOKE_TEST_TIMEOUT, "300"))

    query = urllib.parse.urlencode({"userId": user, "numResults": "5"})
    text = call_until(
        "GET", f"{base}/recommendations?{query}", api_key=api_key, expected={200}, deadline=deadline
    )
    try:
        recommended = json.loads(text)["recommendations"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SmokeTestError(
            f"smoke test failed: GET /recommendations answered 200 without a "
            f"'recommendations' list: {text[:2000]}"
        ) from exc
    if not recommended:
        raise SmokeTestError(f"smoke test failed: no recommendations for user {user!r}")

    item = recommended[0].get("itemId") or env.get(SMOKE_TEST_ITEM)
    event_type = env.get(SMOKE_TEST_EVENT_TYPE) or "click"
    event = {
        "userId": user,
        "sessionId": f"smoke-test-{uuid.uuid4()}",
        "events": [{"eventType": event_type, "itemId": item, "sentAt": time.time()}],
    }
    call_until(
        "POST",
        f"{base}/events",
        api_key=api_key,
        expected={200, 202},
        deadline=deadline,
        body=event,
    )
    called = ["1 event accepted"]
    routes = {r for r in (env.get(SMOKE_TEST_ROUTES) or "").split(",") if r}
    items = [r["itemId"] for r in recommended if r.get("itemId")]
    if "rankings" in routes:
        body = {"userId": user, "itemIds": items}
        call_until(
            "POST",
            f"{base}/rankings",
            api_key=api_key,
            expected={200},
            deadline=deadline,
            body=body,
        )
        called.append(f"{len(items)} items ranked")
    if "similar-items" in routes:
        query = urllib.parse.urlencode({"itemId": item, "numResults": "5"})
        call_until(
            "GET",
            f"{base}/similar-items?{query}",
            api_key=api_key,
            expected={200},
            deadline=deadline,
        )
        called.append(f"items similar to {item}")
    return f"smoke test passed: {len(recommended)} recommendations for {user}, {', '.join(called)}"


def main() -> int:
    try:
        print(run(dict(os.environ)))
    except SmokeTestError as exc:
        print(exc, file=sys.stderr)
        return 1
    except KeyError as exc:
        print(f"smoke test misconfigured: environment variable {exc} is not set", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
