"""Use a deployed stack the way its clients would, with requests derived from the stack itself.

Nothing here knows the sample data: the user, items, event types, filter values and catalog
records all come from the stack's configuration and its dataset files, so any stack, with any
data, is exercised on every route it configures:

- GET /recommendations for a user with history, then with each configured filter, its
  parameters filled from the data (Items filters are also checked against what comes back);
- POST /events for that user (the stack's own event type, EVENT_VALUE when the schema has one)
  through the API, the stream and the forwarder; then GET /recommendations again, which must
  change where the recipe folds fresh events in (User-Personalization);
- POST /rankings, GET /similar-items (with each filter that applies there), POST /items and
  POST /users when configured.
"""

from __future__ import annotations

import csv
import json
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components import filter_expression as fe
from components.config import EXPLORATION_RECIPES, StackConfig
from components.csv_text import open_csv
from components.data_check import load_schema
from local.lambda_events import kinesis_event

RECOMMEND = "handlers.recommend.handler"
INGEST = "handlers.ingest.handler"
FORWARD = "handlers.forwarder.handler"
CATALOG = "handlers.catalog.handler"
NUM_RESULTS = 10
EVENTS_TO_SEND = 5


class ExerciseError(Exception):
    """The deployed system did not answer as it should."""


@dataclass
class Call:
    """One request the exercise made and what came back."""

    route: str
    detail: str
    status: int
    summary: str


@dataclass
class Exercise:
    """What the exercise did, for the report."""

    user: str = ""
    label_field: str = ""
    event_type: str = ""
    sent: list[str] = field(default_factory=list)
    before: list[dict[str, Any]] = field(default_factory=list)
    after: list[dict[str, Any]] = field(default_factory=list)
    forwarded: dict[str, Any] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)


def _rows(path: Path) -> list[dict[str, str]]:
    with open_csv(path) as handle:
        return list(csv.DictReader(handle))


@dataclass
class StackData:
    """What the exercise needs to know of a stack's data, read from its own files."""

    config: StackConfig
    interactions: list[dict[str, str]]
    items: dict[str, dict[str, str]]
    users: dict[str, dict[str, str]]
    schemas: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, config: StackConfig) -> StackData:
        files = {d.dataset_type: d for d in config.datasets}
        schemas: dict[str, dict[str, Any]] = {
            t: load_schema(d.schema_file, t) for t, d in files.items()
        }
        interactions = _rows(files["Interactions"].file)
        items = {r["ITEM_ID"]: r for r in _rows(files["Items"].file)} if "Items" in files else {}
        users = {r["USER_ID"]: r for r in _rows(files["Users"].file)} if "Users" in files else {}
        return cls(config, interactions, items, users, schemas)

    def fields(self, dataset_type: str) -> tuple[fe.SchemaField, ...]:
        schema = self.schemas.get(dataset_type)
        return fe.schema_fields(schema) if schema else ()

    @property
    def popularity(self) -> Counter[str]:
        return Counter(r["ITEM_ID"] for r in self.interactions)

    def catalogue(self) -> list[str]:
        """Every item id the stack knows, most popular first."""
        ranked = [item for item, _ in self.popularity.most_common()]
        return ranked + sorted(set(self.items) - set(ranked))

    def sample_user(self) -> str:
        """The configured smoke-test user, or the user with the most history."""
        if self.config.api.smoke_test_user:
            return self.config.api.smoke_test_user
        counts = Counter(r["USER_ID"] for r in self.interactions)
        return min(counts, key=lambda u: (-counts[u], u))

    def history(self, user: str) -> list[str]:
        return [r["ITEM_ID"] for r in self.interactions if r["USER_ID"] == user]

    def event_type(self) -> str:
        """The event type that trains the /recommendations model, else the data's commonest."""
        model = self.config.model_for("recommendations")
        if model is not None and model.training.event_type:
            return model.training.event_type
        types = Counter(r.get("EVENT_TYPE") or "" for r in self.interactions)
        types.pop("", None)
        return types.most_common(1)[0][0] if types else "click"

    def event_value(self, event_type: str) -> float | None:
        """A typical EVENT_VALUE for this event type, when the data carries one."""
        values = [
            float(r["EVENT_VALUE"])
            for r in self.interactions
            if r.get("EVENT_TYPE") == event_type and (r.get("EVENT_VALUE") or "").strip()
        ]
        return statistics.median(values) if values else None

    def label_field(self) -> str | None:
        """A categorical Items field to describe items by (GENRES, CATEGORY, ...)."""
        for schema_field in self.fields("Items"):
            if schema_field.avro_type == "string" and schema_field.name != "ITEM_ID":
                return schema_field.name
        return None

    def labels(self, item: str, label: str | None) -> list[str]:
        if label is None or item not in self.items:
            return []
        return [v for v in (self.items[item].get(label) or "").split("|") if v]

    def unfamiliar_items(self, user: str, count: int) -> list[str]:
        """Popular items the user has not touched, from the category they touched least."""
        seen = set(self.history(user))
        candidates = [i for i in self.catalogue() if i not in seen]
        label = self.label_field()
        if label is None:
            return candidates[:count]
        taste = Counter(v for item in seen for v in self.labels(item, label))
        categories = sorted({v for item in self.items for v in self.labels(item, label)})
        for category in sorted(categories, key=lambda c: taste[c]):
            picked = [i for i in candidates if category in self.labels(i, label)][:count]
            if len(picked) == count:
                return picked
        return candidates[:count]

    def value_for(self, condition: fe.Condition) -> str:
        """A value for a filter parameter, taken from the data the condition reads (plain: the
        API quotes it for Personalize)."""
        source = fe.SOURCE_DATASET[condition.field.dataset]
        if source == "Interactions":
            return self.event_type()
        found = fe.resolve_field(condition.field, {source: self.fields(source)})
        rows = self.items.values() if source == "Items" else self.users.values()
        name = found.name if found else condition.field.name
        values = [v for row in rows for v in (row.get(name) or "").split("|") if v]
        if not values:
            raise ExerciseError(f"no {source} data in {name} to fill a filter parameter from")
        if condition.operator in fe.COMPARISONS:
            return f"{statistics.median(float(v) for v in values):g}"
        return Counter(values).most_common(1)[0][0]

    def item_record(self, new_id: str) -> dict[str, Any]:
        """A catalog record shaped by the Items schema: the first item's values, a new id."""
        return _record(self.fields("Items"), next(iter(self.items.values())), "ITEM_ID", new_id)

    def user_record(self, new_id: str) -> dict[str, Any]:
        return _record(self.fields("Users"), next(iter(self.users.values())), "USER_ID", new_id)


def _record(
    fields: Iterable[fe.SchemaField], row: Mapping[str, str], id_field: str, new_id: str
) -> dict[str, Any]:
    convert: dict[str, Callable[[str], Any]] = {
        "int": int,
        "long": int,
        "float": float,
        "double": float,
        "boolean": lambda v: v.lower() == "true",
    }
    record: dict[str, Any] = {id_field: new_id}
    for schema_field in fields:
        value = row.get(schema_field.name) or ""
        if schema_field.name != id_field and value != "":
            record[schema_field.name] = convert.get(schema_field.avro_type, str)(value)
    return record


def _item_ids(body: Mapping[str, Any]) -> list[str]:
    return [r["itemId"] for r in body.get("recommendations") or []]


def _summary(body: Mapping[str, Any]) -> str:
    ids = _item_ids(body)
    shown = ", ".join(ids[:4]) + (", ..." if len(ids) > 4 else "")
    return f"{len(ids)} items: {shown}" if ids else "no items"


class Client:
    """Requests to the deployed functions, recorded as calls."""

    def __init__(self, system: Any, exercise: Exercise) -> None:
        self.system = system
        self.exercise = exercise

    def request(
        self, handler: str, method: str, path: str, detail: str, expected: int, **kwargs: Any
    ) -> dict[str, Any]:
        status, body = self.system.request(handler, method, path, **kwargs)
        summary = _summary(body) if "recommendations" in body else json.dumps(body)[:80]
        self.exercise.calls.append(Call(f"{method} {path}", detail, status, summary))
        if status != expected:
            raise ExerciseError(f"{method} {path} ({detail}) answered {status}: {body}")
        return body


def check_items_filter(
    data: StackData, parsed: fe.Filter, values: Mapping[str, str], items: list[str]
) -> str | None:
    """For a single-expression filter on Items fields: an item returned that breaks it."""
    if len(parsed.expressions) != 1:
        return None
    expression = parsed.expressions[0]
    if expression.if_conditions or {c.field.dataset for c in expression.conditions()} != {"Items"}:
        return None
    for item in items:
        row = data.items.get(item)
        if row is None:
            continue
        matched = any(all(_holds(c, row, values) for c in clause) for clause in expression.where)
        if matched != expression.include:
            return item
    return None


# Interactions filters consider each user's 100 most recent interactions per event type
# (https://docs.aws.amazon.com/personalize/latest/dg/filter-expressions.html); an item within
# those is surely filtered.
RECENT_PER_EVENT_TYPE = 100


def check_history_filter(
    data: StackData, user: str, parsed: fe.Filter, values: Mapping[str, str], items: list[str]
) -> str | None:
    """For `EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (...)`: a returned item the user
    recently had one of those events with (from the data; event types match in any case)."""
    if len(parsed.expressions) != 1:
        return None
    expression = parsed.expressions[0]
    conditions = list(expression.conditions())
    if expression.include or len(conditions) != 1 or conditions[0].operator != "IN":
        return None
    (condition,) = conditions
    if condition.field.dataset != "Interactions":
        return None
    wanted = {
        (values[v.parameter] if v.parameter is not None else str(v.literal)).lower()
        for v in condition.values
    }
    recent: dict[str, list[str]] = {}
    mine = [r for r in data.interactions if r["USER_ID"] == user]
    for row in sorted(mine, key=lambda r: int(r["TIMESTAMP"])):  # oldest first
        recent.setdefault((row.get("EVENT_TYPE") or "").lower(), []).append(row["ITEM_ID"])
    excluded = {
        item
        for event_type, seen in recent.items()
        if "*" in wanted or event_type in wanted
        for item in seen[-RECENT_PER_EVENT_TYPE:]
    }
    return next((item for item in items if item in excluded), None)


def _holds(condition: fe.Condition, row: Mapping[str, str], values: Mapping[str, str]) -> bool:
    """Whether an Items row meets a condition (exact strings, numbers compared as numbers)."""
    field_value = next((v for k, v in row.items() if k.upper() == condition.field.name.upper()), "")
    wanted: list[Any] = []
    for value in condition.values:
        if value.parameter is not None:
            wanted.append(values[value.parameter])
        else:
            wanted.append(value.literal)
    if condition.operator in ("IN", "NOT IN"):
        parts = set(field_value.split("|"))
        hit = any(str(w) in parts for w in wanted)
        return hit if condition.operator == "IN" else not hit
    if field_value == "":
        return False
    left, right = float(field_value), float(wanted[0])
    return {
        "=": left == right,
        "!=": left != right,
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }[condition.operator]


StreamReader = Callable[[], tuple[list[Any], str, str]]


def run_exercise(system: Any, config: StackConfig, stream_records: StreamReader) -> Exercise:
    """Exercise every configured route; raise ExerciseError at the first wrong answer.

    `system` is the deployed system (request / invoke); `stream_records` reads the event stream:
    (records, stream ARN, region), for the forwarder.
    """
    data = StackData.load(config)
    exercise = Exercise(user=data.sample_user(), label_field=data.label_field() or "")
    client = Client(system, exercise)
    user = exercise.user
    query = {"userId": user, "numResults": str(NUM_RESULTS)}
    parsed = {name: fe.parse(text) for name, text in config.filters.items()}

    body = client.request(RECOMMEND, "GET", "/recommendations", f"user {user}", 200, query=query)
    exercise.before = body["recommendations"]
    if not exercise.before:
        raise ExerciseError(f"GET /recommendations returned nothing for {user}")
    for name, expression in parsed.items():
        if "CurrentItem" not in expression.datasets:  # only related-items requests have one
            _filtered(client, data, "/recommendations", query, name, expression)

    _send_events(client, system, data, exercise, stream_records)
    body = client.request(RECOMMEND, "GET", "/recommendations", f"user {user}", 200, query=query)
    exercise.after = body["recommendations"]
    model = config.model_for("recommendations")
    # User-Personalization folds a user's fresh events in at once; other recipes need not.
    learns = model is not None and model.recipe in EXPLORATION_RECIPES
    if learns and _item_ids(body) == [r["itemId"] for r in exercise.before]:
        raise ExerciseError("recommendations did not change after the user's events")

    if config.model_for("rankings") is not None:
        _rankings(client, data, user)
    if config.model_for("similar-items") is not None:
        history = data.history(user)
        similar = {
            "itemId": history[-1] if history else data.catalogue()[0],
            "numResults": str(NUM_RESULTS),
        }
        client.request(
            RECOMMEND, "GET", "/similar-items", f"item {similar['itemId']}", 200, query=similar
        )
        for name, expression in parsed.items():
            # Related-items requests carry no user, so no user history or user field applies.
            if not {"Interactions", "CurrentUser"} & expression.datasets:
                _filtered(client, data, "/similar-items", similar, name, expression)
    _catalog(client, data)
    return exercise


def _filtered(  # noqa: PLR0917  (one request's parts)
    client: Client,
    data: StackData,
    path: str,
    query: Mapping[str, str],
    name: str,
    expression: fe.Filter,
) -> None:
    """The request again with a filter, its parameters filled from the data."""
    values = {p: data.value_for(c) for p, c in expression.parameters.items()}
    filtered = {**query, "filter": name}
    filtered.update({f"filterValues[{p}]": v for p, v in values.items()})
    subject = f"user {query['userId']}" if "userId" in query else f"item {query['itemId']}"
    detail = f"{subject}, filter {name}" + "".join(f", {p}={v}" for p, v in values.items())
    answer = client.request(RECOMMEND, "GET", path, detail, 200, query=filtered)
    broken = check_items_filter(data, expression, values, _item_ids(answer))
    if broken is None and "userId" in query:
        broken = check_history_filter(data, query["userId"], expression, values, _item_ids(answer))
    if broken is not None:
        raise ExerciseError(
            f"{path} with filter {name} returned item {broken}, which the filter excludes: "
            f"{data.config.filters[name]}"
        )


def _rankings(client: Client, data: StackData, user: str) -> None:
    candidates = list(dict.fromkeys(data.history(user)[:3] + data.catalogue()))[:NUM_RESULTS]
    answer = client.request(
        RECOMMEND,
        "POST",
        "/rankings",
        f"user {user}, {len(candidates)} items",
        200,
        body={"userId": user, "itemIds": candidates},
    )
    if sorted(_item_ids(answer)) != sorted(candidates):
        raise ExerciseError(f"POST /rankings did not rank exactly the items sent: {answer}")


def _catalog(client: Client, data: StackData) -> None:
    if data.items and "Items" in data.schemas:
        record = data.item_record("rehearsal-item-0001")
        client.request(CATALOG, "POST", "/items", "a new item", 200, body={"items": [record]})
    if data.users and "Users" in data.schemas:
        record = data.user_record("rehearsal-user-0001")
        client.request(CATALOG, "POST", "/users", "a new user", 200, body={"users": [record]})


def _send_events(
    client: Client,
    system: Any,
    data: StackData,
    exercise: Exercise,
    stream_records: StreamReader,
) -> None:
    exercise.event_type = data.event_type()
    exercise.sent = data.unfamiliar_items(exercise.user, EVENTS_TO_SEND)
    value = data.event_value(exercise.event_type)
    events: list[dict[str, Any]] = []
    for item in exercise.sent:
        event: dict[str, Any] = {"itemId": item, "eventType": exercise.event_type}
        if value is not None:
            event["eventValue"] = value
        events.append(event)
    client.request(
        INGEST,
        "POST",
        "/events",
        f"user {exercise.user}, {len(events)} {exercise.event_type} events",
        202,
        body={"userId": exercise.user, "events": events},
    )
    records, stream_arn, region = stream_records()
    if len(records) != len(events):
        raise ExerciseError(f"{len(events)} events posted but {len(records)} on the stream")
    result = system.invoke(FORWARD, kinesis_event(records, stream_arn, region=region))
    failures = result.get("batchItemFailures") or []
    exercise.forwarded = {"records": len(records), "failures": failures}
    if failures:
        raise ExerciseError(f"the forwarder reported failures: {failures}")
