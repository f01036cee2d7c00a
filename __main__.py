"""Near-real-time recommendations on Amazon Personalize: the whole system in one `pulumi up`."""

import pulumi
import pulumi_aws as aws

from components import config as stack_config
from components import preflight
from components.api import Api
from components.arns import provider_region
from components.datasets import Datasets
from components.model import Models
from components.monitoring import Monitoring
from components.storage import Storage
from components.streaming import Streaming

# Every problem with the stack file or its data fails here, at preview, before any resource.
config = stack_config.from_pulumi()
preflight.check_stack(config)

account_id = aws.get_caller_identity_output().account_id
region = provider_region(config)  # held to the partition the config derived from it at preview

storage = Storage("storage", config=config, account_id=account_id, region=region)
datasets = Datasets(
    "datasets", config=config, storage=storage, account_id=account_id, region=region
)
models = Models("models", config=config, datasets=datasets, account_id=account_id, region=region)
streaming = Streaming(
    "streaming",
    config=config,
    dataset_group_arn=datasets.dataset_group.arn,
    interactions_dataset=datasets.datasets["interactions"],
    storage=storage,
    account_id=account_id,
    region=region,
)
api = Api(
    "api",
    config=config,
    stream=streaming.stream,
    campaign_arns=models.campaign_arns(),
    filter_arns=models.filter_arns(),
    # Items and users can be updated in real time through the API (PutItems / PutUsers).
    dataset_arns=datasets.catalog_arns(),
    schemas=datasets.catalog_schemas(),
    smoke_test_after=models.campaigns(),
    account_id=account_id,
    region=region,
    recommend_environment=models.recommend_environment(),
    promotion_filter_arns=models.promotion_filter_arns(),
)
Monitoring("monitoring", config=config, streaming=streaming, api=api, account_id=account_id)

pulumi.export("datasetGroupArn", datasets.dataset_group.arn)
pulumi.export("bucket", storage.bucket.bucket)
pulumi.export("streamName", streaming.stream.name)
pulumi.export("eventTrackerArn", streaming.event_tracker.arn)
# apiUrl, apiKey (auth "apiKey"), curlExamples, openapi; campaignArns, solutionVersionArns, ...
for key, value in {**api.outputs(), **models.outputs()}.items():
    pulumi.export(key, value)
