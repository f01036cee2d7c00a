"""Near-real-time recommendations on Amazon Personalize: the whole system in one `pulumi up`."""

import pulumi
import pulumi_aws as aws

from components import config as stack_config
from components import preflight
from components.api import Api
from components.arns import provider_region
from components.data_check import check_dataset_file, load_schema
from components.datasets import Datasets, dataset_arn
from components.model import Models
from components.monitoring import Monitoring
from components.storage import Storage
from components.streaming import Streaming

# Everything that can be wrong with the stack file or the data fails here, at preview, before a
# single resource is registered.
config = stack_config.from_pulumi()
for dataset in config.datasets:
    check_dataset_file(
        dataset.file,
        load_schema(dataset.schema_file),
        dataset.dataset_type,
        stack_config.training_filters(config),
    )
preflight.check(config, preflight.stack_config_keys())

account_id = aws.get_caller_identity_output().account_id
# The provider's region, held to the partition the config derived from it at preview.
region = provider_region(config)

storage = Storage("storage", config=config, account_id=account_id, region=region)
datasets = Datasets("datasets", config=config, storage=storage, region=region)
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
# Items and users can be updated in real time through the API (PutItems / PutUsers).
catalog: dict[str, str] = {k: v for k, v in datasets.schemas.items() if k != "interactions"}
api = Api(
    "api",
    config=config,
    stream=streaming.stream,
    campaign_arns=models.campaign_arns(),
    filter_arns=models.filter_arns(),
    dataset_arns={
        key: dataset_arn(account_id, region, datasets.group_name, key, config.partition)
        for key in catalog
    },
    schemas=catalog,
    smoke_test_after=[d.campaign for d in models.deployments.values()],
    account_id=account_id,
    region=region,
    recommend_environment=models.recommend_environment(),
    promotion_filter_arns=models.promotion_filter_arns(),
)
Monitoring("monitoring", config=config, streaming=streaming, api=api, account_id=account_id)

pulumi.export("apiUrl", api.url)
if api.api_key is not None:
    pulumi.export("apiKey", pulumi.Output.secret(api.api_key.value))
pulumi.export("curlExamples", api.curl_examples)
pulumi.export("openapi", api.openapi)  # this stack's API contract (OpenAPI 3.1, JSON)
pulumi.export("datasetGroupArn", datasets.dataset_group.arn)
pulumi.export("bucket", storage.bucket.bucket)
pulumi.export("streamName", streaming.stream.name)
pulumi.export("eventTrackerArn", streaming.event_tracker.arn)
pulumi.export("campaignArns", {name: d.campaign.arn for name, d in models.deployments.items()})
pulumi.export(
    "solutionVersionArns",
    {name: d.solution_version.arn for name, d in models.deployments.items()},
)
pulumi.export(
    "solutionMetrics",
    {name: d.solution_version.metrics for name, d in models.deployments.items()},
)
