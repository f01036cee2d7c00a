"""The Pulumi side of a declared kind: a ``pulumi.dynamic.Resource`` built from its declaration.

A kind's Resource subclass names its provider and annotates its outputs (for type checkers);
its constructor takes the declared inputs as keywords, plus ``region``, ``tags`` when the kind is
tagged, and ``opts``. The type token stays ``pulumi-python:dynamic/personalize:<Kind>``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pulumi
import pulumi.dynamic

from .provider import PersonalizeProvider


class KindResource(pulumi.dynamic.Resource):
    provider_class: ClassVar[type[PersonalizeProvider]]
    region: pulumi.Output[str]
    arn: pulumi.Output[str]
    status: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        region: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
        **inputs: Any,
    ) -> None:
        spec = self.provider_class.declaration
        allowed = {*spec.fields, *(["tags"] if spec.tagged else [])}
        unknown = sorted(set(inputs) - allowed)
        missing = sorted(k for k in spec.required if inputs.get(k) is None)
        if unknown or missing:
            problems = [f"unknown input(s) {', '.join(unknown)}"] if unknown else []
            problems += [f"missing input(s) {', '.join(missing)}"] if missing else []
            raise TypeError(
                f"{type(self).__name__}({resource_name!r}): {'; '.join(problems)}; "
                f"takes {', '.join(sorted(allowed))}, region and opts"
            )
        props: dict[str, Any] = {k: inputs.get(k, f.default) for k, f in spec.fields.items()}
        props["region"] = region
        if spec.tagged:
            props["tags"] = inputs.get("tags")
        for key in ("arn", "status", *spec.outputs):
            props.setdefault(key, None)
        super().__init__(self.provider_class(), resource_name, props, opts)
