"""GetSolutionMetrics on the committed sample data: the model must clearly beat popularity.

The sample CSVs (data/) carry latent taste structure; a model that learns it ranks the held-out
interactions far better than "most popular unseen items". Both are scored on the same holdout
(the latest interactions of a deterministic share of users), so the ratio is a fair comparison.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from local.personalize_emulator import recommender

from .conftest import BUCKET, Clients
from .helpers import RECIPE, poll, wait_status

DATA = Path(__file__).resolve().parents[2] / "data"
PREFIX = "sample"
DATASETS = {"Interactions": "interactions", "Items": "items", "Users": "users"}
# Model over popularity, both measured on the sample data: NDCG@10 0.186 vs 0.066 (2.81x),
# precision@10 0.047 vs 0.015 (3.18x), MRR@25 0.210 vs 0.073 (2.88x). 2x leaves room for a
# regenerated sample while still failing a model that learned nothing beyond popularity.
MIN_RATIO = 2.0


def sample_interactions() -> list[recommender.Interaction]:
    with (DATA / "interactions.csv").open(newline="") as f:
        return [
            recommender.Interaction(
                row["USER_ID"], row["ITEM_ID"], float(row["TIMESTAMP"]), row["EVENT_TYPE"]
            )
            for row in csv.DictReader(f)
        ]


def train_on_sample(clients: Clients) -> str:
    """Import the three sample datasets with their schemas and train; the version's ARN."""
    pz = clients.pz
    group = pz.create_dataset_group(name=f"{PREFIX}-group")["datasetGroupArn"]
    wait_status(lambda: pz.describe_dataset_group(datasetGroupArn=group)["datasetGroup"])
    jobs = []
    for dataset_type, stem in DATASETS.items():
        clients.s3.put_object(
            Bucket=BUCKET, Key=f"{PREFIX}/{stem}.csv", Body=(DATA / f"{stem}.csv").read_bytes()
        )
        schema = pz.create_schema(
            name=f"{PREFIX}-{stem}", schema=(DATA / "schemas" / f"{stem}.avsc").read_text()
        )["schemaArn"]
        dataset = pz.create_dataset(
            name=f"{PREFIX}-{stem}",
            datasetGroupArn=group,
            datasetType=dataset_type,
            schemaArn=schema,
        )["datasetArn"]
        wait_status(poll(pz.describe_dataset, "dataset", datasetArn=dataset))
        jobs.append(
            pz.create_dataset_import_job(
                jobName=f"{PREFIX}-{stem}-import",
                datasetArn=dataset,
                dataSource={"dataLocation": f"s3://{BUCKET}/{PREFIX}/{stem}.csv"},
                roleArn="arn:aws:iam::123456789012:role/personalize",
            )["datasetImportJobArn"]
        )
    for job in jobs:
        wait_status(
            poll(pz.describe_dataset_import_job, "datasetImportJob", datasetImportJobArn=job)
        )
    solution = pz.create_solution(
        name=f"{PREFIX}-solution",
        datasetGroupArn=group,
        recipeArn=RECIPE + "aws-user-personalization",
        performAutoTraining=False,
    )["solutionArn"]
    wait_status(lambda: pz.describe_solution(solutionArn=solution)["solution"])
    version = pz.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    wait_status(poll(pz.describe_solution_version, "solutionVersion", solutionVersionArn=version))
    return str(version)


def test_model_beats_popularity_on_the_sample_data(clients: Clients) -> None:
    version = train_on_sample(clients)
    metrics = clients.pz.get_solution_metrics(solutionVersionArn=version)["metrics"]
    interactions = sample_interactions()
    baseline = recommender.evaluate_popularity_baseline(interactions)
    assert set(metrics) == set(baseline)

    # Honest: the reported numbers are the holdout evaluation of this data, nothing invented.
    expected = recommender.evaluate(interactions)
    assert metrics == pytest.approx(expected, rel=1e-9)
    split = recommender.holdout_split(interactions)
    users = {i.user_id for i in interactions}
    assert 0.08 * len(users) <= len(split.heldout) <= 0.25 * len(users)

    report = ", ".join(
        f"{name} {metrics[name]:.4f} vs {baseline[name]:.4f} "
        f"({metrics[name] / baseline[name]:.2f}x)"
        for name in sorted(metrics)
    )
    for name in (
        "normalized_discounted_cumulative_gain_at_10",
        "precision_at_10",
        "mean_reciprocal_rank_at_25",
    ):
        assert metrics[name] >= MIN_RATIO * baseline[name], (
            f"{name}: model {metrics[name]:.4f} is not {MIN_RATIO}x popularity "
            f"{baseline[name]:.4f}; model vs popularity: {report}"
        )
    # Popularity recommends the same few items to everyone; the model spreads over the catalogue.
    assert metrics["coverage"] >= 3 * baseline["coverage"], report
