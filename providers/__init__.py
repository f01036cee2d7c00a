"""Pulumi dynamic providers for Amazon Personalize resources that pulumi-aws lacks.

Each module holds one kind: its provider (the CRUD logic run by the dynamic provider host) and
its ``pulumi.dynamic.Resource`` subclass. Importing this package has no side effects and does not
import boto3; the provider host imports these modules again to unpickle providers by reference.

The account and credentials are the stack's AWS provider's: each provider reads the stack's
``aws:`` settings in ``configure()`` (see ``providers.credentials``). Tag values written to
Personalize come from ``providers.tags.tag_value``.

Waits are tuned in the provider process by PERSONALIZE_POLL_SCALE, PERSONALIZE_POLL_INITIAL,
PERSONALIZE_POLL_MAX_INTERVAL, PERSONALIZE_CREATE_TIMEOUT, PERSONALIZE_DELETE_TIMEOUT and
PERSONALIZE_MAX_ATTEMPTS (see ``providers.polling``). Each kind is a declaration
(``providers.declaration.Kind``) run by the one generic provider in ``providers.provider``.
"""

from .campaign import Campaign
from .dataset import Dataset
from .dataset_group import DatasetGroup
from .dataset_import_job import DatasetImportJob
from .event_tracker import EventTracker
from .filter import Filter
from .polling import PersonalizeProviderError, PollSettings
from .schema import Schema
from .solution import Solution
from .solution_version import SolutionVersion

__all__ = [
    "Campaign",
    "Dataset",
    "DatasetGroup",
    "DatasetImportJob",
    "EventTracker",
    "Filter",
    "PersonalizeProviderError",
    "PollSettings",
    "Schema",
    "Solution",
    "SolutionVersion",
]
