"""Lists of kinds the emulator does not keep answer as an account without them would.

AWS's own teardown lists recommenders of a dataset group before deleting its campaigns
(aws-samples/retail-demo-store,
src/aws-lambda/personalize-pre-create-resources/delete_dataset_groups.py); code like it must not
stop on UnknownOperationException. Source for the shapes: the botocore models of each List
operation (their output names the list member).
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped,unused-ignore]

from ..conftest import Clients

GROUP = "arn:aws:personalize:us-east-1:123456789012:dataset-group/none"

LISTS = {
    "list_recommenders": ("recommenders", {"datasetGroupArn": GROUP}),
    "list_batch_inference_jobs": ("batchInferenceJobs", {}),
    "list_batch_segment_jobs": ("batchSegmentJobs", {}),
    "list_metric_attributions": ("metricAttributions", {"datasetGroupArn": GROUP}),
    "list_dataset_export_jobs": ("datasetExportJobs", {}),
    "list_data_deletion_jobs": ("dataDeletionJobs", {"datasetGroupArn": GROUP}),
}


@pytest.mark.parametrize("operation", sorted(LISTS))
def test_lists_of_kinds_not_emulated_are_empty(clients: Clients, operation: str) -> None:
    key, params = LISTS[operation]
    assert getattr(clients.pz, operation)(**params)[key] == []
    if clients.pz.can_paginate(operation):
        pages = list(clients.pz.get_paginator(operation).paginate(**params))
        assert [page[key] for page in pages] == [[]]


def test_lookups_of_kinds_not_emulated_find_nothing(clients: Clients) -> None:
    """Describe and Delete of a recommender name an ARN that cannot exist: not found, as the
    DescribeRecommender API reference lists ResourceNotFoundException."""
    arn = "arn:aws:personalize:us-east-1:123456789012:recommender/none"
    for call in (clients.pz.describe_recommender, clients.pz.delete_recommender):
        with pytest.raises(ClientError) as caught:
            call(recommenderArn=arn)
        assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
