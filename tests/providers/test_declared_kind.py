"""A kind made of a declaration alone, run by the generic provider through the real provider host.

``ScratchFilter`` is declared here with no hook at all: Check, Diff, the Create request,
Describe/List/Delete, adoption and its mismatch report, live inputs on Read and the Resource all
come from the ``Kind``. The host unpickles the provider by reference to this module, as it would
a kind of the ``providers`` package.
"""

from __future__ import annotations

import time
from typing import Any

import pulumi
import pulumi.dynamic
import pytest

import providers
from local.provider_host import ProviderHost, ProviderHostError
from providers.declaration import NAME, Field, Kind
from providers.provider import PersonalizeProvider
from providers.resource import KindResource
from tests.conftest import REGION

from .engine import change, destroy, up

SCRATCH_FILTER = Kind(
    label="scratch filter",
    noun="filter",
    fields={
        "name": Field("name", required=True),
        "dataset_group_arn": Field("datasetGroupArn", required=True, arn_of="dataset-group"),
        "filter_expression": Field("filterExpression", required=True, live=True),
    },
    parent="dataset_group_arn",
    list_key="Filters",
)


class ScratchFilterProvider(PersonalizeProvider):
    declaration = SCRATCH_FILTER


class ScratchFilter(KindResource, module="personalize", name="ScratchFilter"):
    provider_class = ScratchFilterProvider


UNSEEN = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")'
UNCLICKED = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'


def active_group(pz: Any, name: str) -> str:
    arn = str(pz.create_dataset_group(name=name)["datasetGroupArn"])
    deadline = time.monotonic() + 10
    while pz.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"] != "ACTIVE":
        assert time.monotonic() < deadline, "dataset group did not become ACTIVE"
        time.sleep(0.02)
    return arn


def test_declared_kind_checks_creates_reads_updates_replaces_adopts_and_deletes(
    host: ProviderHost, pz: Any, unique: str
) -> None:
    provider = ScratchFilterProvider()
    group = active_group(pz, f"{unique}-scratch")
    inputs = {"name": f"{unique}-f", "dataset_group_arn": group, "filter_expression": UNSEEN}

    checked = host.check(provider, {**inputs, "dataset_group_arn": "not-an-arn"})
    assert [f["property"] for f in checked["failures"]] == ["dataset_group_arn"]
    assert "dataset-group ARN" in checked["failures"][0]["reason"]
    missing = host.check(provider, {"name": f"{unique}-f", "region": REGION})
    assert {f["property"] for f in missing["failures"]} == {
        "dataset_group_arn",
        "filter_expression",
    }

    state = up(host, provider, {**inputs, "region": REGION})
    described = pz.describe_filter(filterArn=state.id)["filter"]
    assert (described["name"], described["filterExpression"]) == (inputs["name"], UNSEEN)
    assert state.outs["status"] == "ACTIVE"
    assert state.outs["arn"] == state.id

    # Read reports the expression the service holds, not the one in the state.
    read = host.read(provider, state.id, {**state.outs, "filter_expression": UNCLICKED})
    assert read["outs"]["filter_expression"] == UNSEEN

    # Tags change in place; the expression replaces (same name: delete first).
    retagged = change(host, state, {**state.inputs, "tags": {"owner": "ml"}})
    assert retagged.steps == ["update"]
    tags = pz.list_tags_for_resource(resourceArn=retagged.id)["tags"]
    assert tags == [{"tagKey": "owner", "tagValue": "ml"}]
    replaced = change(host, retagged, {**retagged.inputs, "filter_expression": UNCLICKED})
    assert replaced.steps == ["delete", "create"]

    # An interrupted create is adopted by name when it matches, and explained when it does not.
    adopted = up(host, ScratchFilterProvider(), dict(replaced.inputs))
    assert adopted.id == replaced.id
    with pytest.raises(ProviderHostError) as failure:
        up(host, provider, {**replaced.inputs, "filter_expression": UNSEEN})
    assert "scratch filter" in failure.value.details
    assert "filter_expression: wanted" in failure.value.details

    destroy(host, replaced)
    with pytest.raises(pz.exceptions.ResourceNotFoundException):
        pz.describe_filter(filterArn=replaced.id)


def test_declared_kind_resource_takes_the_declared_inputs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: dict[str, Any] = {}

    def record(_self: Any, provider: Any, name: str, props: dict[str, Any], _opts: Any) -> None:
        sent.update(provider=provider, name=name, props=props)

    monkeypatch.setattr(pulumi.dynamic.Resource, "__init__", record)
    ScratchFilter("f", name="n", dataset_group_arn="g", filter_expression=UNSEEN, region=REGION)
    assert type(sent["provider"]) is ScratchFilterProvider
    assert set(sent["props"]) == {
        *SCRATCH_FILTER.fields,
        "region",
        "tags",
        "arn",
        "status",
    }
    assert ScratchFilter._resource_type_name == "dynamic/personalize:ScratchFilter"
    with pytest.raises(TypeError, match=r"unknown input.*filter_expresion.*missing input"):
        ScratchFilter("f", name="n", dataset_group_arn="g", filter_expresion=UNSEEN, region=REGION)


# The property names each kind's Resource sends: the names of existing stacks' states, which must
# not change (a renamed or dropped property would show as a diff on every stack).
STATE_PROPERTIES = {
    providers.DatasetGroup: "name region tags arn status",
    providers.Schema: "name schema region arn status",
    providers.Dataset: "name dataset_group_arn dataset_type schema_arn region tags arn status",
    providers.DatasetImportJob: (
        "job_name dataset_arn data_location role_arn import_mode region arn status"
    ),
    providers.Solution: (
        "name dataset_group_arn recipe_arn perform_auto_training auto_training_schedule "
        "perform_hpo event_type solution_config region tags arn status"
    ),
    providers.SolutionVersion: (
        "solution_arn training_mode name training_inputs quality_gate region arn status metrics"
    ),
    providers.Campaign: (
        "name solution_version_arn min_provisioned_tps campaign_config recipe_type region tags "
        "arn status"
    ),
    providers.EventTracker: "name dataset_group_arn region tags arn status tracking_id",
    providers.Filter: "name dataset_group_arn filter_expression region tags arn status",
}


@pytest.mark.parametrize("resource", list(STATE_PROPERTIES), ids=lambda r: r.__name__)
def test_each_kind_sends_the_property_names_of_existing_states(
    resource: type[KindResource], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: dict[str, Any] = {}

    def record(_self: Any, _provider: Any, _name: str, props: dict[str, Any], _opts: Any) -> None:
        sent.update(props)

    monkeypatch.setattr(pulumi.dynamic.Resource, "__init__", record)
    required: dict[str, Any] = {k: "x" for k in resource.provider_class.declaration.required}
    resource("r", region=REGION, **required)
    assert set(sent) == set(STATE_PROPERTIES[resource].split())
    assert resource._resource_type_name == f"dynamic/personalize:{resource.__name__}"


KINDS = [resource.provider_class.declaration for resource in STATE_PROPERTIES] + [SCRATCH_FILTER]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.label)
def test_each_declaration_names_operations_and_keys_of_the_service_model(kind: Kind) -> None:
    """Create/Describe/List/Delete by the noun, and every field's API name, are the model's."""
    import botocore.session  # type: ignore[import-untyped,unused-ignore]

    model = botocore.session.get_session().get_service_model("personalize")
    noun = "".join(part.title() for part in kind.noun.split("_"))
    create = model.operation_model(f"Create{noun}")
    assert kind.arn_key in create.output_shape.members
    describe = model.operation_model(f"Describe{noun}")
    assert list(describe.input_shape.required_members) == [kind.arn_key]
    described = describe.output_shape.members[kind.camel]
    listed = model.operation_model(f"List{noun}s").output_shape.members
    assert (kind.list_key or f"{kind.camel}s") in listed
    if kind.has_delete:
        assert kind.arn_key in model.operation_model(f"Delete{noun}").input_shape.members
    for key, spec in kind.fields.items():
        if spec.api is None:
            continue
        head, _, rest = spec.api.partition(".")
        assert head in create.input_shape.members, f"{kind.label}.{key}: {spec.api}"
        assert head in described.members, f"{kind.label}.{key}: {spec.api}"
        if rest:
            assert rest in create.input_shape.members[head].members


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name_key": "title"}, "name_key names title, not a declared field"),
        ({"parent": "group"}, "parent names group, not a declared field"),
        ({"slot": ("name", "group")}, "slot names group, not a declared field"),
        ({"fields": {"name": NAME, "group": Field()}, "parent": "group"}, "has no API name"),
    ],
)
def test_a_declaration_naming_an_undeclared_input_fails_by_name(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Kind(**{"label": "scratch", "noun": "filter", "fields": {"name": NAME}, **changes})
