"""Lists of kinds the emulator does not keep answer as an account without them would.

Cleanup code lists every kind a dataset group may hold before deleting it (as AWS's own teardown
lists recommenders before campaigns: aws-samples/retail-demo-store,
src/aws-lambda/personalize-pre-create-resources/delete_dataset_groups.py); such code must not stop
on UnknownOperationException. Source for the shapes: the botocore models of each List operation
(their output names the list member).
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped,unused-ignore]

from ..conftest import Clients

GROUP = "arn:aws:personalize:us-east-1:123456789012:dataset-group/none"

LISTS = {
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
    """Describe and Delete of a kind that is not emulated name an ARN that cannot exist: not
    found, as their API references list ResourceNotFoundException."""
    arn = "arn:aws:personalize:us-east-1:123456789012:metric-attribution/none"
    for call in (clients.pz.describe_metric_attribution, clients.pz.delete_metric_attribution):
        with pytest.raises(ClientError) as caught:
            call(metricAttributionArn=arn)
        assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
