"""Recommenders of domain dataset groups, as the retail demo store creates, lists and deletes them.

Sources: aws-samples/retail-demo-store,
src/aws-lambda/personalize-pre-create-resources/personalize_pre_create_resources.py (a domain
dataset group with use-case recommenders next to custom solutions) and delete_dataset_groups.py
(recommenders deleted first when ACTIVE or CREATE FAILED, waited on until ResourceNotFound);
https://docs.aws.amazon.com/personalize/latest/dg/API_CreateRecommender.html and
https://docs.aws.amazon.com/personalize/latest/dg/API_StopRecommender.html (a stopped
recommender is INACTIVE and does not serve until started).
"""

from __future__ import annotations

import pytest

from ..conftest import BUCKET, Clients
from ..helpers import INTERACTIONS_SCHEMA, RECIPE, Synthetic, poll, wait_gone, wait_status


def test_a_use_case_recommender_serves_stops_and_goes_first_at_teardown(
    clients: Clients, data: Synthetic
) -> None:
    pz = clients.pz
    group = pz.create_dataset_group(name="vod", domain="VIDEO_ON_DEMAND")["datasetGroupArn"]
    wait_status(poll(pz.describe_dataset_group, "datasetGroup", datasetGroupArn=group))
    schema = pz.create_schema(name="vod", schema=INTERACTIONS_SCHEMA, domain="VIDEO_ON_DEMAND")[
        "schemaArn"
    ]
    dataset = pz.create_dataset(
        name="vod", datasetGroupArn=group, datasetType="Interactions", schemaArn=schema
    )["datasetArn"]
    wait_status(poll(pz.describe_dataset, "dataset", datasetArn=dataset))
    clients.s3.put_object(Bucket=BUCKET, Key="vod.csv", Body=data.interactions_csv().encode())
    job = pz.create_dataset_import_job(
        jobName="vod", datasetArn=dataset, dataSource={"dataLocation": f"s3://{BUCKET}/vod.csv"}
    )["datasetImportJobArn"]
    wait_status(poll(pz.describe_dataset_import_job, "datasetImportJob", datasetImportJobArn=job))
    with pytest.raises(pz.exceptions.InvalidInputException, match="domain"):
        pz.create_recommender(
            name="wrong", datasetGroupArn=group, recipeArn=RECIPE + "aws-ecomm-recommended-for-you"
        )
    arn = pz.create_recommender(
        name="top-picks", datasetGroupArn=group, recipeArn=RECIPE + "aws-vod-top-picks"
    )["recommenderArn"]
    described = wait_status(poll(pz.describe_recommender, "recommender", recommenderArn=arn))
    assert described["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 1
    got = clients.runtime.get_recommendations(recommenderArn=arn, userId="u00003", numResults=5)
    assert len(got["itemList"]) == 5
    pz.stop_recommender(recommenderArn=arn)
    assert pz.describe_recommender(recommenderArn=arn)["recommender"]["status"] == "INACTIVE"
    with pytest.raises(clients.runtime.exceptions.ResourceNotFoundException):
        clients.runtime.get_recommendations(recommenderArn=arn, userId="u00003")
    pz.start_recommender(recommenderArn=arn)
    with pytest.raises(pz.exceptions.ResourceInUseException):
        pz.delete_dataset_group(datasetGroupArn=group)
    for page in pz.get_paginator("list_recommenders").paginate(datasetGroupArn=group):
        for found in page["recommenders"]:
            assert found["status"] in ("ACTIVE", "CREATE FAILED")
            pz.delete_recommender(recommenderArn=found["recommenderArn"])
    wait_gone(
        lambda: pz.describe_recommender(recommenderArn=arn),
        pz.exceptions.ResourceNotFoundException,
    )
