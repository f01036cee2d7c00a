"""Where each resource kind's module plugs into the emulator.

A kind module registers its operations (``@operation("CreateCampaign")``), the work done when
one of its resources leaves CREATE IN_PROGRESS (``@settles``), what goes with a resource when it
is purged (``@purges``), work that runs as time passes (``@scheduler``) and work with its own due
times (``@pending_work``). Adding an emulated kind means adding one module to ``kinds``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import ResourceNotFoundException, UnknownOperationException

if TYPE_CHECKING:
    from .region import RegionBackend
    from .resources import Resource

Operation = Callable[["RegionBackend", dict[str, Any]], "dict[str, Any] | None"]
ResourceHook = Callable[["RegionBackend", "Resource"], None]
Scheduler = Callable[["RegionBackend", float], None]
# (due time, ARN, work) triples, run with the resources' own due work in due-time order.
PendingWork = Callable[["RegionBackend", float], list[tuple[float, str, Callable[[], None]]]]

OPERATIONS: dict[str, Operation] = {}
SETTLE: dict[str, ResourceHook] = {}
PURGE: dict[str, ResourceHook] = {}
SCHEDULERS: list[Scheduler] = []
PENDING_WORK: list[PendingWork] = []

F = TypeVar("F", bound=Callable[..., Any])


def operation(name: str) -> Callable[[F], F]:
    """Register the function that serves the API operation `name` (botocore's spelling)."""

    def register(func: F) -> F:
        if name in OPERATIONS:
            raise ValueError(f"operation {name} is registered twice")
        OPERATIONS[name] = func
        return func

    return register


def settles(kind: str) -> Callable[[ResourceHook], ResourceHook]:
    def register(func: ResourceHook) -> ResourceHook:
        SETTLE[kind] = func
        return func

    return register


def purges(kind: str) -> Callable[[ResourceHook], ResourceHook]:
    def register(func: ResourceHook) -> ResourceHook:
        PURGE[kind] = func
        return func

    return register


def scheduler(func: Scheduler) -> Scheduler:
    SCHEDULERS.append(func)
    return func


def pending_work(func: PendingWork) -> PendingWork:
    PENDING_WORK.append(func)
    return func


def not_emulated(operation: str, model: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Operations on kinds the emulator does not keep (recommenders, batch jobs, metric
    attributions, ...): none of them ever exists, so lists are empty and lookups find nothing.
    AWS's own teardown code lists recommenders before it deletes campaigns."""
    arns = [v for k, v in params.items() if k.endswith("Arn") and isinstance(v, str)]
    shape = model.input_shape
    required_arns = [k for k in shape.required_members if k.endswith("Arn")] if shape else []
    if operation.startswith("List") and not required_arns:
        members = model.output_shape.members.items()
        lists = [name for name, member in members if member.type_name == "list"]
        return {lists[0]: []} if lists else {}
    if operation.startswith(("List", "Describe", "Delete")) and arns:
        raise ResourceNotFoundException(f"Could not find {arns[0]}")
    raise UnknownOperationException(f"{operation} is not emulated by the Personalize emulator")
