"""Case rules: what the service matches without regard to case, and what it matches exactly.

"Amazon Personalize ignores case only when matching event types" is about values. Identifiers
(keywords, dataset and field names) are written in other cases by AWS's own code, and work.
"""

from __future__ import annotations

import pytest

from local.personalize_emulator import Options, run_emulator

from ..conftest import BUCKET, Clients
from ..helpers import INTERACTIONS_SCHEMA, Synthetic, poll, wait_status
from .conftest import Store


def test_filter_identifiers_in_the_case_aws_samples_write_them(store: Store) -> None:
    """Keywords, the ItemID target, dataset and field names in any case.

    Sources: the retail demo store creates `... WHERE INTERACTIONS.event_type IN ("Purchase")` and
    `... WHERE ITEMS.CATEGORY_L1 NOT IN (...)` (aws-samples/retail-demo-store,
    src/aws-lambda/personalize-pre-create-resources/personalize_pre_create_resources.py); the
    developer guide's Python example filters with `EXCLUDE itemId WHERE INTERACTIONS.EVENT_TYPE in
    (...)` (https://docs.aws.amazon.com/personalize/latest/dg/filter-real-time.html).
    """
    user = "u00003"
    watched = store.history(user, "watch")
    arn = store.make_filter('include itemId where interactions.event_type in ("watch")')
    got = store.recommend(userId=user, numResults=100, filterArn=arn)
    assert got
    assert set(got) <= watched
    arn = store.make_filter('EXCLUDE ItemID WHERE ITEMS.genres NOT IN ("Horror")')
    horror = store.recommend(userId=user, numResults=30, filterArn=arn)
    assert horror
    assert all("Horror" in store.genres(i) for i in horror)


def test_event_types_match_without_regard_to_case(store: Store) -> None:
    """Event type values in a filter match recorded event types in any case, fixed or passed as a
    parameter.

    Source: "Amazon Personalize ignores case only when matching event types"
    (https://docs.aws.amazon.com/personalize/latest/dg/filter-expression-guidelines-requirements.html);
    the retail demo store filters on "Purchase" for events it records as "Purchase".
    """
    user = "u00005"
    watched = store.history(user, "watch")
    fixed = store.make_filter('INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("WATCH")')
    assert set(store.recommend(userId=user, numResults=100, filterArn=fixed)) <= watched
    param = store.make_filter("INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($TYPE)")
    got = store.recommend(
        userId=user, numResults=100, filterArn=param, filterValues={"TYPE": '"Watch"'}
    )
    assert got
    assert set(got) <= watched


def test_item_values_match_exactly(store: Store) -> None:
    """Item metadata values are compared as exact strings: another case matches nothing.

    Source: "Amazon Personalize ignores case only when matching event types" and "IN / NOT IN ...
    Amazon Personalize filters only on exact strings"
    (https://docs.aws.amazon.com/personalize/latest/dg/creating-filter-expressions.html).
    """
    arn = store.make_filter("INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)")
    exact = store.recommend(
        userId="u00007", numResults=20, filterArn=arn, filterValues={"GENRE": '"Horror"'}
    )
    assert exact
    assert all("Horror" in store.genres(i) for i in exact)
    other_case = store.recommend(
        userId="u00007", numResults=20, filterArn=arn, filterValues={"GENRE": '"horror"'}
    )
    assert other_case == []


def test_parameter_names_match_in_their_own_case(store: Store) -> None:
    """filterValues keys are the parameter names "in matching case"; an INCLUDE filter whose
    parameter has no value is refused.

    Source: GetRecommendations, filterValues
    (https://docs.aws.amazon.com/personalize/latest/dg/API_RS_GetRecommendations.html).
    """
    arn = store.make_filter("INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)")
    with pytest.raises(store.clients.runtime.exceptions.InvalidInputException, match="GENRE"):
        store.recommend(userId="u00007", filterArn=arn, filterValues={"genre": '"Horror"'})


def _import(clients: Clients, name: str, body: str, options: Options | None = None) -> str:
    pz = clients.pz
    group = pz.create_dataset_group(name=name)["datasetGroupArn"]
    wait_status(poll(pz.describe_dataset_group, "datasetGroup", datasetGroupArn=group))
    schema = pz.create_schema(name=name, schema=INTERACTIONS_SCHEMA)["schemaArn"]
    dataset = pz.create_dataset(
        name=name, datasetGroupArn=group, datasetType="INTERACTIONS", schemaArn=schema
    )["datasetArn"]
    wait_status(poll(pz.describe_dataset, "dataset", datasetArn=dataset))
    clients.s3.put_object(Bucket=BUCKET, Key=f"{name}.csv", Body=body.encode())
    job = pz.create_dataset_import_job(
        jobName=name, datasetArn=dataset, dataSource={"dataLocation": f"s3://{BUCKET}/{name}.csv"}
    )["datasetImportJobArn"]
    done = wait_status(
        poll(pz.describe_dataset_import_job, "datasetImportJob", datasetImportJobArn=job),
        wanted=("ACTIVE", "CREATE FAILED"),
        failed=(),
    )
    return f"{done['status']}: {done.get('failureReason', '')}"


def _reordered_lower_case_csv(data: Synthetic) -> str:
    header, *rows = data.interactions_csv().splitlines()
    assert header == "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP"
    swapped = [",".join([r.split(",")[1], r.split(",")[0], *r.split(",")[2:]]) for r in rows]
    return "\n".join(["item_id,user_id,event_type,timestamp", *swapped]) + "\n"


def test_csv_headers_map_to_schema_fields_in_any_order_and_case(
    clients: Clients, data: Synthetic
) -> None:
    """An import maps CSV columns to schema fields by header, not by position; the dataset type
    may be written in capitals.

    Sources: "The column headers in your CSV file need to map to the schema"
    (https://docs.aws.amazon.com/personalize/latest/dg/data-prep-formatting.html); the retail demo
    store creates datasets with datasetType "INTERACTIONS" and an Interactions schema that starts
    with ITEM_ID (personalize_pre_create_resources.py). Header case is undocumented: the emulator
    maps headers without regard to case by default (README, "Known differences").
    """
    assert _import(clients, "headers", _reordered_lower_case_csv(data)) == "ACTIVE: "


def test_strict_csv_headers_option_refuses_another_case(moto_url: str, data: Synthetic) -> None:
    """The stricter reading of the undocumented header rule, for users who want it.

    Source: undocumented (README, "Known differences"); Options.strict_csv_headers.
    """
    import boto3  # type: ignore[import-untyped,unused-ignore]

    from tests.conftest import REGION

    from ..conftest import NO_RETRY

    with run_emulator(s3_endpoint_url=moto_url, options=Options(strict_csv_headers=True)) as emu:
        clients = Clients(
            boto3.client("personalize", region_name=REGION, endpoint_url=emu.url, config=NO_RETRY),
            None,
            None,
            boto3.client("s3", region_name=REGION, endpoint_url=moto_url),
        )
        result = _import(clients, "strict", _reordered_lower_case_csv(data))
    assert result.startswith("CREATE FAILED")
    assert "item_id" in result
