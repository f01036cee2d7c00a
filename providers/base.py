"""The building blocks every kind shares, in one import.

They live by concern: ``polling`` (statuses, errors, backoff), ``client`` (boto3, error codes,
the credentials guard), ``checks`` (Check helpers and comparisons), ``declaration`` (a kind as
data), ``lifecycle`` and ``provider`` (the one generic provider) and ``resource`` (its Pulumi
resource).
"""

from __future__ import annotations

from .checks import (
    NAME_MAX,
    UNKNOWN,
    arn_problem,
    canonical_json,
    is_unknown,
    name_problem,
    normalize_config,
    subset_differences,
)
from .client import (
    api_tags,
    credentials_guarded,
    error_code,
    error_message,
    find_by_name,
    is_not_found,
    paginate,
    personalize_client,
)
from .declaration import Field, Kind
from .polling import (
    ACTIVE,
    CREATE_FAILED,
    IN_FLIGHT,
    PersonalizeProviderError,
    PollSettings,
    Waiter,
    WaitTimeoutError,
)
from .provider import PROVIDER_KEY, PersonalizeProvider
from .resource import KindResource

__all__ = [
    "ACTIVE",
    "CREATE_FAILED",
    "IN_FLIGHT",
    "NAME_MAX",
    "PROVIDER_KEY",
    "UNKNOWN",
    "Field",
    "Kind",
    "KindResource",
    "PersonalizeProvider",
    "PersonalizeProviderError",
    "PollSettings",
    "WaitTimeoutError",
    "Waiter",
    "api_tags",
    "arn_problem",
    "canonical_json",
    "credentials_guarded",
    "error_code",
    "error_message",
    "find_by_name",
    "is_not_found",
    "is_unknown",
    "name_problem",
    "normalize_config",
    "paginate",
    "personalize_client",
    "subset_differences",
]
