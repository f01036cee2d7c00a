"""The smoke test `pulumi up` runs is derived from the stack too: its data's event type and
every route its models serve."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from components import smoke_test
from tests.conftest import JsonApi, serving
from tests.stack_harness import ROOT, run_program

SHOP = ROOT / "examples/shop/Pulumi.shop.yaml"


def test_the_shop_smoke_test_sends_its_own_event_type_and_calls_every_route() -> None:
    run = run_program("shop", file=SHOP)
    (command,) = run.of_type("command:local:Command")
    values = command.inputs["environment"]["value"]
    assert values["SMOKE_TEST_EVENT_TYPE"] == "view"
    assert set(values["SMOKE_TEST_ROUTES"].split(",")) == {"rankings", "similar-items"}


class ShopApi(JsonApi):
    seen: ClassVar[list[tuple[str, str, Any]]] = []

    def on_get(self) -> None:
        url = urlsplit(self.path)
        self.seen.append(("GET", url.path, parse_qs(url.query)))
        self._answer(200, {"recommendations": [{"itemId": "sku-0001"}, {"itemId": "sku-0002"}]})

    def on_post(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append(("POST", self.path, body))
        status = 202 if self.path.endswith("/events") else 200
        self._answer(status, {"recommendations": [], "accepted": 1})


@pytest.fixture
def shop_api() -> Iterator[str]:
    ShopApi.seen = []
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), ShopApi)) as url:
        yield f"{url}/shop"


def test_the_smoke_script_uses_the_event_type_and_routes_it_is_given(shop_api: str) -> None:
    env = {
        "API_URL": shop_api,
        "SMOKE_TEST_USER": "cust-001",
        "SMOKE_TEST_EVENT_TYPE": "view",
        "SMOKE_TEST_ROUTES": "rankings,similar-items",
        "SMOKE_TEST_TIMEOUT": "0",
    }
    assert "2 items ranked" in smoke_test.run(env)
    paths = [(method, path) for method, path, _ in ShopApi.seen]
    assert paths == [
        ("GET", "/shop/recommendations"),
        ("POST", "/shop/events"),
        ("POST", "/shop/rankings"),
        ("GET", "/shop/similar-items"),
    ]
    events = ShopApi.seen[1][2]["events"]
    assert events[0]["eventType"] == "view"
    assert ShopApi.seen[2][2] == {"userId": "cust-001", "itemIds": ["sku-0001", "sku-0002"]}
    assert ShopApi.seen[3][2]["itemId"] == ["sku-0001"]
