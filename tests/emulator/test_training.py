"""Imports that really read S3, training minimums, honest metrics and auto-training."""

from __future__ import annotations

import pytest

from local.personalize_emulator import recommender
from tests.conftest import SOLUTION_METRICS

from .conftest import BUCKET, Clients
from .helpers import INTERACTIONS_SCHEMA, RECIPE, Synthetic, deploy, poll, synthetic, wait_status


def _interactions(data: Synthetic) -> list[recommender.Interaction]:
    return [recommender.Interaction(u, i, float(t), e) for u, i, e, t in data.interactions]


def _group_with_dataset(clients: Clients, name: str) -> tuple[str, str]:
    pz = clients.pz
    group = pz.create_dataset_group(name=name)["datasetGroupArn"]
    wait_status(lambda: pz.describe_dataset_group(datasetGroupArn=group)["datasetGroup"])
    schema = pz.create_schema(name=f"{name}-schema", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    dataset = pz.create_dataset(
        name=name, datasetGroupArn=group, datasetType="Interactions", schemaArn=schema
    )
    wait_status(lambda: pz.describe_dataset(datasetArn=dataset["datasetArn"])["dataset"])
    return group, dataset["datasetArn"]


def _import(clients: Clients, dataset: str, name: str, body: str) -> dict:
    clients.s3.put_object(Bucket=BUCKET, Key=f"{name}.csv", Body=body.encode())
    job = clients.pz.create_dataset_import_job(
        jobName=name, datasetArn=dataset, dataSource={"dataLocation": f"s3://{BUCKET}/{name}.csv"}
    )["datasetImportJobArn"]
    return wait_status(
        lambda: clients.pz.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"],
        wanted=("ACTIVE", "CREATE FAILED"),
        failed=(),
    )


def test_import_checks_the_csv_against_the_schema(clients: Clients, data: Synthetic) -> None:
    _, dataset = _group_with_dataset(clients, "imports")
    good = data.interactions_csv()
    header, *rows = good.splitlines()
    cases = {
        "missing-column": (
            "USER_ID,ITEM_ID,EVENT_TYPE\nu1,m1,click\n",
            "missing required columns: ['TIMESTAMP']",
        ),
        "extra-column": (good.replace(header, header + ",COLOUR", 1), "not in the schema"),
        "bad-long": (
            header + "\n" + "\n".join(rows[:5]) + "\nu1,m1,click,yesterday\n",
            "column TIMESTAMP",
        ),
        "empty-required": (header + "\n,m1,click,1\n", "not nullable"),
        "too-few": (header + "\n" + "\n".join(rows[:999]) + "\n", "at least 1000 interactions"),
    }
    for name, (body, _) in cases.items():
        clients.s3.put_object(Bucket=BUCKET, Key=f"{name}.csv", Body=body.encode())
    jobs = {
        name: clients.pz.create_dataset_import_job(
            jobName=name,
            datasetArn=dataset,
            dataSource={"dataLocation": f"s3://{BUCKET}/{name}.csv"},
        )["datasetImportJobArn"]
        for name in cases
    }
    for name, arn in jobs.items():
        job = wait_status(
            poll(
                clients.pz.describe_dataset_import_job, "datasetImportJob", datasetImportJobArn=arn
            ),
            wanted=("CREATE FAILED",),
            failed=(),
        )
        assert cases[name][1] in job["failureReason"], (name, job["failureReason"])
    missing = clients.pz.create_dataset_import_job(
        jobName="no-such-key",
        datasetArn=dataset,
        dataSource={"dataLocation": f"s3://{BUCKET}/absent.csv"},
    )["datasetImportJobArn"]
    failed = wait_status(
        lambda: clients.pz.describe_dataset_import_job(datasetImportJobArn=missing)[
            "datasetImportJob"
        ],
        wanted=("CREATE FAILED",),
        failed=(),
    )
    assert "absent.csv" in failed["failureReason"]
    assert _import(clients, dataset, "good", good)["status"] == "ACTIVE"
    jobs = clients.pz.list_dataset_import_jobs(datasetArn=dataset)["datasetImportJobs"]
    assert len(jobs) == 7


def test_training_enforces_the_minimums(clients: Clients) -> None:
    pz = clients.pz
    group, dataset = _group_with_dataset(clients, "thin")
    # 1000 interactions, but from only 20 users: below the 25 users with 2+ interactions.
    rows = [f"u{n % 20},m{n % 300},click,{1_700_000_000 + n}" for n in range(1000)]
    assert (
        _import(
            clients, dataset, "thin", "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n" + "\n".join(rows)
        )["status"]
        == "ACTIVE"
    )
    solution = pz.create_solution(
        name="thin",
        datasetGroupArn=group,
        recipeArn=RECIPE + "aws-user-personalization",
        performAutoTraining=False,
    )["solutionArn"]
    wait_status(lambda: pz.describe_solution(solutionArn=solution)["solution"])
    version = pz.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    failed = wait_status(
        lambda: pz.describe_solution_version(solutionVersionArn=version)["solutionVersion"],
        wanted=("CREATE FAILED",),
        failed=(),
    )
    assert "at least 25 are required" in failed["failureReason"]
    with pytest.raises(pz.exceptions.InvalidInputException, match="UPDATE"):
        pz.create_solution_version(solutionArn=solution, trainingMode="UPDATE")


def test_metrics_beat_popularity_on_structured_data(
    clients: Clients, emulator, data: Synthetic
) -> None:
    stack = deploy(clients.pz, clients.s3, BUCKET, data, prefix="metrics")
    metrics = clients.pz.get_solution_metrics(solutionVersionArn=stack.version)["metrics"]
    assert set(metrics) == SOLUTION_METRICS
    baseline = recommender.evaluate_popularity_baseline(_interactions(data))
    for name in (
        "normalized_discounted_cumulative_gain_at_10",
        "mean_reciprocal_rank_at_25",
        "precision_at_25",
    ):
        ratio = metrics[name] / baseline[name]
        assert ratio > 1.3, (
            f"{name}: model {metrics[name]:.4f} vs popularity {baseline[name]:.4f} ({ratio:.2f}x)"
        )
    assert metrics["coverage"] > baseline["coverage"]


def test_training_on_sample_sized_data_yields_a_full_model() -> None:
    """On data the size of AWS's samples, training learns a vector for every item it saw, and
    the held-out evaluation finds hits. How long this takes is measured by
    `benchmarks/emulator.py`, not held here."""
    big = synthetic(users=600, items=1000, per_user=42, seed=3)
    interactions = _interactions(big)
    assert len(interactions) >= 25000
    model = recommender.train(interactions, recommender.USER_PERSONALIZATION)
    metrics = recommender.evaluate(interactions)
    assert model.kind == recommender.USER_PERSONALIZATION
    assert set(model.item_ids) == {i.item_id for i in interactions}
    assert model.item_factors.shape[0] == len(model.item_ids) == len(model.index)
    assert all(model.item_ids[n] == item for item, n in model.index.items())
    history = [i.item_id for i in interactions if i.user_id == interactions[0].user_id]
    top = recommender.recommend(model, history, 25)
    assert len({s.item_id for s in top}) == 25
    assert not {s.item_id for s in top} & set(history)
    assert metrics["precision_at_10"] > 0


def test_auto_training_is_on_by_default(clients: Clients, emulator, data: Synthetic) -> None:
    pz = clients.pz
    stack = deploy(pz, clients.s3, BUCKET, data, prefix="auto")
    solution = pz.create_solution(
        name="auto-default",
        datasetGroupArn=stack.group,
        recipeArn=RECIPE + "aws-user-personalization",
    )["solutionArn"]
    described = wait_status(lambda: pz.describe_solution(solutionArn=solution)["solution"])
    assert described["performAutoTraining"] is True
    assert pz.list_solution_versions(solutionArn=solution)["solutionVersions"] == []
    emulator.advance_time(3)
    versions = pz.list_solution_versions(solutionArn=solution)["solutionVersions"]
    assert [(v["trainingMode"], v["trainingType"]) for v in versions] == [
        ("AUTOTRAIN", "AUTOMATIC")
    ]
    pz.update_solution(solutionArn=solution, performAutoTraining=False)
    updated = pz.describe_solution(solutionArn=solution)["solution"]
    assert updated["performAutoTraining"] is False
    assert updated["latestSolutionUpdate"]["performAutoTraining"] is False
    # Stopping a version in flight: CREATE STOPPING, then CREATE STOPPED.
    version = pz.create_solution_version(solutionArn=stack.solution)["solutionVersionArn"]
    pz.stop_solution_version_creation(solutionVersionArn=version)
    assert (
        pz.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["status"]
        == "CREATE STOPPING"
    )
    wait_status(
        lambda: pz.describe_solution_version(solutionVersionArn=version)["solutionVersion"],
        wanted=("CREATE STOPPED",),
        failed=(),
    )
