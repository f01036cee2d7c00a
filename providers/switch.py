"""The campaign switch: UpdateCampaign to another version without a serving gap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .client import error_code, error_message
from .polling import ACTIVE, CREATE_FAILED, IN_FLIGHT, PersonalizeProviderError, Waiter

if TYPE_CHECKING:
    from .campaign import CampaignProvider


def switch_campaign(
    provider: CampaignProvider, client: Any, arn: str, news: dict[str, Any]
) -> None:
    """UpdateCampaign, then wait for the update; the old version serves until it is ACTIVE."""
    waiter = Waiter()
    label = provider._label(news, arn)
    last_error = ""

    def request() -> bool | None:
        nonlocal last_error
        try:
            client.update_campaign(campaignArn=arn, **provider.serving_args(news))
        except Exception as exc:
            # Only an ACTIVE (or CREATE FAILED) campaign takes an update: wait.
            if error_code(exc) == "ResourceInUseException":
                last_error = error_message(exc)
                return None
            raise provider._wrap(exc, f"updating {label}") from exc
        return True

    try:
        waiter.until(request, f"{label} to accept an update", waiter.settings.create_timeout)
    except PersonalizeProviderError as exc:
        if last_error:
            raise PersonalizeProviderError(f"{exc} (last refusal: {last_error})") from exc
        raise

    def settled() -> dict[str, Any] | None:
        described = provider._describe(client, arn)
        update = described.get("latestCampaignUpdate") or {}
        status = update.get("status") or described.get("status")
        if status == ACTIVE and described.get("status") == ACTIVE:
            return described
        if status == CREATE_FAILED:
            raise PersonalizeProviderError(
                f"{label}: update to {news['solution_version_arn']} failed: "
                f"{update.get('failureReason') or 'no failureReason given'}; the campaign "
                f"keeps serving {described.get('solutionVersionArn')}"
            )
        if status not in (*IN_FLIGHT, ACTIVE):
            raise PersonalizeProviderError(f"{label}: update is {status}")
        return None

    waiter.until(settled, f"the update of {label} to become ACTIVE", waiter.settings.create_timeout)
