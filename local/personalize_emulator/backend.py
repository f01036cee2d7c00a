"""The emulated service: resources, their state machines, constraints and data.

Every public call goes through ``Backend.handle`` under one lock. Before each call the backend
catches up with the clock (``_advance``): work due at a step boundary (reading an import from S3,
training a version, switching a campaign to its update) runs in due-time order, and resources
whose deletion finished are purged. Protocol concerns live in ``server``; the model maths lives in
``recommender``.
"""

from __future__ import annotations

import base64
import bisect
import json
import random
import re
import threading
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]

from . import avro, filters, promotions, recommender, spec
from .errors import (
    InvalidInputException,
    InvalidNextTokenException,
    LimitExceededException,
    ResourceAlreadyExistsException,
    ResourceInUseException,
    ResourceNotFoundException,
    ServiceError,
    UnknownOperationException,
    injected,
)
from .lifecycle import (
    ACTIVE,
    CREATE_FAILED,
    CREATE_IN_PROGRESS,
    CREATE_PENDING,
    CREATE_STOPPED,
    Clock,
    Lifecycle,
    Steps,
    Timing,
)
from .resources import RECIPE_PREFIX, RECIPES, UPDATABLE_RECIPES, Resource
from .validation import validate

DEFAULT_ACCOUNT = "123456789012"
MAX_NUM_RESULTS = 500
MAX_NUM_RESULTS_WITH_METADATA = 50
DEFAULT_EXPLORATION_WEIGHT = 0.3
DEFAULT_EXPLORATION_AGE_DAYS = 30.0


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _new_id() -> str:
    return uuid.uuid4().hex[:8]


def _epoch(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise InvalidInputException(f"sentAt {value!r} is not a timestamp") from None


class Backend:
    """All emulated state, guarded by one re-entrant lock."""

    def __init__(
        self,
        timing: Timing | None = None,
        *,
        account_id: str = DEFAULT_ACCOUNT,
        clock: Clock | None = None,
        s3_endpoint_url: str | None = None,
        max_active_campaigns: int = 5,
        max_training_in_flight: int = 20,
    ) -> None:
        self.timing = timing or Timing()
        self.account_id = account_id
        self.clock = clock or Clock()
        self.s3_endpoint_url = s3_endpoint_url
        self.max_active_campaigns = max_active_campaigns
        self.max_training_in_flight = max_training_in_flight
        self.lock = threading.RLock()
        self._region = "us-east-1"
        self._reset_state()

    # ---- test controls ---------------------------------------------------------------------

    def _reset_state(self) -> None:
        self.resources: dict[str, Resource] = {}
        self.calls: Counter[str] = Counter()
        # operation -> queue of error codes for its next calls.
        self.fault_queue: dict[str, list[str | int]] = defaultdict(list)
        # (target: ARN, name or kind, reason), each used by one creation.
        self.creation_faults: list[tuple[str, str]] = []
        # dataset group ARN -> interactions received through PutEvents.
        self.events: dict[str, list[recommender.Interaction]] = defaultdict(list)
        self._event_keys: dict[str, set[tuple[Any, ...]]] = defaultdict(set)

    def reset(self) -> None:
        """Forget every resource, fault and call count."""
        with self.lock:
            self._reset_state()

    def fail_next(
        self, operation: str, count: int = 1, error_code: str | int = "ThrottlingException"
    ) -> None:
        """Make the next `count` calls of `operation` fail with error_code (code or 5xx status)."""
        injected(error_code)  # refuse unknown codes now, not at call time
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count}")
        if not any(spec.operation(s, operation) for s in (spec.CONTROL, spec.EVENTS, spec.RUNTIME)):
            raise ValueError(f"{operation!r} is not a Personalize operation")
        with self.lock:
            self.fault_queue[operation].extend([error_code] * count)

    def fail_creation(self, target: str, reason: str = "Injected failure") -> None:
        """Make a creation end in CREATE FAILED with `reason`.

        target: the ARN of an existing resource still being created, or the name or kind
        (e.g. "solution-version", "dataset-import-job") of the next one created.
        """
        with self.lock:
            resource = self.resources.get(target)
            if resource is not None:
                lc = resource.lifecycle
                if lc is None or lc.settled:
                    raise ValueError(f"{target} has already finished creating")
                lc.forced_failure = reason
                return
            self.creation_faults.append((target, reason))

    def live_resources(self) -> list[str]:
        """ARNs of every resource that exists (including ones still being deleted)."""
        with self.lock:
            self._advance()
            return list(self.resources)

    def call_counts(self) -> dict[str, int]:
        with self.lock:
            return dict(self.calls)

    def advance_time(self, seconds: float) -> None:
        """Move the emulator's clock forward (skip waiting in the real-duration profile)."""
        self.clock.advance(seconds)

    # ---- dispatch --------------------------------------------------------------------------

    def handle(
        self, service: str, operation: str, params: dict[str, Any], region: str
    ) -> dict[str, Any]:
        """Run one API call; ServiceError subclasses carry the error to return."""
        with self.lock:
            self.calls[operation] += 1
            queue = self.fault_queue.get(operation)
            if queue:
                raise injected(queue.pop(0))
            model = spec.operation(service, operation)
            method: Callable[[str, dict[str, Any]], dict[str, Any] | None] | None = getattr(
                self, f"op_{_snake(operation)}", None
            )
            if model is None or method is None:
                raise UnknownOperationException(
                    f"{operation} is not supported by the Personalize emulator"
                )
            validate(model.input_shape, params)
            self._advance()
            self._region = region
            return method(region, params) or {}

    # ---- time ------------------------------------------------------------------------------

    def _now(self) -> float:
        return self.clock.now()

    def _steps(self, kind: str) -> Steps:
        return self.timing.steps(kind)

    def _lifecycle(
        self, kind: str, name: str, created: float | None = None, *, arn: str = ""
    ) -> Lifecycle:
        lc = Lifecycle(created=self._now() if created is None else created, steps=self._steps(kind))
        for n, (target, reason) in enumerate(self.creation_faults):
            if target in (kind, name, arn):
                lc.forced_failure = reason
                del self.creation_faults[n]
                break
        return lc

    def _advance(self) -> None:
        now = self._now()
        self._schedule_auto_training(now)
        # (due time, ARN, is a campaign update): settle in due-time order so an import that
        # finished before a training started is part of that training.
        due: list[tuple[float, str, bool]] = []
        for r in self.resources.values():
            lc = r.lifecycle
            if (
                lc is not None
                and not lc.settled
                and lc.due <= now
                and lc.delete_requested is None
                and lc.stop_requested is None
            ):
                due.append((lc.due, r.arn, False))
            update = r.state.get("update")
            if r.kind == "campaign" and update is not None:
                update_lc: Lifecycle = update["lifecycle"]
                if not update_lc.settled and update_lc.due <= now:
                    due.append((update_lc.due, r.arn, True))
        for _, arn, is_update in sorted(due):
            resource = self.resources[arn]
            if is_update:
                self._settle_update(resource)
            else:
                self._settle(resource)
        for arn, r in list(self.resources.items()):
            gone = r.lifecycle.gone_at if r.lifecycle else r.state.get("gone_at")
            if gone is not None and gone <= now and arn in self.resources:
                self._purge(r)

    def _settle(self, r: Resource) -> None:
        lc = r.lifecycle
        assert lc is not None
        lc.settled = True
        if lc.forced_failure:
            lc.failure_reason = lc.forced_failure
            return
        try:
            if r.kind == "dataset-import-job":
                self._run_import(r)
            elif r.kind == "solution-version":
                self._run_training(r)
        except (avro.ImportFailedError, recommender.TrainingError) as exc:
            lc.failure_reason = str(exc)

    def _settle_update(self, campaign: Resource) -> None:
        update = campaign.state["update"]
        lc: Lifecycle = update["lifecycle"]
        lc.settled = True
        if lc.forced_failure:
            lc.failure_reason = lc.forced_failure
            return
        for key in ("solutionVersionArn", "minProvisionedTPS", "campaignConfig"):
            campaign.attrs[key] = update[key]

    def _purge(self, r: Resource) -> None:
        self.resources.pop(r.arn, None)
        if r.kind == "dataset":
            for job in self._children("dataset-import-job", "datasetArn", r.arn):
                self.resources.pop(job.arn, None)
        elif r.kind == "solution":
            for version in self._children("solution-version", "solutionArn", r.arn):
                self.resources.pop(version.arn, None)
        elif r.kind == "dataset-group":
            self.events.pop(r.arn, None)
            self._event_keys.pop(r.arn, None)

    # ---- helpers ---------------------------------------------------------------------------

    def _arn(self, region: str, kind: str, suffix: str) -> str:
        return f"arn:aws:personalize:{region}:{self.account_id}:{kind}/{suffix}"

    def _status(self, r: Resource) -> str:
        return r.lifecycle.status(self._now()) if r.lifecycle else ACTIVE

    def _get(self, arn: str, kind: str, label: str | None = None) -> Resource:
        r = self.resources.get(arn)
        # An ARN of another region is not found, as with separate regional endpoints.
        if r is None or r.kind != kind or r.region != self._region:
            raise ResourceNotFoundException(
                f"Could not find {label or kind.replace('-', ' ')} {arn}"
            )
        return r

    def _children(self, kind: str, attr: str, arn: str) -> list[Resource]:
        return [r for r in self.resources.values() if r.kind == kind and r.attrs.get(attr) == arn]

    def _of_kind(self, kind: str, region: str) -> list[Resource]:
        return [r for r in self.resources.values() if r.kind == kind and r.region == region]

    def _require_active(self, r: Resource, label: str) -> None:
        status = self._status(r)
        if status != ACTIVE:
            raise ResourceInUseException(
                f"{label} {r.arn} is not ACTIVE (status: {status}); wait until it is ACTIVE"
            )

    def _unique(
        self,
        kind: str,
        region: str,
        name: str,
        label: str,
        within: Iterable[Resource] | None = None,
    ) -> None:
        pool = within if within is not None else self._of_kind(kind, region)
        if any(r.name == name for r in pool):
            raise ResourceAlreadyExistsException(f"{label} {name} already exists")

    def _add(self, r: Resource, tags: list[dict[str, str]] | None) -> None:
        r.tags = {t["tagKey"]: t["tagValue"] for t in (tags or [])}
        self.resources[r.arn] = r

    def _times(self, r: Resource) -> dict[str, Any]:
        lc = r.lifecycle
        now = self._now()
        if lc is None:
            created = r.state["created"]
            return {"creationDateTime": created, "lastUpdatedDateTime": created}
        out: dict[str, Any] = {
            "status": lc.status(now),
            "creationDateTime": lc.created,
            "lastUpdatedDateTime": lc.last_updated(now),
        }
        if out["status"] == CREATE_FAILED and lc.failure_reason:
            out["failureReason"] = lc.failure_reason
        return out

    def _start_delete(self, r: Resource, label: str) -> None:
        lc = r.lifecycle
        assert lc is not None
        status = lc.status(self._now())
        if status not in (ACTIVE, CREATE_FAILED, CREATE_STOPPED):
            raise ResourceInUseException(
                f"{label} {r.arn} cannot be deleted while its status is {status}"
            )
        lc.delete_requested = self._now()
        lc.delete_steps = self._steps("delete")

    @staticmethod
    def _page(items: list[dict[str, Any]], params: dict[str, Any], key: str) -> dict[str, Any]:
        start = 0
        token = params.get("nextToken")
        if token:
            try:
                start = int(json.loads(base64.b64decode(token))["offset"])
            except (ValueError, KeyError, TypeError):
                raise InvalidNextTokenException(f"The nextToken {token!r} is not valid") from None
            if not 0 <= start <= len(items):
                raise InvalidNextTokenException(f"The nextToken {token!r} is not valid")
        size = int(params.get("maxResults") or 100)
        out: dict[str, Any] = {key: items[start : start + size]}
        if start + size < len(items):
            out["nextToken"] = base64.b64encode(
                json.dumps({"offset": start + size}).encode()
            ).decode()
        return out

    def _filtered(
        self, kind: str, region: str, params: dict[str, Any], attr: str | None
    ) -> list[Resource]:
        result = self._of_kind(kind, region)
        if attr and params.get(attr):
            result = [r for r in result if r.attrs.get(attr) == params[attr]]
        return result

    # ---- dataset groups --------------------------------------------------------------------

    def op_create_dataset_group(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        name = p["name"]
        self._unique("dataset-group", region, name, "Dataset group")
        arn = self._arn(region, "dataset-group", name)
        attrs: dict[str, Any] = {k: p[k] for k in ("roleArn", "kmsKeyArn", "domain") if k in p}
        self._add(
            Resource(
                "dataset-group",
                arn,
                name,
                region,
                self._lifecycle("dataset-group", name, arn=arn),
                attrs,
            ),
            p.get("tags"),
        )
        out = {"datasetGroupArn": arn}
        if "domain" in p:
            out["domain"] = p["domain"]
        return out

    def _dataset_group_view(self, r: Resource, summary: bool = False) -> dict[str, Any]:
        view = {"name": r.name, "datasetGroupArn": r.arn, **self._times(r)}
        keys = ("domain",) if summary else ("roleArn", "kmsKeyArn", "domain")
        view.update({k: r.attrs[k] for k in keys if k in r.attrs})
        return view

    def op_describe_dataset_group(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        r = self._get(p["datasetGroupArn"], "dataset-group", "dataset group")
        return {"datasetGroup": self._dataset_group_view(r)}

    def op_list_dataset_groups(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        items = [self._dataset_group_view(r, True) for r in self._of_kind("dataset-group", region)]
        return self._page(items, p, "datasetGroups")

    def op_delete_dataset_group(self, region: str, p: dict[str, Any]) -> None:
        r = self._get(p["datasetGroupArn"], "dataset-group", "dataset group")
        for kind, label in (
            ("event-tracker", "event trackers"),
            ("solution", "solutions"),
            ("filter", "filters"),
            ("dataset", "datasets"),
        ):
            found = self._children(kind, "datasetGroupArn", r.arn)
            if found:
                raise ResourceInUseException(
                    f"Cannot delete dataset group {r.arn}: it still has {label} "
                    f"({', '.join(x.arn for x in found)}); delete them first"
                )
        self._start_delete(r, "Dataset group")

    # ---- schemas ---------------------------------------------------------------------------

    def op_create_schema(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        name = p["name"]
        self._unique("schema", region, name, "Schema")
        parsed = avro.parse_schema(p["schema"])
        arn = self._arn(region, "schema", name)
        r = Resource(
            "schema", arn, name, region, None, {k: p[k] for k in ("schema", "domain") if k in p}
        )
        r.state["parsed"] = parsed
        r.state["created"] = self._now()
        self._add(r, None)
        return {"schemaArn": arn}

    def _schema_view(self, r: Resource, summary: bool = False) -> dict[str, Any]:
        view = {"name": r.name, "schemaArn": r.arn, **self._times(r)}
        if not summary:
            view["schema"] = r.attrs["schema"]
        if "domain" in r.attrs:
            view["domain"] = r.attrs["domain"]
        return view

    def op_describe_schema(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        return {"schema": self._schema_view(self._get(p["schemaArn"], "schema"))}

    def op_list_schemas(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        return self._page(
            [self._schema_view(r, True) for r in self._of_kind("schema", region)], p, "schemas"
        )

    def op_delete_schema(self, region: str, p: dict[str, Any]) -> None:
        r = self._get(p["schemaArn"], "schema")
        users = self._children("dataset", "schemaArn", r.arn)
        if users:
            raise ResourceInUseException(
                f"Cannot delete schema {r.arn}: used by datasets {[d.arn for d in users]}"
            )
        self.resources.pop(r.arn)

    # ---- datasets --------------------------------------------------------------------------

    def op_create_dataset(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        group = self._get(p["datasetGroupArn"], "dataset-group", "dataset group")
        schema = self._get(p["schemaArn"], "schema")
        dataset_type = p["datasetType"]
        canonical = {"interactions": "Interactions", "items": "Items", "users": "Users"}.get(
            dataset_type.lower()
        )
        if canonical is None:
            raise InvalidInputException(
                f"datasetType {dataset_type!r} is not supported; "
                "allowed: Interactions, Items, Users"
            )
        self._require_active(group, "Dataset group")
        siblings = self._children("dataset", "datasetGroupArn", group.arn)
        if any(d.state["type"] == canonical for d in siblings):
            raise ResourceAlreadyExistsException(
                f"Dataset group {group.arn} already has a {canonical} dataset"
            )
        self._unique("dataset", region, p["name"], "Dataset", siblings)
        avro.check_dataset_type(schema.state["parsed"], canonical)
        arn = self._arn(region, "dataset", f"{group.name}/{canonical.upper()}")
        r = Resource(
            "dataset",
            arn,
            p["name"],
            region,
            self._lifecycle("dataset", p["name"], arn=arn),
            {"datasetGroupArn": group.arn, "datasetType": dataset_type, "schemaArn": schema.arn},
        )
        r.state.update(type=canonical, rows=[], records={}, record_times={})
        self._add(r, p.get("tags"))
        return {"datasetArn": arn}

    def _dataset_view(self, r: Resource, summary: bool = False) -> dict[str, Any]:
        view: dict[str, Any] = {
            "name": r.name,
            "datasetArn": r.arn,
            "datasetType": r.attrs["datasetType"],
            **self._times(r),
        }
        view.pop("failureReason", None)
        if summary:
            return view
        view.update(datasetGroupArn=r.attrs["datasetGroupArn"], schemaArn=r.attrs["schemaArn"])
        if "update" in r.state:
            view["latestDatasetUpdate"] = r.state["update"]
        if r.state["type"] == "Interactions":
            for tracker in self._children(
                "event-tracker", "datasetGroupArn", r.attrs["datasetGroupArn"]
            ):
                view["trackingId"] = tracker.attrs["trackingId"]
        return view

    def op_describe_dataset(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        return {"dataset": self._dataset_view(self._get(p["datasetArn"], "dataset"))}

    def op_list_datasets(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        found = self._filtered("dataset", region, p, "datasetGroupArn")
        return self._page([self._dataset_view(r, True) for r in found], p, "datasets")

    def op_update_dataset(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        r = self._get(p["datasetArn"], "dataset")
        schema = self._get(p["schemaArn"], "schema")
        self._require_active(r, "Dataset")
        avro.check_dataset_type(schema.state["parsed"], r.state["type"])
        now = self._now()
        r.attrs["schemaArn"] = schema.arn
        r.state["update"] = {
            "schemaArn": schema.arn,
            "status": ACTIVE,
            "creationDateTime": now,
            "lastUpdatedDateTime": now,
        }
        return {"datasetArn": r.arn}

    def op_delete_dataset(self, region: str, p: dict[str, Any]) -> None:
        r = self._get(p["datasetArn"], "dataset")
        now = self._now()
        for job in self._children("dataset-import-job", "datasetArn", r.arn):
            if job.lifecycle and job.lifecycle.in_flight(now):
                raise ResourceInUseException(
                    f"Cannot delete dataset {r.arn} while import job {job.arn} is in progress"
                )
        for solution in self._children("solution", "datasetGroupArn", r.attrs["datasetGroupArn"]):
            for version in self._children("solution-version", "solutionArn", solution.arn):
                if version.lifecycle and version.lifecycle.in_flight(now):
                    raise ResourceInUseException(
                        f"Cannot delete dataset {r.arn} while solution version "
                        f"{version.arn} is training"
                    )
        self._start_delete(r, "Dataset")

    # ---- import jobs -----------------------------------------------------------------------

    def op_create_dataset_import_job(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        dataset = self._get(p["datasetArn"], "dataset")
        name = p["jobName"]
        self._unique("dataset-import-job", region, name, "Dataset import job")
        location = p["dataSource"].get("dataLocation")
        if not location or not location.startswith("s3://"):
            raise InvalidInputException(
                f"dataSource.dataLocation must be an s3:// URL, got {location!r}"
            )
        self._require_active(dataset, "Dataset")
        arn = self._arn(region, "dataset-import-job", name)
        attrs = {
            "datasetArn": dataset.arn,
            "dataSource": {"dataLocation": location},
            "importMode": p.get("importMode", "FULL"),
            "publishAttributionMetricsToS3": p.get("publishAttributionMetricsToS3", False),
        }
        if "roleArn" in p:
            attrs["roleArn"] = p["roleArn"]
        self._add(
            Resource(
                "dataset-import-job",
                arn,
                name,
                region,
                self._lifecycle("dataset-import-job", name, arn=arn),
                attrs,
            ),
            p.get("tags"),
        )
        return {"datasetImportJobArn": arn}

    def _job_view(self, r: Resource, summary: bool = False) -> dict[str, Any]:
        view = {
            "jobName": r.name,
            "datasetImportJobArn": r.arn,
            **self._times(r),
            "importMode": r.attrs["importMode"],
        }
        if not summary:
            view.update({k: v for k, v in r.attrs.items() if k != "importMode"})
        return view

    def op_describe_dataset_import_job(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        r = self._get(p["datasetImportJobArn"], "dataset-import-job", "dataset import job")
        return {"datasetImportJob": self._job_view(r)}

    def op_list_dataset_import_jobs(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        found = self._filtered("dataset-import-job", region, p, "datasetArn")
        return self._page([self._job_view(r, True) for r in found], p, "datasetImportJobs")

    def _read_s3(self, region: str, location: str) -> list[tuple[str, str]]:
        bucket, _, key = location[len("s3://") :].partition("/")
        client = boto3.client("s3", region_name=region, endpoint_url=self.s3_endpoint_url)
        try:
            if key and not key.endswith("/"):
                body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
                return [(location, body.decode("utf-8-sig"))]
            listing = client.list_objects_v2(Bucket=bucket, Prefix=key)
            keys = [o["Key"] for o in listing.get("Contents", []) if o["Key"].endswith(".csv")]
            if not keys:
                raise avro.ImportFailedError(f"No .csv files found at {location}")
            return [
                (
                    f"s3://{bucket}/{k}",
                    client.get_object(Bucket=bucket, Key=k)["Body"].read().decode("utf-8-sig"),
                )
                for k in keys
            ]
        except avro.ImportFailedError:
            raise
        except Exception as exc:
            raise avro.ImportFailedError(
                f"Failed to read input data from {location}: {exc}"
            ) from None

    def _run_import(self, job: Resource) -> None:
        dataset = self.resources[job.attrs["datasetArn"]]
        schema: avro.AvroSchema = self.resources[dataset.attrs["schemaArn"]].state["parsed"]
        location = job.attrs["dataSource"]["dataLocation"]
        rows: list[dict[str, Any]] = []
        for name, body in self._read_s3(job.region, location):
            rows.extend(avro.read_csv(schema, body, dataset.state["type"], name))
        full = job.attrs["importMode"] == "FULL"
        if (
            dataset.state["type"] == "Interactions"
            and full
            and len(rows) < avro.MIN_INTERACTIONS_PER_IMPORT
        ):
            raise avro.ImportFailedError(
                f"Input data must have at least {avro.MIN_INTERACTIONS_PER_IMPORT} interactions; "
                f"{location} has {len(rows)}"
            )
        dataset.state["rows"] = rows if full else dataset.state["rows"] + rows
        dataset.state.pop("history", None)

    # ---- group data ------------------------------------------------------------------------

    def _dataset_of(self, group_arn: str, dataset_type: str) -> Resource | None:
        for d in self._children("dataset", "datasetGroupArn", group_arn):
            if d.state["type"] == dataset_type:
                return d
        return None

    def _interactions(self, group_arn: str) -> list[recommender.Interaction]:
        rows: list[recommender.Interaction] = []
        dataset = self._dataset_of(group_arn, "Interactions")
        if dataset is not None:
            for row in dataset.state["rows"]:
                value = row.get("EVENT_VALUE")
                rows.append(
                    recommender.Interaction(
                        str(row["USER_ID"]),
                        str(row["ITEM_ID"]),
                        float(row["TIMESTAMP"]),
                        str(row.get("EVENT_TYPE") or ""),
                        None if value is None else float(value),
                    )
                )
        rows.extend(self.events.get(group_arn, []))
        return rows

    def _histories(self, group_arn: str) -> dict[str, list[recommender.Interaction]]:
        """Per user, interactions in time order (imported plus live events); cached per dataset."""
        dataset = self._dataset_of(group_arn, "Interactions")
        cache_owner = dataset.state if dataset is not None else None
        events = self.events.get(group_arn, [])
        if cache_owner is not None:
            cached = cache_owner.get("history")
            if cached is not None and cached[0] == len(events):
                history: dict[str, list[recommender.Interaction]] = cached[1]
                return history
        by_user: dict[str, list[recommender.Interaction]] = defaultdict(list)
        for i in self._interactions(group_arn):
            by_user[i.user_id].append(i)
        for rows in by_user.values():
            rows.sort(key=lambda i: i.timestamp)
        if cache_owner is not None:
            cache_owner["history"] = (len(events), by_user)
        return by_user

    def _extend_history(self, group_arn: str, interaction: recommender.Interaction) -> None:
        """Keep the cached per-user histories current as events arrive (no full rebuild)."""
        dataset = self._dataset_of(group_arn, "Interactions")
        cached = dataset.state.get("history") if dataset is not None else None
        if dataset is None or cached is None:
            return
        count, by_user = cached
        if count != len(self.events[group_arn]) - 1:
            dataset.state.pop("history", None)
            return
        rows = by_user[interaction.user_id]
        stamps = [i.timestamp for i in rows]
        rows.insert(bisect.bisect_right(stamps, interaction.timestamp), interaction)
        dataset.state["history"] = (count + 1, by_user)

    def _items(self, group_arn: str) -> tuple[dict[str, dict[str, Any]], dict[str, float]]:
        """Items dataset rows by id, and when each item was added (for exploration)."""
        dataset = self._dataset_of(group_arn, "Items")
        if dataset is None:
            return {}, {}
        rows = {str(r["ITEM_ID"]): r for r in dataset.state["rows"]}
        rows.update(dataset.state["records"])
        added: dict[str, float] = {}
        for item, row in rows.items():
            stamp = row.get("CREATION_TIMESTAMP")
            added[item] = (
                float(stamp)
                if isinstance(stamp, int | float)
                else dataset.state["record_times"].get(item, 0.0)
            )
        return rows, added

    # ---- solutions -------------------------------------------------------------------------

    def op_create_solution(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        group = self._get(p["datasetGroupArn"], "dataset-group", "dataset group")
        name = p["name"]
        self._unique("solution", region, name, "Solution")
        recipe = p.get("recipeArn")
        if p.get("performAutoML"):
            raise InvalidInputException(
                "performAutoML is not supported by the emulator; pass a recipeArn"
            )
        if not recipe:
            raise InvalidInputException("recipeArn is required")
        if not recipe.startswith(RECIPE_PREFIX) or recipe[len(RECIPE_PREFIX) :] not in RECIPES:
            raise ResourceNotFoundException(f"Could not find recipe {recipe}")
        self._require_active(group, "Dataset group")
        if self._dataset_of(group.arn, "Interactions") is None:
            raise InvalidInputException(
                f"Dataset group {group.arn} has no Interactions dataset; "
                "create one before a solution"
            )
        arn = self._arn(region, "solution", name)
        attrs: dict[str, Any] = {
            "performHPO": p.get("performHPO", False),
            "performAutoML": False,
            "performAutoTraining": p.get("performAutoTraining", True),
            "recipeArn": recipe,
            "datasetGroupArn": group.arn,
        }
        for key in ("eventType", "solutionConfig", "performIncrementalUpdate"):
            if key in p:
                attrs[key] = p[key]
        self._add(
            Resource(
                "solution", arn, name, region, self._lifecycle("solution", name, arn=arn), attrs
            ),
            p.get("tags"),
        )
        return {"solutionArn": arn}

    def _latest_version(self, solution: Resource) -> Resource | None:
        versions = self._children("solution-version", "solutionArn", solution.arn)
        return versions[-1] if versions else None

    def _solution_view(self, r: Resource, summary: bool = False) -> dict[str, Any]:
        view = {
            "name": r.name,
            "solutionArn": r.arn,
            **self._times(r),
            "recipeArn": r.attrs["recipeArn"],
        }
        view.pop("failureReason", None)
        if summary:
            return view
        view.update(r.attrs)
        latest = self._latest_version(r)
        if latest is not None:
            view["latestSolutionVersion"] = self._version_view(latest, summary=True)
        if "update" in r.state:
            view["latestSolutionUpdate"] = r.state["update"]
        return view

    def op_describe_solution(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        return {"solution": self._solution_view(self._get(p["solutionArn"], "solution"))}

    def op_list_solutions(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        found = self._filtered("solution", region, p, "datasetGroupArn")
        return self._page([self._solution_view(r, True) for r in found], p, "solutions")

    def op_update_solution(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        r = self._get(p["solutionArn"], "solution")
        self._require_active(r, "Solution")
        now = self._now()
        update: dict[str, Any] = {
            "status": ACTIVE,
            "creationDateTime": now,
            "lastUpdatedDateTime": now,
        }
        if "performAutoTraining" in p:
            r.attrs["performAutoTraining"] = p["performAutoTraining"]
            update["performAutoTraining"] = p["performAutoTraining"]
        if "performIncrementalUpdate" in p:
            r.attrs["performIncrementalUpdate"] = p["performIncrementalUpdate"]
            update["performIncrementalUpdate"] = p["performIncrementalUpdate"]
        config = p.get("solutionUpdateConfig")
        if config:
            update["solutionUpdateConfig"] = config
            if "autoTrainingConfig" in config:
                r.attrs.setdefault("solutionConfig", {})["autoTrainingConfig"] = config[
                    "autoTrainingConfig"
                ]
        r.state["update"] = update
        return {"solutionArn": r.arn}

    def op_delete_solution(self, region: str, p: dict[str, Any]) -> None:
        r = self._get(p["solutionArn"], "solution")
        versions = self._children("solution-version", "solutionArn", r.arn)
        version_arns = {v.arn for v in versions} | {f"{r.arn}/$LATEST"}
        campaigns = [
            c
            for c in self._of_kind("campaign", region)
            if c.attrs["solutionVersionArn"] in version_arns
        ]
        if campaigns:
            raise ResourceInUseException(
                f"Cannot delete solution {r.arn}: campaigns {[c.arn for c in campaigns]} use it"
            )
        now = self._now()
        busy = [v.arn for v in versions if v.lifecycle and v.lifecycle.in_flight(now)]
        if busy:
            raise ResourceInUseException(
                f"Cannot delete solution {r.arn} while solution versions {busy} are in progress"
            )
        self._start_delete(r, "Solution")

    def _schedule_auto_training(self, now: float) -> None:
        for solution in list(self.resources.values()):
            if solution.kind != "solution" or not solution.attrs.get("performAutoTraining"):
                continue
            lc = solution.lifecycle
            assert lc is not None
            if lc.deleting() or not lc.settled or lc.failure_reason:
                continue
            start = solution.state.get("next_auto")
            if start is None:
                start = lc.due + self._steps("auto-training").in_progress
                solution.state["next_auto"] = start
            if start > now:
                continue
            self._create_version(
                solution,
                mode="AUTOTRAIN",
                name=None,
                training_type="AUTOMATIC",
                created=start,
                tags=None,
            )
            expression = solution.attrs.get("solutionConfig", {}).get("autoTrainingConfig", {})
            match = re.fullmatch(
                r"rate\((\d+) days?\)", expression.get("schedulingExpression", "rate(7 days)")
            )
            days = int(match.group(1)) if match else 7
            factor = self.timing.time_scale if self.timing.profile == "real" else 1.0
            solution.state["next_auto"] = start + days * 86400 * factor

    # ---- solution versions -----------------------------------------------------------------

    def op_create_solution_version(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        solution = self._get(p["solutionArn"], "solution")
        mode = p.get("trainingMode", "FULL")
        self._require_active(solution, "Solution")
        if mode == "AUTOTRAIN":
            raise InvalidInputException(
                "trainingMode AUTOTRAIN is set by the service; use FULL or UPDATE"
            )
        recipe = solution.attrs["recipeArn"][len(RECIPE_PREFIX) :]
        if mode == "UPDATE":
            if recipe not in UPDATABLE_RECIPES:
                raise InvalidInputException(
                    f"trainingMode UPDATE is only allowed for {sorted(UPDATABLE_RECIPES)}, "
                    f"not {recipe}"
                )
            versions = self._children("solution-version", "solutionArn", solution.arn)
            if not any(
                v.attrs["trainingMode"] == "FULL" and self._status(v) == ACTIVE for v in versions
            ):
                raise InvalidInputException(
                    "trainingMode UPDATE needs an ACTIVE solution version trained with FULL first"
                )
        now = self._now()
        in_flight = [
            r
            for r in self._of_kind("solution-version", region)
            if r.lifecycle and r.lifecycle.in_flight(now)
        ]
        if len(in_flight) >= self.max_training_in_flight:
            raise LimitExceededException(
                f"At most {self.max_training_in_flight} solution versions can be pending "
                "or in progress"
            )
        name = p.get("name")
        if name is not None:
            self._unique(
                "solution-version",
                region,
                name,
                "Solution version",
                self._children("solution-version", "solutionArn", solution.arn),
            )
        version = self._create_version(
            solution, mode=mode, name=name, training_type="MANUAL", created=None, tags=p.get("tags")
        )
        return {"solutionVersionArn": version.arn}

    def _create_version(
        self,
        solution: Resource,
        *,
        mode: str,
        name: str | None,
        training_type: str,
        created: float | None,
        tags: list[dict[str, str]] | None,
    ) -> Resource:
        arn = f"{solution.arn}/{_new_id()}"
        attrs: dict[str, Any] = {
            "solutionArn": solution.arn,
            "trainingMode": mode,
            "trainingType": training_type,
        }
        if name is not None:
            attrs["name"] = name
        lc = self._lifecycle("solution-version", name or arn, created, arn=arn)
        version = Resource("solution-version", arn, name or "", solution.region, lc, attrs)
        self._add(version, tags)
        return version

    def _run_training(self, version: Resource) -> None:
        solution = self.resources[version.attrs["solutionArn"]]
        recipe = solution.attrs["recipeArn"][len(RECIPE_PREFIX) :]
        kind = RECIPES[recipe][1]
        interactions = self._interactions(solution.attrs["datasetGroupArn"])
        event_type = solution.attrs.get("eventType")
        if event_type:
            interactions = [i for i in interactions if i.event_type == event_type]
        threshold = solution.attrs.get("solutionConfig", {}).get("eventValueThreshold")
        if threshold is not None:
            interactions = [
                i
                for i in interactions
                if i.event_value is not None and i.event_value >= float(threshold)
            ]
        model = recommender.train(interactions, kind)
        version.state["model"] = model
        version.state["metrics"] = recommender.evaluate(interactions, kind)
        version.state["trained_on"] = len(interactions)
        lc = version.lifecycle
        assert lc is not None
        version.attrs["trainingHours"] = round((lc.steps.in_progress or 0.0) / 3600.0, 4)

    def _version_view(self, r: Resource, summary: bool = False) -> dict[str, Any]:
        view = {
            "solutionVersionArn": r.arn,
            **self._times(r),
            "trainingMode": r.attrs["trainingMode"],
            "trainingType": r.attrs["trainingType"],
        }
        if summary:
            return view
        solution = self.resources.get(r.attrs["solutionArn"])
        if solution is not None:
            view.update(
                {
                    k: solution.attrs[k]
                    for k in (
                        "performHPO",
                        "performAutoML",
                        "recipeArn",
                        "eventType",
                        "datasetGroupArn",
                        "solutionConfig",
                        "performIncrementalUpdate",
                    )
                    if k in solution.attrs
                }
            )
        view.update({k: v for k, v in r.attrs.items() if k not in ("trainingType",)})
        return view

    def op_describe_solution_version(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        r = self._get(p["solutionVersionArn"], "solution-version", "solution version")
        return {"solutionVersion": self._version_view(r)}

    def op_list_solution_versions(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        if p.get("solutionArn"):
            self._get(p["solutionArn"], "solution")
        found = self._filtered("solution-version", region, p, "solutionArn")
        return self._page([self._version_view(r, True) for r in found], p, "solutionVersions")

    def op_stop_solution_version_creation(self, region: str, p: dict[str, Any]) -> None:
        r = self._get(p["solutionVersionArn"], "solution-version", "solution version")
        lc = r.lifecycle
        assert lc is not None
        status = lc.status(self._now())
        if status not in (CREATE_PENDING, CREATE_IN_PROGRESS):
            raise ResourceInUseException(
                f"Solution version {r.arn} can only be stopped while CREATE PENDING or "
                f"CREATE IN_PROGRESS; its status is {status}"
            )
        lc.stop_requested = self._now()
        lc.stop_steps = self._steps("stop")

    def op_get_solution_metrics(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        r = self._get(p["solutionVersionArn"], "solution-version", "solution version")
        self._require_active(r, "Solution version")
        return {"solutionVersionArn": r.arn, "metrics": dict(r.state.get("metrics", {}))}

    # ---- campaigns -------------------------------------------------------------------------

    def _resolve_version(self, arn: str, region: str, must_be_active: bool = True) -> Resource:
        """A solution version, or the latest ACTIVE one for "<solutionArn>/$LATEST"."""
        if arn.endswith("/$LATEST"):
            solution = self._get(arn[: -len("/$LATEST")], "solution")
            active = [
                v
                for v in self._children("solution-version", "solutionArn", solution.arn)
                if self._status(v) == ACTIVE
            ]
            if not active:
                raise ResourceInUseException(
                    f"Solution {solution.arn} has no ACTIVE solution version"
                )
            return active[-1]
        version = self._get(arn, "solution-version", "solution version")
        if must_be_active:
            self._require_active(version, "Solution version")
        return version

    def _check_campaign_config(self, version_arn: str, config: dict[str, Any] | None) -> None:
        if (
            config
            and config.get("syncWithLatestSolutionVersion")
            and not version_arn.endswith("/$LATEST")
        ):
            raise InvalidInputException(
                "syncWithLatestSolutionVersion needs solutionVersionArn in the form "
                "<solutionArn>/$LATEST"
            )
        weight = (config or {}).get("itemExplorationConfig", {}).get("explorationWeight")
        if weight is not None:
            try:
                ok = 0.0 <= float(weight) <= 1.0
            except ValueError:
                ok = False
            if not ok:
                raise InvalidInputException(
                    f"explorationWeight must be a number from 0 to 1, got {weight!r}"
                )

    def op_create_campaign(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        name = p["name"]
        self._unique("campaign", region, name, "Campaign")
        self._check_campaign_config(p["solutionVersionArn"], p.get("campaignConfig"))
        self._resolve_version(p["solutionVersionArn"], region)
        live = [
            c
            for c in self._of_kind("campaign", region)
            if not (c.lifecycle and c.lifecycle.deleting())
        ]
        if len(live) >= self.max_active_campaigns:
            raise LimitExceededException(
                f"At most {self.max_active_campaigns} campaigns can exist per region (quota)"
            )
        arn = self._arn(region, "campaign", name)
        attrs = {
            "solutionVersionArn": p["solutionVersionArn"],
            "minProvisionedTPS": p.get("minProvisionedTPS", 1),
            "campaignConfig": p.get("campaignConfig", {}),
        }
        self._add(
            Resource(
                "campaign", arn, name, region, self._lifecycle("campaign", name, arn=arn), attrs
            ),
            p.get("tags"),
        )
        return {"campaignArn": arn}

    def _campaign_view(self, r: Resource, summary: bool = False) -> dict[str, Any]:
        view = {"name": r.name, "campaignArn": r.arn, **self._times(r)}
        if summary:
            return view
        view.update(r.attrs)
        update = r.state.get("update")
        if update is not None:
            lc: Lifecycle = update["lifecycle"]
            now = self._now()
            latest = {
                k: update[k] for k in ("solutionVersionArn", "minProvisionedTPS", "campaignConfig")
            }
            latest.update(
                status=lc.status(now),
                creationDateTime=lc.created,
                lastUpdatedDateTime=lc.last_updated(now),
            )
            if latest["status"] == CREATE_FAILED:
                latest["failureReason"] = lc.failure_reason
            view["latestCampaignUpdate"] = latest
        return view

    def op_describe_campaign(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        return {"campaign": self._campaign_view(self._get(p["campaignArn"], "campaign"))}

    def op_list_campaigns(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        found = self._of_kind("campaign", region)
        if p.get("solutionArn"):
            prefix = p["solutionArn"] + "/"
            found = [c for c in found if c.attrs["solutionVersionArn"].startswith(prefix)]
        return self._page([self._campaign_view(r, True) for r in found], p, "campaigns")

    def op_update_campaign(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        r = self._get(p["campaignArn"], "campaign")
        status = self._status(r)
        if status not in (ACTIVE, CREATE_FAILED):
            raise ResourceInUseException(
                f"Campaign {r.arn} can only be updated when ACTIVE or CREATE FAILED; "
                f"status is {status}"
            )
        pending = r.state.get("update")
        if pending is not None and pending["lifecycle"].in_flight(self._now()):
            raise ResourceInUseException(f"Campaign {r.arn} already has an update in progress")
        version_arn = p.get("solutionVersionArn", r.attrs["solutionVersionArn"])
        config = p.get("campaignConfig", r.attrs["campaignConfig"])
        self._check_campaign_config(version_arn, config)
        self._resolve_version(version_arn, region)
        r.state["update"] = {
            "solutionVersionArn": version_arn,
            "minProvisionedTPS": p.get("minProvisionedTPS", r.attrs["minProvisionedTPS"]),
            "campaignConfig": config,
            "lifecycle": self._lifecycle("campaign-update", r.name, arn=r.arn),
        }
        return {"campaignArn": r.arn}

    def op_delete_campaign(self, region: str, p: dict[str, Any]) -> None:
        r = self._get(p["campaignArn"], "campaign")
        update = r.state.get("update")
        if update is not None and update["lifecycle"].in_flight(self._now()):
            raise ResourceInUseException(
                f"Cannot delete campaign {r.arn} while an update is in progress"
            )
        self._start_delete(r, "Campaign")

    # ---- event trackers --------------------------------------------------------------------

    def op_create_event_tracker(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        group = self._get(p["datasetGroupArn"], "dataset-group", "dataset group")
        name = p["name"]
        self._unique("event-tracker", region, name, "Event tracker")
        existing = self._children("event-tracker", "datasetGroupArn", group.arn)
        if existing:
            # The docs say only that a second tracker for a group is an error; we answer with
            # ResourceAlreadyExistsException (see README, known differences).
            raise ResourceAlreadyExistsException(
                f"Dataset group {group.arn} already has an event tracker ({existing[0].arn}); "
                "only one is allowed per dataset group"
            )
        self._require_active(group, "Dataset group")
        arn = self._arn(region, "event-tracker", _new_id())
        tracking_id = str(uuid.uuid4())
        attrs = {
            "accountId": self.account_id,
            "trackingId": tracking_id,
            "datasetGroupArn": group.arn,
        }
        self._add(
            Resource(
                "event-tracker",
                arn,
                name,
                region,
                self._lifecycle("event-tracker", name, arn=arn),
                attrs,
            ),
            p.get("tags"),
        )
        return {"eventTrackerArn": arn, "trackingId": tracking_id}

    def _tracker_view(self, r: Resource, summary: bool = False) -> dict[str, Any]:
        view = {"name": r.name, "eventTrackerArn": r.arn, **self._times(r)}
        view.pop("failureReason", None)
        if not summary:
            view.update(r.attrs)
        return view

    def op_describe_event_tracker(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        r = self._get(p["eventTrackerArn"], "event-tracker", "event tracker")
        return {"eventTracker": self._tracker_view(r)}

    def op_list_event_trackers(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        found = self._filtered("event-tracker", region, p, "datasetGroupArn")
        return self._page([self._tracker_view(r, True) for r in found], p, "eventTrackers")

    def op_delete_event_tracker(self, region: str, p: dict[str, Any]) -> None:
        self._start_delete(
            self._get(p["eventTrackerArn"], "event-tracker", "event tracker"), "Event tracker"
        )

    # ---- filters ---------------------------------------------------------------------------

    def op_create_filter(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        group = self._get(p["datasetGroupArn"], "dataset-group", "dataset group")
        name = p["name"]
        self._unique("filter", region, name, "Filter")
        expression = filters.parse(p["filterExpression"])
        items = self._dataset_of(group.arn, "Items")
        if items is not None:
            schema: avro.AvroSchema = self.resources[items.attrs["schemaArn"]].state["parsed"]
            known = {n.upper() for n in schema.names}  # fields match in any case, as in AWS
            unknown = sorted(f for f in expression.item_fields if f.upper() not in known)
            if unknown:
                raise InvalidInputException(
                    f"Filter expression uses Items fields {unknown} that the Items schema lacks; "
                    f"schema fields are {schema.names}"
                )
        self._require_active(group, "Dataset group")
        arn = self._arn(region, "filter", name)
        attrs = {"datasetGroupArn": group.arn, "filterExpression": p["filterExpression"]}
        r = Resource("filter", arn, name, region, self._lifecycle("filter", name, arn=arn), attrs)
        r.state["expression"] = expression
        self._add(r, p.get("tags"))
        return {"filterArn": arn}

    def _filter_view(self, r: Resource, summary: bool = False) -> dict[str, Any]:
        view = {
            "name": r.name,
            "filterArn": r.arn,
            **self._times(r),
            "datasetGroupArn": r.attrs["datasetGroupArn"],
        }
        if not summary:
            view["filterExpression"] = r.attrs["filterExpression"]
        return view

    def op_describe_filter(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        return {"filter": self._filter_view(self._get(p["filterArn"], "filter"))}

    def op_list_filters(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        found = self._filtered("filter", region, p, "datasetGroupArn")
        return self._page([self._filter_view(r, True) for r in found], p, "Filters")

    def op_delete_filter(self, region: str, p: dict[str, Any]) -> None:
        self._start_delete(self._get(p["filterArn"], "filter"), "Filter")

    # ---- recipes and tags ------------------------------------------------------------------

    def _recipe_view(self, name: str, summary: bool = False) -> dict[str, Any]:
        view: dict[str, Any] = {
            "name": name,
            "recipeArn": RECIPE_PREFIX + name,
            "status": ACTIVE,
            "creationDateTime": 1546300800.0,
            "lastUpdatedDateTime": 1546300800.0,
        }
        if not summary:
            view.update(
                algorithmArn=f"arn:aws:personalize:::algorithm/{name}",
                recipeType=RECIPES[name][0],
                description=f"Emulated {name} recipe",
            )
        return view

    def op_describe_recipe(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        arn = p["recipeArn"]
        name = arn[len(RECIPE_PREFIX) :] if arn.startswith(RECIPE_PREFIX) else ""
        if name not in RECIPES:
            raise ResourceNotFoundException(f"Could not find recipe {arn}")
        return {"recipe": self._recipe_view(name)}

    def op_list_recipes(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        return self._page([self._recipe_view(n, True) for n in RECIPES], p, "recipes")

    def _tagged(self, arn: str) -> Resource:
        r = self.resources.get(arn)
        if r is None:
            raise ResourceNotFoundException(f"Could not find resource {arn}")
        return r

    def op_tag_resource(self, region: str, p: dict[str, Any]) -> None:
        self._tagged(p["resourceArn"]).tags.update({t["tagKey"]: t["tagValue"] for t in p["tags"]})

    def op_untag_resource(self, region: str, p: dict[str, Any]) -> None:
        r = self._tagged(p["resourceArn"])
        for key in p["tagKeys"]:
            r.tags.pop(key, None)

    def op_list_tags_for_resource(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        r = self._tagged(p["resourceArn"])
        return {"tags": [{"tagKey": k, "tagValue": v} for k, v in r.tags.items()]}

    # ---- events (personalize-events) -------------------------------------------------------

    def op_put_events(self, region: str, p: dict[str, Any]) -> None:
        tracker = next(
            (
                t
                for t in self._of_kind("event-tracker", region)
                if t.attrs["trackingId"] == p["trackingId"]
            ),
            None,
        )
        if tracker is None:
            raise InvalidInputException(
                f"No event tracker with trackingId {p['trackingId']} exists"
            )
        status = self._status(tracker)
        if status != ACTIVE:
            raise InvalidInputException(
                f"Event tracker for trackingId {p['trackingId']} is not ACTIVE (status: {status})"
            )
        group = tracker.attrs["datasetGroupArn"]
        user = p.get("userId")
        received: list[tuple[tuple[Any, ...], recommender.Interaction | None]] = []
        for n, event in enumerate(p["eventList"], start=1):
            props = event.get("properties")
            if props is not None:
                try:
                    parsed = json.loads(props)
                except ValueError:
                    parsed = None
                if not isinstance(parsed, dict):
                    raise InvalidInputException(
                        f"eventList.{n}.properties must be a JSON object string"
                    )
            sent_at = _epoch(event["sentAt"])
            value = event.get("eventValue")
            item = event.get("itemId")
            key = (user, p["sessionId"], item, event["eventType"], sent_at, props, value)
            interaction = None
            if user and item:
                interaction = recommender.Interaction(
                    user, item, sent_at, event["eventType"], None if value is None else float(value)
                )
            received.append((key, interaction))
        keys = self._event_keys[group]
        for key, interaction in received:
            # Identical events (same timestamp and properties) are kept once, as the service does.
            if key in keys:
                continue
            keys.add(key)
            if interaction is not None:
                self.events[group].append(interaction)
                self._extend_history(group, interaction)

    def _put_records(
        self, p: dict[str, Any], records_key: str, id_key: str, dataset_type: str, id_field: str
    ) -> None:
        dataset = self._get(p["datasetArn"], "dataset")
        if dataset.state["type"] != dataset_type:
            raise InvalidInputException(
                f"Dataset {dataset.arn} is a {dataset.state['type']} dataset, not {dataset_type}"
            )
        self._require_active(dataset, "Dataset")
        schema: avro.AvroSchema = self.resources[dataset.attrs["schemaArn"]].state["parsed"]
        rows = [
            avro.check_record(schema, id_field, rec[id_key], rec.get("properties"))
            for rec in p[records_key]
        ]
        now = self._now()
        for row in rows:
            dataset.state["records"][row[id_field]] = row
            dataset.state["record_times"].setdefault(row[id_field], now)

    def op_put_items(self, region: str, p: dict[str, Any]) -> None:
        self._put_records(p, "items", "itemId", "Items", "ITEM_ID")

    def op_put_users(self, region: str, p: dict[str, Any]) -> None:
        self._put_records(p, "users", "userId", "Users", "USER_ID")

    # ---- runtime (personalize-runtime) -----------------------------------------------------

    def _serving(
        self, campaign_arn: str, region: str
    ) -> tuple[Resource, Resource, recommender.Model]:
        campaign = self.resources.get(campaign_arn)
        if campaign is None or campaign.kind != "campaign" or self._status(campaign) != ACTIVE:
            raise ResourceNotFoundException(f"Could not find an ACTIVE campaign {campaign_arn}")
        version = self._resolve_version(campaign.attrs["solutionVersionArn"], region)
        return campaign, version, version.state["model"]

    def _filter_predicate(
        self, p: dict[str, Any], group_arn: str, user_id: str | None
    ) -> Callable[[str], bool] | None:
        arn = p.get("filterArn")
        if not arn:
            return None
        f = self.resources.get(arn)
        if f is None or f.kind != "filter":
            raise ResourceNotFoundException(f"Could not find filter {arn}")
        if f.attrs["datasetGroupArn"] != group_arn:
            raise InvalidInputException(
                f"Filter {arn} belongs to another dataset group than the campaign"
            )
        if self._status(f) != ACTIVE:
            raise InvalidInputException(f"Filter {arn} is not ACTIVE (status: {self._status(f)})")
        items, _ = self._items(group_arn)
        events: dict[str, set[str]] = defaultdict(set)
        for i in self._histories(group_arn).get(user_id or "", []):
            events[i.item_id].add(i.event_type)
        return filters.compile_filter(
            f.state["expression"], p.get("filterValues", {}), items, events
        )

    def _metadata(self, p: dict[str, Any], campaign: Resource, group_arn: str) -> list[str]:
        columns = p.get("metadataColumns")
        if not columns:
            return []
        if not campaign.attrs["campaignConfig"].get("enableMetadataWithRecommendations"):
            raise InvalidInputException(
                "metadataColumns needs a campaign with "
                "campaignConfig.enableMetadataWithRecommendations"
            )
        wanted = columns.get("ITEMS", [])
        items = self._dataset_of(group_arn, "Items")
        if items is not None:
            schema: avro.AvroSchema = self.resources[items.attrs["schemaArn"]].state["parsed"]
            unknown = [c for c in wanted if schema.field(c) is None]
            if unknown:
                raise InvalidInputException(f"metadataColumns ITEMS has unknown columns {unknown}")
        return list(wanted)

    def _item_list(
        self, scored: list[recommender.Scored], columns: list[str], group_arn: str
    ) -> list[dict[str, Any]]:
        items, _ = self._items(group_arn) if columns else ({}, {})
        out: list[dict[str, Any]] = []
        for s in scored:
            entry: dict[str, Any] = {"itemId": s.item_id}
            if s.score is not None:
                entry["score"] = s.score
            if columns:
                row = items.get(s.item_id, {})
                entry["metadata"] = {
                    c: "" if row.get(c) is None else str(row.get(c)) for c in columns
                }
            out.append(entry)
        return out

    def op_get_recommendations(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        if p.get("recommenderArn"):
            raise ResourceNotFoundException("Recommenders (domain dataset groups) are not emulated")
        if not p.get("campaignArn"):
            raise InvalidInputException("campaignArn is required")
        campaign, version, model = self._serving(p["campaignArn"], region)
        group = self.resources[version.attrs["solutionArn"]].attrs["datasetGroupArn"]
        columns = self._metadata(p, campaign, group)
        limit = MAX_NUM_RESULTS_WITH_METADATA if columns else MAX_NUM_RESULTS
        num = p.get("numResults", 25)
        if num > limit:
            raise InvalidInputException(
                f"1 validation error detected: Value '{num}' at 'numResults' failed to satisfy "
                f"constraint: Member must have value less than or equal to {limit}"
            )
        promotion = promotions.requested(p.get("promotions"), num)
        user, item = p.get("userId"), p.get("itemId")
        allowed = self._filter_predicate(p, group, user)
        if model.kind == recommender.PERSONALIZED_RANKING:
            raise InvalidInputException(
                "This campaign uses a personalized-ranking recipe; call GetPersonalizedRanking"
            )
        if model.kind == recommender.RELATED_ITEMS:
            if not item:
                raise InvalidInputException("itemId is required for a related-items campaign")
            scored = recommender.similar_items(model, item, num, allowed)
        else:
            if not user:
                raise InvalidInputException(
                    "userId is required for a USER_PERSONALIZATION campaign"
                )
            history = [i.item_id for i in self._histories(group).get(user, [])]
            cold, weight = self._exploration(campaign, version, model, group)
            scored = recommender.recommend(
                model, history, num, allowed=allowed, cold_items=cold, exploration_weight=weight
            )
        item_list = self._item_list(scored, columns, group)
        if promotion is not None:
            item_list = self._promote(
                promotion,
                model=model,
                group=group,
                user=user,
                item=item,
                scored=scored,
                columns=columns,
                item_list=item_list,
            )
        return {"itemList": item_list, "recommendationId": f"RID-{uuid.uuid4()}"}

    def _promote(
        self,
        promotion: promotions.Promotion,
        *,
        model: recommender.Model,
        group: str,
        user: str | None,
        item: str | None,
        scored: list[recommender.Scored],
        columns: list[str],
        item_list: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        matches = self._filter_predicate(promotion.filter_request, group, user)
        # The regular items that keep their slots whatever the promotion finds.
        taken = {s.item_id for s in scored[: max(0, len(scored) - promotion.count)]}
        _, added = self._items(group)
        promoted = promotions.select(
            model,
            history=[i.item_id for i in self._histories(group).get(user or "", [])],
            item_id=item,
            count=promotion.count,
            allowed=lambda i: i not in taken and (matches is None or matches(i)),
            catalogue=sorted(added, key=lambda i: (-added[i], i)),
        )
        promoted_list = self._item_list(promoted, columns, group)
        return promotions.interleave(item_list, promoted_list, promotion.name, random.Random())

    def _exploration(
        self, campaign: Resource, version: Resource, model: recommender.Model, group: str
    ) -> tuple[list[str], float]:
        solution = self.resources[version.attrs["solutionArn"]]
        if solution.attrs["recipeArn"][len(RECIPE_PREFIX) :] not in UPDATABLE_RECIPES:
            return [], 0.0
        config = campaign.attrs["campaignConfig"].get("itemExplorationConfig", {})
        weight = float(config.get("explorationWeight", DEFAULT_EXPLORATION_WEIGHT))
        cutoff_days = float(config.get("explorationItemAgeCutOff", DEFAULT_EXPLORATION_AGE_DAYS))
        _, added = self._items(group)
        oldest = self._now() - cutoff_days * 86400
        cold = [i for i, t in added.items() if i not in model.index and t >= oldest]
        cold.sort(key=lambda i: (-added[i], i))
        return cold, weight

    def op_get_personalized_ranking(self, region: str, p: dict[str, Any]) -> dict[str, Any]:
        campaign, version, model = self._serving(p["campaignArn"], region)
        if model.kind != recommender.PERSONALIZED_RANKING:
            raise InvalidInputException(
                "GetPersonalizedRanking needs a campaign with a personalized-ranking recipe"
            )
        if len(p["inputList"]) > MAX_NUM_RESULTS:
            raise InvalidInputException(f"inputList can hold at most {MAX_NUM_RESULTS} items")
        group = self.resources[version.attrs["solutionArn"]].attrs["datasetGroupArn"]
        columns = self._metadata(p, campaign, group)
        allowed = self._filter_predicate(p, group, p["userId"])
        candidates = [i for i in dict.fromkeys(p["inputList"]) if allowed is None or allowed(i)]
        history = [i.item_id for i in self._histories(group).get(p["userId"], [])]
        ranked = recommender.rank(model, history, candidates)
        return {
            "personalizedRanking": self._item_list(ranked, columns, group),
            "recommendationId": f"RID-{uuid.uuid4()}",
        }


__all__ = ["DEFAULT_ACCOUNT", "Backend", "ServiceError"]
