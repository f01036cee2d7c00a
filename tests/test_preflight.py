"""Preflight at preview: filter expressions against the schemas, unknown config namespaces and
CSV byte-order marks, each reported by config key or file before any resource is registered."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

from components import filter_expression as fe
from components import preflight
from components.api import first_user
from components.config import ConfigError, load_stack_config, namespace_problems
from components.csv_text import open_csv
from components.data_check import check_dataset_file, load_schema
from local.program import load_config
from tests.stack_harness import ROOT, Registration, run_program

FILTERS = "personalize-realtime:filters"
SHOP = ROOT / "examples/shop"
SCHEMAS = {
    "Interactions": fe.schema_fields(load_schema(ROOT / "data/schemas/interactions.avsc")),
    "Items": fe.schema_fields(load_schema(ROOT / "data/schemas/items.avsc")),
    "Users": fe.schema_fields(load_schema(ROOT / "data/schemas/users.avsc")),
}


def problems_of(expression: str, *, related: bool = True) -> list[str]:
    return fe.check(fe.parse(expression), SCHEMAS, related_items_model=related)


@pytest.mark.parametrize(
    "expression",
    [
        # The developer guide's own examples and the spellings AWS's samples use.
        'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")',
        'EXCLUDE ItemID WHERE Interactions.event_type IN ("*")',
        'INCLUDE ItemID WHERE ITEMS.GENRES IN ("Comedy", "Drama")',
        "INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)",
        "INCLUDE ItemID WHERE Items.YEAR >= 2000 AND Items.YEAR < $BEFORE",
        "INCLUDE ItemID WHERE Items.GENRES IN (CurrentItem.GENRES)",
        'INCLUDE ItemID WHERE Items.GENRES IN ("Action") IF CurrentUser.TIER IN ("premium")',
        'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch") | '
        "INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)",
        'INCLUDE ItemID WHERE items.genres NOT IN ("Horror") OR items.year = 1999',
        # As aws-samples/retail-demo-store writes it.
        "INCLUDE ItemID WHERE ITEMS.GENRES IN CurrentItem.GENRES",
        # The format the CreateFilter API reference gives.
        'EXCLUDE itemId WHERE INTERACTIONS.event_type in ("watch")',
    ],
)
def test_valid_expressions_pass(expression: str) -> None:
    assert problems_of(expression) == []


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch"', "expected ) to close"),
        ("INCLUDE ItemID WHER Items.GENRES IN ($G)", "expected WHERE at character 16"),
        ("INCLUDE ItemID WHERE Items.GENRES IN ($)", "a parameter name after $"),
        ("INCLUDE ItemID WHERE Items.GENRES IN ($G) extra", "| to chain another expression"),
        ("INCLUDE ItemID WHERE Genres IN ($G)", "a dataset field"),
        ("INCLUDE ItemID WHERE Actions.X IN ($C)", "a dataset field"),
        ("", "empty"),
        ("INCLUDE ItemID WHERE Items.GENRES IN ($G)" + " " * 2500, "at most 2500"),
    ],
)
def test_syntax_errors_say_where(expression: str, expected: str) -> None:
    with pytest.raises(fe.FilterSyntaxError, match=re.escape(expected)):
        fe.parse(expression)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("INCLUDE ItemID WHERE Items.CATEGORY IN ($C)", "the Items schema has no field CATEGORY"),
        ('EXCLUDE ItemID WHERE Interactions.ITEM_ID IN ("m1")', "by EVENT_TYPE only"),
        ("INCLUDE ItemID WHERE Items.GENRES > 3", "compares numbers only"),
        ("EXCLUDE ItemID WHERE Items.GENRES NOT IN ($G)", "NOT IN cannot take a parameter"),
        (
            'INCLUDE ItemID WHERE Items.GENRES IN ("a") AND Interactions.EVENT_TYPE IN ("w")',
            "chain expressions with |",
        ),
        ('INCLUDE UserID WHERE Users.TIER IN ("free")', "use ItemID"),
        ('INCLUDE ItemID WHERE CurrentUser.TIER IN ("free")', "only appear after IF"),
        ("INCLUDE ItemID WHERE Items.GENRES IN (CurrentItem.GENRE)", "no field GENRE"),
    ],
)
def test_rule_breaks_are_named(expression: str, expected: str) -> None:
    problems = problems_of(expression)
    assert any(expected in p for p in problems), problems


def test_current_item_needs_a_related_items_model() -> None:
    expression = "INCLUDE ItemID WHERE Items.GENRES IN (CurrentItem.GENRES)"
    assert problems_of(expression, related=True) == []
    (problem,) = problems_of(expression, related=False)
    assert "aws-similar-items or aws-sims" in problem


def test_textual_and_boolean_fields_cannot_be_filtered() -> None:
    schemas = {
        "Items": (
            fe.SchemaField("ITEM_ID", "string"),
            fe.SchemaField("DESCRIPTION", "string", textual=True),
            fe.SchemaField("ON_SALE", "boolean"),
        )
    }
    for field, expected in (("DESCRIPTION", "textual"), ("ON_SALE", "boolean")):
        parsed = fe.parse(f'INCLUDE ItemID WHERE Items.{field} IN ("x")')
        problems = fe.check(parsed, schemas, related_items_model=False)
        assert any(expected in p for p in problems), problems


def test_at_most_ten_fields_per_filter_and_twenty_per_dataset_group() -> None:
    schemas = {"Items": tuple(fe.SchemaField(f"F{i}", "int") for i in range(25))}
    wide = fe.parse("INCLUDE ItemID WHERE " + " AND ".join(f"Items.F{i} > 0" for i in range(11)))
    assert any("at most 10" in p for p in fe.check(wide, schemas, related_items_model=False))
    group = {
        f"f{n}": fe.parse(
            "INCLUDE ItemID WHERE " + " AND ".join(f"Items.F{n * 7 + i} > 0" for i in range(7))
        )
        for n in range(3)
    }
    assert any("at most 20" in p for p in fe.check_dataset_group(group))


def test_a_bad_filter_fails_at_preview_by_its_config_key() -> None:
    registered: dict[str, Registration] = {}
    with pytest.raises(ConfigError) as raised:
        run_program(
            "dev",
            {FILTERS: {"by-price": "INCLUDE ItemID WHERE Items.PRICE <= $MAX"}},
            registered,
        )
    assert "filters.by-price: Items.PRICE: the Items schema has no field PRICE" in str(raised.value)
    assert not [r for r in registered.values() if r.custom], "nothing may be created first"


def test_a_misspelt_namespace_is_reported() -> None:
    registered: dict[str, Registration] = {}
    with pytest.raises(ConfigError) as raised:
        run_program("dev", {"personalize-realtme:filters": {"x": "EXCLUDE"}}, registered)
    assert "personalize-realtme:filters is in namespace 'personalize-realtme'" in str(raised.value)
    assert "did you mean personalize-realtime:filters?" in str(raised.value)
    assert not [r for r in registered.values() if r.custom]


def test_a_misspelt_namespace_is_reported_with_the_key_problems_it_causes() -> None:
    # A misspelt `datasets` namespace leaves datasets.interactions unset: both are listed at once,
    # so the message that is only a consequence comes with its cause.
    dev_datasets = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8"))["config"][
        "personalize-realtime:datasets"
    ]
    with pytest.raises(ConfigError) as raised:
        run_program(
            "dev",
            {"personalize-realtime:datasets": None, "personalize-realtme:datasets": dev_datasets},
        )
    assert "datasets.interactions is required" in str(raised.value)
    assert "did you mean personalize-realtime:datasets?" in str(raised.value)


def test_other_programs_namespaces_are_left_alone() -> None:
    keys = ["aws:region", "pulumi:tags", "personalize-realtime:models", "command:x", "app:y"]
    assert namespace_problems(keys, "personalize-realtime") == []


def test_shop_example_filters_pass_preflight() -> None:
    config = load_stack_config(
        "personalize-realtime",
        "shop",
        {
            "datasets": {
                "interactions": {
                    "file": "examples/shop/interactions.csv",
                    "schema": "examples/shop/schemas/interactions.avsc",
                },
                "items": {
                    "file": "examples/shop/items.csv",
                    "schema": "examples/shop/schemas/items.avsc",
                },
            },
            "models": [
                {"name": "picks", "recipe": "aws-user-personalization"},
                {"name": "related", "recipe": "aws-sims"},
            ],
            "filters": {
                "bought": 'EXCLUDE ItemID WHERE INTERACTIONS.event_type IN ("purchase")',
                "same-category": "INCLUDE ItemID WHERE Items.CATEGORY IN (CurrentItem.CATEGORY)",
                "cheap": "INCLUDE ItemID WHERE items.price <= $MAX_PRICE",
            },
        },
    )
    assert preflight.filter_problems(config) == []


def write_with_bom(source: Path, target: Path) -> Path:
    target.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
    return target


def test_a_byte_order_mark_reads_the_same_everywhere(tmp_path: Path) -> None:
    plain = ROOT / "data/interactions.csv"
    marked = write_with_bom(plain, tmp_path / "interactions.csv")
    schema = load_schema(ROOT / "data/schemas/interactions.avsc")
    assert check_dataset_file(marked, schema, "Interactions").columns == (
        check_dataset_file(plain, schema, "Interactions").columns
    )
    with open_csv(marked) as a, open_csv(plain) as b:
        assert list(csv.DictReader(a)) == list(csv.DictReader(b))
    # The smoke test's user came out missing ("has no USER_ID rows") before.
    config = load_stack_config(
        "personalize-realtime",
        "dev",
        {"datasets": {"interactions": str(marked)}, "api": {"smokeTest": True}},
    )
    with open_csv(plain) as handle:
        assert first_user(config) == next(csv.DictReader(handle))["USER_ID"]


@pytest.mark.parametrize(
    "expression",
    [
        'EXCLUDE itemId WHERE INTERACTIONS.event_type in ("watch")',
        "INCLUDE ItemID WHERE ITEMS.genres IN ($GENRE)",
        "INCLUDE ItemID WHERE items.Year >= 2000",
    ],
)
def test_the_emulator_matches_identifiers_in_any_case_too(expression: str) -> None:
    # The rehearsal's emulator must accept what the preflight accepts, or a valid stack could
    # only fail locally; and event types match in any case (the guide's one case-blind rule).
    from local.personalize_emulator import filtering, filters

    assert problems_of(expression) == []
    parsed = filters.parse(expression)
    context = filtering.Context(
        items={"m1": {"ITEM_ID": "m1", "GENRES": "Comedy", "YEAR": 2001}},
        item_fields=["ITEM_ID", "GENRES", "YEAR"],
        user_events={"m1": {"watch"}},
    )
    passes = filtering.compile_filter(parsed, {"GENRE": '"Comedy"'}, context)
    assert passes("m1") is expression.upper().startswith("INCLUDE")


def test_the_rehearsal_checks_the_stack_files_own_region(tmp_path: Path) -> None:
    # The rehearsal deploys in a region of its own; the file's aws:region is still held to the
    # regions where Personalize has an endpoint, as `pulumi preview` holds it.
    document = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    document["config"]["aws:region"] = "mars-north-1"
    path = tmp_path / "Pulumi.elsewhere.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config("elsewhere", file=path)
    assert 'aws:region "mars-north-1" has no Amazon Personalize endpoint' in str(raised.value)
