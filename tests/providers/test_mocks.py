"""The resources under Pulumi mocks: type tokens, inputs, and a provider that pickles by reference."""

from __future__ import annotations

import asyncio
import base64
import pickle
from pathlib import Path
from typing import Any

import dill
import pulumi
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc

import providers
from local.provider_host import serialized
from local.pulumi_pickle import sdk_pickle_patch_undone
from providers.campaign import CampaignProvider
from providers.dataset import DatasetProvider
from providers.dataset_group import DatasetGroupProvider
from providers.dataset_import_job import DatasetImportJobProvider
from providers.event_tracker import EventTrackerProvider
from providers.filter import FilterProvider
from providers.schema import SchemaProvider
from providers.solution import SolutionProvider
from providers.solution_version import SolutionVersionProvider

REGION = "us-east-1"
DSG = "arn:aws:personalize:us-east-1:123456789012:dataset-group/demo"


class Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.created: dict[str, pulumi.runtime.MockResourceArgs] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.created[args.name] = args
        outs = dict(args.inputs)
        outs.update({"arn": f"arn:mock:{args.name}", "status": "ACTIVE"})
        if args.typ.endswith(":EventTracker"):
            outs["tracking_id"] = "track-1"
        return f"{args.name}-id", outs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


@pytest.fixture
def mocks():
    # Pulumi's test decorator runs on the thread's current loop; earlier tests may have closed it.
    asyncio.set_event_loop(asyncio.new_event_loop())
    m = Mocks()
    pulumi.runtime.set_mocks(m, preview=False)
    return m


def build() -> dict[str, pulumi.CustomResource]:
    group = providers.DatasetGroup("group", name="demo", region=REGION, tags={"team": "recs"})
    schema = providers.Schema("schema", name="demo-int", schema='{"type":"record"}', region=REGION)
    dataset = providers.Dataset(
        "interactions",
        name="demo-int",
        dataset_group_arn=group.arn,
        dataset_type="Interactions",
        schema_arn=schema.arn,
        region=REGION,
    )
    job = providers.DatasetImportJob(
        "import",
        job_name="demo-int-abc123",
        dataset_arn=dataset.arn,
        data_location="s3://bucket/interactions.csv",
        role_arn="arn:aws:iam::123456789012:role/personalize",
        region=REGION,
    )
    solution = providers.Solution(
        "solution",
        name="demo-up",
        dataset_group_arn=group.arn,
        recipe_arn="arn:aws:personalize:::recipe/aws-user-personalization",
        region=REGION,
        opts=pulumi.ResourceOptions(depends_on=[job]),
    )
    version = providers.SolutionVersion(
        "version",
        solution_arn=solution.arn,
        training_inputs="sha256:abc",
        quality_gate={"precision_at_10": 0.05},
        region=REGION,
    )
    campaign = providers.Campaign(
        "campaign",
        name="demo-up",
        solution_version_arn=version.arn,
        min_provisioned_tps=2,
        region=REGION,
    )
    tracker = providers.EventTracker(
        "tracker", name="demo", dataset_group_arn=group.arn, region=REGION
    )
    flt = providers.Filter(
        "filter",
        name="demo-unseen",
        dataset_group_arn=DSG,
        filter_expression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")',
        region=REGION,
    )
    return {
        "group": group,
        "schema": schema,
        "interactions": dataset,
        "import": job,
        "solution": solution,
        "version": version,
        "campaign": campaign,
        "tracker": tracker,
        "filter": flt,
    }


EXPECTED = {
    "group": ("DatasetGroup", DatasetGroupProvider),
    "schema": ("Schema", SchemaProvider),
    "interactions": ("Dataset", DatasetProvider),
    "import": ("DatasetImportJob", DatasetImportJobProvider),
    "solution": ("Solution", SolutionProvider),
    "version": ("SolutionVersion", SolutionVersionProvider),
    "campaign": ("Campaign", CampaignProvider),
    "tracker": ("EventTracker", EventTrackerProvider),
    "filter": ("Filter", FilterProvider),
}


@pulumi.runtime.test
def test_types_inputs_and_outputs(mocks):
    res = build()

    def verify(values):
        arns, tracking_id, tps, group_name = values
        assert group_name == "demo"
        for name, (kind, provider_cls) in EXPECTED.items():
            args = mocks.created[name]
            assert args.typ == f"pulumi-python:dynamic/personalize:{kind}"
            assert args.inputs["region"] == REGION
            # The provider travels by reference: small, and it unpickles to the module's class.
            # Marked secret, as the SDK always does for the serialized provider.
            assert rpc.is_rpc_secret(args.inputs["__provider"])
            blob = rpc.unwrap_rpc_secret(args.inputs["__provider"])
            assert blob == serialize_provider(provider_cls())
            assert len(base64.b64decode(blob)) < 300
            assert type(dill.loads(base64.b64decode(blob))) is provider_cls
        assert mocks.created["group"].inputs["tags"] == {"team": "recs"}
        assert mocks.created["interactions"].inputs["dataset_group_arn"] == "arn:mock:group"
        assert mocks.created["interactions"].inputs["dataset_type"] == "Interactions"
        assert mocks.created["import"].inputs["import_mode"] == "FULL"
        assert mocks.created["solution"].inputs["perform_auto_training"] is False
        assert mocks.created["version"].inputs["training_mode"] == "FULL"
        assert mocks.created["version"].inputs["quality_gate"] == {"precision_at_10": 0.05}
        assert mocks.created["campaign"].inputs["solution_version_arn"] == "arn:mock:version"
        assert tps == 2
        assert tracking_id == "track-1"
        assert arns["campaign"] == "arn:mock:campaign"

    return pulumi.Output.all(
        pulumi.Output.all(**{k: r.arn for k, r in res.items()}),  # type: ignore[attr-defined]
        res["tracker"].tracking_id,  # type: ignore[attr-defined]
        res["campaign"].min_provisioned_tps,  # type: ignore[attr-defined]
        res["group"].name,  # type: ignore[attr-defined]
    ).apply(verify)


def test_provider_modules_import_without_boto3():
    import subprocess
    import sys

    code = (
        "import sys, providers; "
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules, 'boto3 imported'"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


def test_serializing_providers_many_times_leaves_pickle_as_it_was() -> None:
    # The SDK's serializer wraps its own patch of pickle on every call; unchecked, a test run that
    # drives the provider host a few hundred times ends in RecursionError.
    pickler: Any = pickle._Pickler  # type: ignore[attr-defined,unused-ignore]
    before = pickler._batch_setitems
    for _ in range(1500):
        serialized(SolutionProvider())
    assert pickler._batch_setitems is before


def test_the_sdk_serializer_leaves_pickle_as_it_was_inside_the_undo() -> None:
    # What tests/conftest.py wraps each test in: a program under mocks calls the SDK's serializer
    # itself, once per dynamic resource, so the undo must hold for the serializer as called there.
    pickler: Any = pickle._Pickler  # type: ignore[attr-defined,unused-ignore]
    before = (pickler._batch_setitems, pickler.save_dict)
    with sdk_pickle_patch_undone():
        serialize_provider(SolutionProvider())
        assert pickler._batch_setitems is not before[0]  # the SDK did patch it
    assert (pickler._batch_setitems, pickler.save_dict) == before
