"""One module per emulated resource kind; importing this package registers their operations.

Each module keeps its kind's views, operations, lifecycle hooks and children together, as moto
keeps a service's models and responses; see ``registry`` for how a module plugs in.
"""

from . import (
    campaigns,
    data,
    dataset_groups,
    datasets,
    event_trackers,
    events,
    filters,
    import_jobs,
    recipes,
    recommenders,
    runtime,
    schemas,
    solution_versions,
    solutions,
    tags,
)

LOADED = True

__all__ = [
    "campaigns",
    "data",
    "dataset_groups",
    "datasets",
    "event_trackers",
    "events",
    "filters",
    "import_jobs",
    "recipes",
    "recommenders",
    "runtime",
    "schemas",
    "solution_versions",
    "solutions",
    "tags",
]
