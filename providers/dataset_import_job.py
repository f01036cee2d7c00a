"""Dataset import job: loads a CSV from S3 into a dataset. No delete API exists."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckFailure

from .base import (
    CREATE_FAILED,
    NAME_MAX,
    PersonalizeProvider,
    PersonalizeProviderError,
    arn_problem,
    error_code,
    is_unknown,
    paginate,
)

IMPORT_MODES = ("FULL", "INCREMENTAL")
S3_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?$")
# Job names can never be reused (jobs cannot be deleted); a failed job's name gets a suffix.
MAX_RETRY_NAMES = 9


def attempt_names(job_name: str) -> list[str]:
    """The job name, then '<job_name>-r2' ... for retries after a failed job took the name."""
    names = [job_name]
    for n in range(2, MAX_RETRY_NAMES + 2):
        suffix = f"-r{n}"
        names.append(job_name[: NAME_MAX - len(suffix)] + suffix)
    return names


class DatasetImportJobProvider(PersonalizeProvider):
    kind = "dataset import job"
    name_key: ClassVar[str | None] = "job_name"
    inputs: ClassVar[tuple[str, ...]] = (
        "job_name",
        "dataset_arn",
        "data_location",
        "role_arn",
        "import_mode",
    )
    required: ClassVar[tuple[str, ...]] = ("job_name", "dataset_arn", "data_location", "role_arn")
    defaults: ClassVar[dict[str, Any]] = {"import_mode": "FULL"}
    tagged: ClassVar[bool] = False
    updatable: ClassVar[tuple[str, ...]] = ()
    # Deleting is a no-op, so deleting first would only take the old job out of state early.
    delete_first: ClassVar[bool | None] = False
    has_delete: ClassVar[bool] = False

    def validate(self, inputs: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        mode = inputs.get("import_mode")
        if not is_unknown(mode) and mode not in IMPORT_MODES:
            failures.append(
                CheckFailure(
                    "import_mode",
                    f"import_mode must be one of {', '.join(IMPORT_MODES)}, got {mode!r}",
                )
            )
        location = inputs.get("data_location")
        if (
            location is not None
            and not is_unknown(location)
            and not (isinstance(location, str) and S3_URI.match(location))
        ):
            failures.append(
                CheckFailure(
                    "data_location",
                    f"data_location must be an s3://bucket/key URI, got {location!r}",
                )
            )
        role = inputs.get("role_arn")
        if role is not None and not is_unknown(role):
            problem = arn_problem(role, "iam", "role")
            if problem:
                failures.append(CheckFailure("role_arn", f"role_arn {problem}"))
        dataset = inputs.get("dataset_arn")
        if dataset is not None and not is_unknown(dataset):
            problem = arn_problem(dataset, "personalize", "dataset")
            if problem:
                failures.append(CheckFailure("dataset_arn", f"dataset_arn {problem}"))
        return failures

    def _create_named(self, client: Any, props: dict[str, Any], job_name: str) -> str:
        response = client.create_dataset_import_job(
            jobName=job_name,
            datasetArn=props["dataset_arn"],
            dataSource={"dataLocation": props["data_location"]},
            roleArn=props["role_arn"],
            importMode=props.get("import_mode") or "FULL",
        )
        return str(response["datasetImportJobArn"])

    def _create(self, client: Any, props: dict[str, Any]) -> str:
        return self._create_named(client, props, props["job_name"])

    def _create_or_adopt(self, client: Any, props: dict[str, Any]) -> str:
        existing = {
            item["jobName"]: item
            for item in paginate(
                client,
                "list_dataset_import_jobs",
                "datasetImportJobs",
                datasetArn=props["dataset_arn"],
            )
        }
        for name in attempt_names(props["job_name"]):
            found = existing.get(name)
            if found is None:
                try:
                    return self._create_named(client, props, name)
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
        raise PersonalizeProviderError(
            f"dataset import job {props['job_name']!r} failed {MAX_RETRY_NAMES + 1} times; "
            "fix the data or role and change job_name"
        )

    def _describe(self, client: Any, arn: str) -> dict[str, Any]:
        return dict(client.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"])

    def _delete(self, _client: Any, _arn: str) -> None:
        """Import jobs have no delete API; they go with their dataset."""

    def _failure_reason(self, described: dict[str, Any]) -> str:
        reason = super()._failure_reason(described)
        return f"{reason} (the next attempt with the same job_name runs as '<job_name>-rN')"

    def _mismatches(self, props: dict[str, Any], described: dict[str, Any]) -> list[str]:
        diffs = []
        actual = {
            "dataset_arn": described.get("datasetArn"),
            "data_location": (described.get("dataSource") or {}).get("dataLocation"),
            "role_arn": described.get("roleArn"),
            "import_mode": described.get("importMode") or "FULL",
        }
        for key, found in actual.items():
            if found is not None and found != props.get(key):
                diffs.append(f"{key}: wanted {props.get(key)!r}, found {found!r}")
        return diffs


class DatasetImportJob(pulumi.dynamic.Resource, module="personalize", name="DatasetImportJob"):
    """Imports a CSV into a dataset. Any change replaces it (put a content hash in job_name)."""

    job_name: pulumi.Output[str]
    dataset_arn: pulumi.Output[str]
    data_location: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    import_mode: pulumi.Output[str]
    region: pulumi.Output[str]
    arn: pulumi.Output[str]
    status: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        job_name: pulumi.Input[str],
        dataset_arn: pulumi.Input[str],
        data_location: pulumi.Input[str],
        role_arn: pulumi.Input[str],
        region: pulumi.Input[str],
        import_mode: pulumi.Input[str] = "FULL",
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "job_name": job_name,
            "dataset_arn": dataset_arn,
            "data_location": data_location,
            "role_arn": role_arn,
            "import_mode": import_mode,
            "region": region,
            "arn": None,
            "status": None,
        }
        super().__init__(DatasetImportJobProvider(), resource_name, props, opts)
