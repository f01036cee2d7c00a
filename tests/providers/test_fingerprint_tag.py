"""The training-inputs fingerprint travels as a tag: it must always be a valid tag value."""

import re

from hypothesis import given
from hypothesis import strategies as st

from providers.solution_version import fingerprint_tag


def test_two_import_job_arns_joined_by_a_comma_are_hashed() -> None:
    # Two datasets give a fingerprint shorter than 256 characters that holds a comma.
    arns = ",".join(
        f"arn:aws:personalize:eu-central-1:123456789012:dataset-import-job/shop-{kind}-import"
        for kind in ("interactions", "items")
    )
    assert len(arns) <= 256
    tag = fingerprint_tag(arns)
    assert "," not in tag
    assert tag.startswith("sha256:")


@given(st.text(max_size=600))
def test_every_fingerprint_is_a_valid_tag_value(inputs: str) -> None:
    tag = fingerprint_tag(inputs)
    assert len(tag) <= 256
    assert re.fullmatch(r"[\w .:/=+\-@]*", tag)
