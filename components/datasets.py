"""Datasets layer: the dataset group, a schema and dataset per configured type, and import jobs.

Import jobs can be neither changed nor deleted, so each is named after the content hash of the
file it imports and the schema it is read with: a changed CSV or schema means a new job (a
re-import), an unchanged pair means no change.
"""

from __future__ import annotations

import hashlib

import pulumi

from components.arns import arn
from components.config import StackConfig
from components.storage import Storage
from providers import Dataset, DatasetGroup, DatasetImportJob, Schema


class Datasets(pulumi.ComponentResource):
    """Dataset group, schemas, datasets and one import job per dataset file."""

    dataset_group: DatasetGroup
    datasets: dict[str, Dataset]
    import_jobs: dict[str, DatasetImportJob]
    schemas: dict[str, str]

    def __init__(
        self,
        name: str,
        *,
        config: StackConfig,
        storage: Storage,
        account_id: pulumi.Input[str],
        region: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("personalize-realtime:datasets:Datasets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(config.tags)
        self.group_name = config.name_prefix
        self._partition = config.partition
        self._account_id = account_id
        self._region = region

        self.dataset_group = DatasetGroup(
            f"{name}-group", name=self.group_name, region=region, tags=tags, opts=child
        )
        self.datasets = {}
        self.import_jobs = {}
        self.schemas = {}
        for dataset in config.datasets:
            schema_text = dataset.schema_file.read_text()
            self.schemas[dataset.key] = schema_text
            # Schemas are account-wide and immutable: the content hash in the name lets a changed
            # schema come up beside the old one; the dataset is then replaced and re-imported.
            schema_digest = hashlib.sha256(schema_text.encode()).hexdigest()
            schema_hash = schema_digest[:8]
            schema = Schema(
                f"{name}-{dataset.key}-schema",
                name=config.name(dataset.key, schema_hash),
                schema=schema_text,
                region=region,
                opts=child,
            )
            self.datasets[dataset.key] = Dataset(
                f"{name}-{dataset.key}",
                name=config.name(dataset.key),
                dataset_group_arn=self.dataset_group.arn,
                dataset_type=dataset.dataset_type,
                schema_arn=schema.arn,
                region=region,
                tags=tags,
                opts=child,
            )
            uploaded = storage.dataset_objects[dataset.key]
            # A new schema replaces the dataset (same ARN, no data), so it must re-import too:
            # the job name covers the data and the schema it is read with.
            import_hash = hashlib.sha256(
                (storage.fingerprints[dataset.key] + schema_digest).encode()
            ).hexdigest()[:12]
            self.import_jobs[dataset.key] = DatasetImportJob(
                f"{name}-{dataset.key}-import",
                job_name=config.name(dataset.key, import_hash),
                dataset_arn=self.datasets[dataset.key].arn,
                data_location=storage.dataset_location(dataset.key),
                role_arn=storage.role.arn,
                import_mode="FULL",
                region=region,
                # The role's permissions and the bucket policy must be in place before
                # Personalize reads the file, not just the role itself.
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[uploaded, storage.role_policy, storage.bucket_policy],
                ),
            )

        self.register_outputs(
            {
                "dataset_group_arn": self.dataset_group.arn,
                "dataset_arns": {k: d.arn for k, d in self.datasets.items()},
            }
        )

    def catalog_schemas(self) -> dict[str, str]:
        """Schema text of each dataset the API updates in real time (PutItems / PutUsers): every
        configured one but interactions, which arrive as events through the stream."""
        return {k: v for k, v in self.schemas.items() if k != "interactions"}

    def catalog_arns(self) -> dict[str, pulumi.Output[str]]:
        """ARN of each catalog dataset, derived from the group's name and the dataset type, so the
        API's functions need not wait for the datasets to be created."""
        return {
            key: arn(
                self._partition,
                "personalize",
                self._region,
                self._account_id,
                f"dataset/{self.group_name}/{key.upper()}",
            )
            for key in self.catalog_schemas()
        }

    def imported(self) -> pulumi.Output[str]:
        """A fingerprint of everything imported: it changes whenever any dataset is re-imported."""
        return pulumi.Output.all(*(job.arn for job in self.import_jobs.values())).apply(
            lambda arns: ",".join(sorted(arns))
        )
