"""Dataset import job: loads a CSV from S3 into a dataset. No delete API exists."""

from __future__ import annotations

import re
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure

from .checks import NAME_MAX, is_unknown
from .client import error_code, paginate
from .declaration import Field, Kind
from .polling import CREATE_FAILED, PersonalizeProviderError
from .provider import PersonalizeProvider
from .resource import KindResource

IMPORT_MODES = ("FULL", "INCREMENTAL")
S3_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?$")
# Job names can never be reused (jobs cannot be deleted); a failed job's name gets a suffix.
MAX_RETRY_NAMES = 9

DATASET_IMPORT_JOB = Kind(
    label="dataset import job",
    noun="dataset_import_job",
    fields={
        "job_name": Field("jobName", required=True),
        "dataset_arn": Field("datasetArn", required=True, arn_of="dataset"),
        "data_location": Field("dataSource.dataLocation", required=True),
        "role_arn": Field("roleArn", required=True, arn_of="iam:role"),
        "import_mode": Field("importMode", default="FULL", choices=IMPORT_MODES),
    },
    name_key="job_name",
    tagged=False,
    has_delete=False,
    # Deleting is a no-op, so deleting first would only take the old job out of state early.
    delete_first=False,
)


def attempt_names(job_name: str) -> list[str]:
    """The job name, then '<job_name>-r2' ... for retries after a failed job took the name."""
    names = [job_name]
    for n in range(2, MAX_RETRY_NAMES + 2):
        suffix = f"-r{n}"
        names.append(job_name[: NAME_MAX - len(suffix)] + suffix)
    return names


class DatasetImportJobProvider(PersonalizeProvider):
    declaration = DATASET_IMPORT_JOB

    def validate(self, inputs: dict[str, Any]) -> list[CheckFailure]:
        location = inputs.get("data_location")
        if location is None or is_unknown(location):
            return []
        if isinstance(location, str) and S3_URI.match(location):
            return []
        message = f"data_location must be an s3://bucket/key URI, got {location!r}"
        return [CheckFailure("data_location", message)]

    def _create_or_adopt(self, client: Any, props: dict[str, Any]) -> str:
        """The first of the attempt names not taken by a failed job: adopt it or create it."""
        existing = {
            item["jobName"]: item
            for item in paginate(
                client,
                "list_dataset_import_jobs",
                "datasetImportJobs",
                datasetArn=props["dataset_arn"],
            )
        }
        last_failure = ""
        for name in attempt_names(props["job_name"]):
            found = existing.get(name)
            if found is None:
                try:
                    return self._create(client, {**props, "job_name": name})
                except Exception as exc:
                    if error_code(exc) == "ResourceAlreadyExistsException":
                        raise PersonalizeProviderError(
                            f"dataset import job name {name!r} is already used by a job of another "
                            "dataset; job names are unique per account and region, choose "
                            "another job_name"
                        ) from exc
                    raise self._wrap(exc, f"creating {self._label(props)}") from exc
            described = self._describe(client, str(found["datasetImportJobArn"]))
            differences = self._mismatches(props, described)
            if differences:
                raise PersonalizeProviderError(
                    f"dataset import job {name!r} already exists with different settings: "
                    f"{'; '.join(differences)}. Job names cannot be reused; change job_name."
                )
            if described.get("status") != CREATE_FAILED:
                return str(found["datasetImportJobArn"])
            # An earlier attempt failed and keeps its name forever: try the next name.
            last_failure = str(described.get("failureReason") or "no failureReason given")
        raise PersonalizeProviderError(
            f"dataset import job {props['job_name']!r} failed {MAX_RETRY_NAMES + 1} times (the "
            f"last: {last_failure}); fix the data or role and change job_name"
        )

    def _mismatches(self, props: dict[str, Any], described: dict[str, Any]) -> list[str]:
        # Unreported, the import mode is the service's default, FULL (botocore model,
        # CreateDatasetImportJob importMode).
        found = {**described, "importMode": described.get("importMode") or "FULL"}
        return super()._mismatches(props, found)

    def _failure_reason(self, described: dict[str, Any]) -> str:
        reason = super()._failure_reason(described)
        return f"{reason} (the next attempt with the same job_name runs as '<job_name>-rN')"


class DatasetImportJob(KindResource, module="personalize", name="DatasetImportJob"):
    """Imports a CSV into a dataset. Any change replaces it (put a content hash in job_name)."""

    provider_class = DatasetImportJobProvider
    job_name: pulumi.Output[str]
    dataset_arn: pulumi.Output[str]
    data_location: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    import_mode: pulumi.Output[str]
