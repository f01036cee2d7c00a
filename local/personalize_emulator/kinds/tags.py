"""Tags: TagResource, UntagResource and ListTagsForResource, kept by moto's TaggingService.

Keys and values are checked against the TagKey / TagValue patterns by the model-driven validation
(``validation``) before a call gets here.
"""

from __future__ import annotations

from typing import Any

from ..errors import ResourceNotFoundException
from ..region import RegionBackend
from ..registry import operation


def _tagged(rb: RegionBackend, arn: str) -> str:
    if arn not in rb.resources:
        raise ResourceNotFoundException(f"Could not find resource {arn}")
    return arn


@operation("TagResource")
def tag_resource(rb: RegionBackend, p: dict[str, Any]) -> None:
    rb.tags.tag_resource(_tagged(rb, p["resourceArn"]), p["tags"])


@operation("UntagResource")
def untag_resource(rb: RegionBackend, p: dict[str, Any]) -> None:
    rb.tags.untag_resource_using_names(_tagged(rb, p["resourceArn"]), p["tagKeys"])


@operation("ListTagsForResource")
def list_tags_for_resource(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = rb.tags.list_tags_for_resource(_tagged(rb, p["resourceArn"]))
    return result
