"""What the service refuses, so that a request the program must never send cannot pass offline.

Each refusal here is a defect a deploy would otherwise meet only in a real account.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import botocore.session  # type: ignore[import-untyped,unused-ignore]
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from local.personalize_emulator import spec, validation
from providers import tags

from ..conftest import BUCKET, Clients
from ..helpers import RECIPE, Synthetic, deploy, poll, wait_status


def _patterns() -> set[str]:
    found: set[str] = set()
    seen: set[str] = set()

    def walk(shape: Any) -> None:
        if shape is None or shape.name in seen:
            return
        seen.add(shape.name)
        if shape.metadata.get("pattern"):
            found.add(shape.metadata["pattern"])
        for member in getattr(shape, "members", {}).values():
            walk(member)
        for attr in ("member", "key", "value"):
            walk(getattr(shape, attr, None))

    session = botocore.session.get_session()
    for service in (spec.CONTROL, spec.EVENTS, spec.RUNTIME):
        model = session.get_service_model(service)
        for name in model.operation_names:
            walk(model.operation_model(name).input_shape)
    return found


def test_every_model_pattern_is_applied_with_its_java_meaning() -> None:
    """Every pattern in the three Personalize models compiles, and the Unicode classes keep their
    meaning: letters of any script, separators but not tabs, digits of any script.

    Source: the botocore models
    (https://github.com/boto/botocore/tree/develop/botocore/data/personalize, e.g. TagValue
    `^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$`, as https://docs.aws.amazon.com/personalize/latest/dg/API_Tag.html
    shows it); Python's `re` has no \\p classes, and a translation to \\w / \\s / \\d would
    accept tabs and newlines.
    """
    patterns = _patterns()
    assert len(patterns) >= 10
    for pattern in patterns:
        validation.compiled(pattern)
    tag = validation.compiled(r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$")
    assert [bool(tag.fullmatch(v)) for v in ("é ٣\u00a0x_.:/=+-@", "a,b", "a\tb", "a\nb")] == [
        True,
        False,
        False,
        False,
    ]


def test_shorthand_classes_keep_their_java_ascii_meaning() -> None:
    """Java's `\\d`, `\\w` and `\\s` match ASCII only, inside a set or outside it; the models
    write ColumnName `[A-Za-z_][A-Za-z\\d_]*`, SchedulingExpression `rate\\(\\d+ days?\\)` and
    RoleArn `arn:([a-z\\d-]+):iam::\\d{12}:role/...`.

    Source: https://docs.oracle.com/javase/8/docs/api/java/util/regex/Pattern.html (predefined
    character classes; Unicode only with UNICODE_CHARACTER_CLASS) and the botocore models.
    """
    column = validation.compiled(r"[A-Za-z_][A-Za-z\d_]*")
    schedule = validation.compiled(r"rate\(\d+ days?\)")
    word = validation.compiled(r"\w+\s\w+")
    assert column.fullmatch("GENRE_2")
    assert not column.fullmatch("GENRE_\u0662")
    assert schedule.fullmatch("rate(7 days)")
    assert not schedule.fullmatch("rate(\uff17 days)")
    assert word.fullmatch("a_1 b")
    assert not word.fullmatch("\u00e9 b")
    assert not word.fullmatch("a\u00a0b")


def test_tag_values_outside_the_pattern_are_refused(clients: Clients) -> None:
    """Tag keys and values must match the TagKey / TagValue patterns: a comma or a tab is refused
    at create time and by TagResource.

    Source: https://docs.aws.amazon.com/personalize/latest/dg/API_Tag.html (tagValue pattern
    `^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$`, 0-256 characters) and the botocore model's TagValue.
    """
    pz = clients.pz
    for bad in ("arn:a,arn:b", "tab\there"):
        with pytest.raises(pz.exceptions.InvalidInputException, match="tagValue"):
            pz.create_dataset_group(name="tags", tags=[{"tagKey": "k", "tagValue": bad}])
    group = pz.create_dataset_group(
        name="tags", tags=[{"tagKey": "pulumi:inputs", "tagValue": "Café 2 @ a/b=c+d-e_f.g"}]
    )["datasetGroupArn"]
    with pytest.raises(pz.exceptions.InvalidInputException, match="tagKey"):
        pz.tag_resource(resourceArn=group, tags=[{"tagKey": "a,b", "tagValue": "x"}])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20))
def test_the_emulator_and_the_providers_read_the_tag_pattern_alike(text: str) -> None:
    """The emulator checks tags with the model's own pattern; the providers' tag rules (used at
    preview) restate it without a regex engine. Both must accept and refuse the same text, so a
    tag the preview passes is never refused offline, nor the other way round.

    Source: the botocore Personalize model's TagValue shape (the pattern of
    https://docs.aws.amazon.com/personalize/latest/dg/API_Tag.html).
    """
    shape = botocore.session.get_session().get_service_model("personalize").shape_for("TagValue")
    pattern = validation.compiled(shape.metadata["pattern"])
    assert shape.metadata["pattern"] == tags.TAG_PATTERN
    # The reserved `aws:` prefix is a rule of the tagging page, not of the pattern.
    assume(not text.lower().startswith(tags.RESERVED_PREFIX))
    emulator_accepts = bool(pattern.fullmatch(text))
    providers_accept = tags.tag_text_problem(text) is None
    # What the preview lets through is never refused offline.
    assert emulator_accepts or not providers_accept
    # The two read Unicode classes from different Unicode versions (Python's `unicodedata`, the
    # `regex` package's tables): on characters both know they agree exactly; a character only the
    # newer tables assign is refused by the preview, the safer side.
    if all(unicodedata.category(char) != "Cn" for char in text):
        assert emulator_accepts == providers_accept


def test_exploration_config_only_for_user_personalization_v1(
    clients: Clients, data: Synthetic
) -> None:
    """itemExplorationConfig is refused for a solution that does not use User-Personalization
    (v1), at CreateCampaign and at UpdateCampaign; v1 takes it.

    Source: https://docs.aws.amazon.com/personalize/latest/dg/API_CampaignConfig.html ("Provide
    itemExplorationConfig data only if your solution uses the User-Personalization recipe") and
    the User-Personalization-v2 page ("Amazon Personalize handles exploration configuration for
    you").
    """
    pz = clients.pz
    exploration = {"itemExplorationConfig": {"explorationWeight": "0.3"}}
    v1 = deploy(pz, clients.s3, BUCKET, data, prefix="explore", campaign_config=exploration)
    assert (
        pz.describe_campaign(campaignArn=v1.campaign)["campaign"]["campaignConfig"] == exploration
    )
    solution = pz.create_solution(
        name="explore-v2",
        datasetGroupArn=v1.group,
        recipeArn=RECIPE + "aws-user-personalization-v2",
        performAutoTraining=False,
    )["solutionArn"]
    wait_status(poll(pz.describe_solution, "solution", solutionArn=solution))
    version = pz.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    wait_status(poll(pz.describe_solution_version, "solutionVersion", solutionVersionArn=version))
    with pytest.raises(pz.exceptions.InvalidInputException, match="itemExplorationConfig"):
        pz.create_campaign(
            name="explore-v2", solutionVersionArn=version, campaignConfig=exploration
        )
    campaign = pz.create_campaign(name="explore-v2", solutionVersionArn=version)["campaignArn"]
    wait_status(poll(pz.describe_campaign, "campaign", campaignArn=campaign))
    with pytest.raises(pz.exceptions.InvalidInputException, match="itemExplorationConfig"):
        pz.update_campaign(campaignArn=campaign, campaignConfig=exploration)
    # Moving the v1 campaign (which explores) onto the v2 version keeps its config: refused too.
    with pytest.raises(pz.exceptions.InvalidInputException, match="itemExplorationConfig"):
        pz.update_campaign(campaignArn=v1.campaign, solutionVersionArn=version)


def test_update_training_only_for_user_personalization(clients: Clients, data: Synthetic) -> None:
    """trainingMode UPDATE needs a User-Personalization (or legacy HRNN-Coldstart) solution.

    Source: https://docs.aws.amazon.com/personalize/latest/dg/API_CreateSolutionVersion.html
    ("The UPDATE option can only be used ... with the User-Personalization recipe or the legacy
    HRNN-Coldstart recipe").
    """
    pz = clients.pz
    stack = deploy(pz, clients.s3, BUCKET, data, prefix="upd", recipe="aws-user-personalization-v2")
    with pytest.raises(pz.exceptions.InvalidInputException, match="UPDATE"):
        pz.create_solution_version(solutionArn=stack.solution, trainingMode="UPDATE")


def test_segmentation_recipes_train_but_have_no_campaigns(
    clients: Clients, data: Synthetic
) -> None:
    """Item-Attribute-Affinity trains (the retail demo store creates one) but serves batch segment
    jobs, not campaigns.

    Source: https://docs.aws.amazon.com/personalize/latest/dg/item-attribute-affinity-recipe.html
    (user segments come from batch segment jobs); retail-demo-store
    personalize_pre_create_resources.py creates the solution without a campaign.
    """
    pz = clients.pz
    stack = deploy(pz, clients.s3, BUCKET, data, prefix="seg")
    solution = pz.create_solution(
        name="seg-affinity",
        datasetGroupArn=stack.group,
        recipeArn=RECIPE + "aws-item-attribute-affinity",
        performAutoTraining=False,
    )["solutionArn"]
    wait_status(poll(pz.describe_solution, "solution", solutionArn=solution))
    version = pz.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    wait_status(poll(pz.describe_solution_version, "solutionVersion", solutionVersionArn=version))
    with pytest.raises(pz.exceptions.InvalidInputException, match="batch segment"):
        pz.create_campaign(name="seg", solutionVersionArn=version)
