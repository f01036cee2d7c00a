"""The providers use the stack's AWS account and credentials, and renew them during long waits.

Each test starts its own provider host (as the CLI does, configured with the stack's `aws:`
settings) with no AWS keys in its environment. Credentials come from a profile in a temporary
AWS config file whose `credential_process` logs every call and hands out credentials that expire
within minutes, so botocore must renew them while the provider waits; roles are assumed from
moto's STS.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped,unused-ignore]
from moto.sts.models import sts_backends

from local.personalize_emulator import EmulatorServer, Steps
from local.provider_host import ProviderHost, ProviderHostError
from providers.base import PersonalizeProviderError, credentials_guarded
from providers.campaign import CampaignProvider
from providers.credentials import AssumeRole, AwsSettings, CredentialsConfigError
from providers.dataset_group import DatasetGroupProvider
from providers.solution_version import TRAINING_INPUTS_TAG, SolutionVersionProvider
from tests.conftest import REGION, ROOT

from .conftest import POLL_SCALE
from .engine import data_chain, destroy, destroy_all, up

ROLE = "arn:aws:iam::111122223333:role/personalize-deployer"
# Credentials that expire in 5 minutes: inside botocore's mandatory refresh window (10 min), so
# every request renews them, as a one-hour session would be renewed in its last minutes.
PROCESS = textwrap.dedent(
    """
    import datetime, json, sys
    with open(sys.argv[1], "a") as log:
        log.write(sys.argv[2] + "\\n")
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)
    print(json.dumps({
        "Version": 1,
        "AccessKeyId": "AKIDPROCESS" + sys.argv[2].upper(),
        "SecretAccessKey": "secret",
        "SessionToken": "token",
        "Expiration": expires.isoformat(),
    }))
    """
)
TRAINING = Steps(0.01, 1.5)


@pytest.fixture
def aws_files(tmp_path: Path, emulator: EmulatorServer) -> dict[str, Path]:
    script = tmp_path / "credentials.py"
    script.write_text(PROCESS)
    log = tmp_path / "calls.log"
    config = tmp_path / "config"
    # The deployer profile also points Personalize at the emulator (a `services` section), so
    # the endpoint comes from the profile too.
    config.write_text(
        textwrap.dedent(
            f"""
            [profile deployer]
            region = {REGION}
            credential_process = {sys.executable} {script} {log} deployer
            services = local

            [services local]
            personalize =
              endpoint_url = {emulator.url}

            [profile other]
            credential_process = {sys.executable} {script} {log} other
            """
        )
    )
    return {"config": config, "log": log}


def calls(files: dict[str, Path], profile: str) -> int:
    log = files["log"]
    return log.read_text().split().count(profile) if log.exists() else 0


@pytest.fixture
def start_host(emulator: EmulatorServer, moto_url: str) -> Iterator[Any]:
    hosts: list[ProviderHost] = []

    def start(config: dict[str, Any], **env: str) -> ProviderHost:
        # No keys, no profile and no AWS files of the machine: only what the test gives.
        clean = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("AWS_") and k != "PERSONALIZE_POLL_SCALE"
        }
        clean.update(
            {
                "AWS_ENDPOINT_URL_PERSONALIZE": emulator.url,
                "AWS_ENDPOINT_URL_STS": moto_url,
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true",
                "PERSONALIZE_POLL_SCALE": POLL_SCALE,
                **env,
            }
        )
        clean = {k: v for k, v in clean.items() if v != ""}
        host = ProviderHost(ROOT, env=clean, config={"aws:region": REGION, **config})
        hosts.append(host)
        return host

    yield start
    for host in hosts:
        host.close()


@pytest.mark.parametrize("source", ["stack config", "environment"])
def test_the_profile_of_the_stack_is_used_and_renewed_during_a_training(
    start_host: Any, emulator: EmulatorServer, aws_files: dict[str, Path], unique: str, source: str
) -> None:
    # No AWS_ENDPOINT_URL_PERSONALIZE: the profile's services section leads to the emulator.
    no_endpoint = {"AWS_ENDPOINT_URL_PERSONALIZE": ""}
    if source == "stack config":
        # aws:profile and aws:sharedConfigFiles, as pulumi-aws reads them.
        host = start_host(
            {
                "aws:profile": "deployer",
                "aws:sharedConfigFiles": json.dumps([str(aws_files["config"])]),
            },
            **no_endpoint,
        )
    else:
        host = start_host(
            {}, AWS_PROFILE="deployer", AWS_CONFIG_FILE=str(aws_files["config"]), **no_endpoint
        )
    states = data_chain(host, unique)
    assert calls(aws_files, "deployer") >= 1
    assert calls(aws_files, "other") == 0
    before = calls(aws_files, "deployer")
    with emulator.step_durations({"solution-version": TRAINING}):
        version = up(
            host,
            SolutionVersionProvider(),
            {"solution_arn": states[-1].id, "training_inputs": "creds", "region": REGION},
        )
    assert version.outs["status"] == "ACTIVE"
    # Renewed while waiting: every poll found the credentials about to expire.
    assert calls(aws_files, "deployer") - before >= 3
    destroy_all(host, states)


def test_assume_roles_are_assumed_in_order_and_renewed(
    start_host: Any, emulator: EmulatorServer, aws_files: dict[str, Path], unique: str
) -> None:
    session = f"{unique}-deploy"
    host = start_host(
        {
            "aws:profile": "deployer",
            "aws:sharedConfigFiles": json.dumps([str(aws_files["config"])]),
            # As `pulumi config set --path 'aws:assumeRoles[0].roleArn' ...` stores it.
            "aws:assumeRoles": json.dumps(
                [{"roleArn": ROLE, "sessionName": session, "duration": "15m"}]
            ),
        }
    )

    def assumed() -> int:
        roles = sts_backends["111122223333"]["aws"].assumed_roles
        return sum(1 for r in roles if r.role_arn == ROLE and r.session_name == session)

    group = up(host, DatasetGroupProvider(), {"name": f"{unique}-group", "region": REGION})
    assert assumed() >= 1
    # The profile's credentials signed the AssumeRole call.
    assert calls(aws_files, "deployer") >= 1
    first = assumed()
    with emulator.step_durations({"delete": Steps(0.05, 1.0)}):
        destroy(host, group)
    # A 15-minute session is inside botocore's renewal window: renewed while waiting.
    assert assumed() - first >= 2


def test_expired_credentials_say_the_training_goes_on_and_the_next_up_adopts_it(
    host: ProviderHost, emulator: EmulatorServer, pz: Any, unique: str
) -> None:
    states = data_chain(host, unique)
    inputs = {"solution_arn": states[-1].id, "training_inputs": "expiring", "region": REGION}
    with emulator.step_durations({"solution-version": TRAINING}):
        emulator.fail_next("DescribeSolutionVersion", 1, "ExpiredTokenException")
        with pytest.raises(ProviderHostError) as failure:
            up(host, SolutionVersionProvider(), inputs)
        message = failure.value.details
        assert "the AWS credentials expired or could not be renewed" in message
        assert "ExpiredTokenException" in message
        assert (
            f"the training goes on, and the next `pulumi up` adopts it by its "
            f"{TRAINING_INPUTS_TAG} tag" in message
        )
        assert "aws:assumeRoles" in message
        trainings = emulator.call_counts()["CreateSolutionVersion"]
        version = up(host, SolutionVersionProvider(), inputs)
    assert version.outs["status"] == "ACTIVE"
    assert emulator.call_counts()["CreateSolutionVersion"] == trainings
    destroy_all(host, states)


def test_a_setting_pulumi_aws_v7_does_not_read_fails_naming_it(start_host: Any) -> None:
    host = start_host({"aws:assumeRole": json.dumps({"roleArn": ROLE})})
    with pytest.raises(ProviderHostError) as failure:
        host.check(DatasetGroupProvider(), {"name": "x", "region": REGION})
    assert "aws:assumeRole: pulumi-aws v7 reads aws:assumeRoles" in failure.value.details


# ---- reading the settings ------------------------------------------------------------------


def settings(**config: Any) -> AwsSettings:
    return AwsSettings.from_config(config.get)


def test_settings_from_config_text_and_objects() -> None:
    assert settings() == AwsSettings()
    read = settings(
        **{
            "aws:profile": "p",
            "aws:region": "eu-west-1",
            "aws:sharedCredentialsFiles": '["/tmp/c"]',
            "aws:assumeRoles": [
                {"roleArn": "arn:aws:iam::1:role/a", "duration": "1h30m", "externalId": "x"},
                {"roleArn": "arn:aws:iam::2:role/b", "tags": {"team": "ml"}},
            ],
        }
    )
    assert read.profile == "p"
    assert read.region == "eu-west-1"
    assert read.shared_credentials_file == "/tmp/c"
    assert read.assume_roles == (
        AssumeRole("arn:aws:iam::1:role/a", external_id="x", duration_seconds=5400),
        AssumeRole("arn:aws:iam::2:role/b", tags=(("team", "ml"),)),
    )
    assert read.assume_roles[0].assume_role_args() == {"ExternalId": "x", "DurationSeconds": 5400}
    # pulumi-aws's empty default role is no role.
    assert settings(**{"aws:assumeRoles": "[{}]"}).assume_roles == ()
    # Secrets stay out of reprs (and of every message built from one).
    assert "s3cret" not in repr(settings(**{"aws:accessKey": "a", "aws:secretKey": "s3cret"}))


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"aws:assumeRoles": [{"roleArn": ROLE, "duration": "5m"}]}, "between 15m and 12h"),
        ({"aws:assumeRoles": [{"roleArn": ROLE, "duration": "1 hour"}]}, "such as '1h'"),
        ({"aws:assumeRoles": [{"sessionName": "x"}]}, "aws:assumeRoles[0].roleArn is required"),
        ({"aws:assumeRoles": "{not json"}, "aws:assumeRoles is not valid JSON"),
        ({"aws:sharedConfigFiles": ["/a", "/b"]}, "read one file, got 2"),
        ({"aws:accessKey": "AKID"}, "must be set together"),
        ({"aws:assumeRoleWithWebIdentity": '{"roleArn": "x"}'}, "AWS_WEB_IDENTITY_TOKEN_FILE"),
    ],
)
def test_bad_settings_are_named(config: dict[str, Any], expected: str) -> None:
    with pytest.raises(CredentialsConfigError) as failure:
        settings(**config)
    assert expected in str(failure.value)


def test_each_operation_says_what_goes_on_when_credentials_run_out() -> None:
    expired = ClientError(
        {"Error": {"Code": "ExpiredTokenException", "Message": "The security token expired"}},
        "DescribeCampaign",
    )

    class Expiring(CampaignProvider):
        @credentials_guarded
        def update(self, *_args: Any) -> Any:
            raise expired

        @credentials_guarded
        def delete(self, *_args: Any) -> None:
            raise PersonalizeProviderError("deleting: wrapped") from expired

    provider = Expiring()
    with pytest.raises(PersonalizeProviderError, match="the campaign update goes on"):
        provider.update("arn", {}, {})
    with pytest.raises(PersonalizeProviderError, match="Personalize goes on deleting"):
        provider.delete("arn", {})


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            {"aws:allowedAccountIds": '["999999999999"]'},
            "aws:allowedAccountIds: the credentials are for account 123456789012, not one of "
            "999999999999",
        ),
        (
            {"aws:forbiddenAccountIds": ["123456789012"]},
            "aws:forbiddenAccountIds: the credentials are for account 123456789012",
        ),
    ],
)
def test_an_account_the_stack_refuses_is_refused_before_anything_is_created(
    start_host: Any, emulator: EmulatorServer, unique: str, config: dict[str, Any], expected: str
) -> None:
    # Keys of moto's default account, as pulumi-aws would see them too.
    host = start_host(config, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    before = emulator.call_counts().get("CreateDatasetGroup", 0)
    with pytest.raises(ProviderHostError) as failure:
        up(host, DatasetGroupProvider(), {"name": f"{unique}-acct", "region": REGION})
    assert expected in failure.value.details
    assert emulator.call_counts().get("CreateDatasetGroup", 0) == before
    allowed = start_host(
        {"aws:allowedAccountIds": '["123456789012"]'},
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
    )
    group = up(allowed, DatasetGroupProvider(), {"name": f"{unique}-ok", "region": REGION})
    destroy(allowed, group)


def test_the_stacks_endpoints_and_keys_are_used(
    start_host: Any, emulator: EmulatorServer, moto_url: str, unique: str
) -> None:
    # No endpoint and no keys in the environment: aws:endpoints alone leads to the emulator and
    # to STS, and the stack's own keys (aws:accessKey / aws:secretKey) sign.
    host = start_host(
        {
            "aws:endpoints": json.dumps([{"personalize": emulator.url}, {"sts": moto_url}]),
            "aws:allowedAccountIds": '["123456789012"]',
            "aws:accessKey": "testing",
            "aws:secretKey": "testing",
        },
        AWS_ENDPOINT_URL_PERSONALIZE="",
        AWS_ENDPOINT_URL_STS="",
    )
    group = up(host, DatasetGroupProvider(), {"name": f"{unique}-endpoints", "region": REGION})
    assert group.outs["status"] == "ACTIVE"
    destroy(host, group)
