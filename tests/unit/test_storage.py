"""Storage layer: a private, encrypted, TLS-only bucket; dataset uploads that diff on content;
a Personalize role that only this account's Personalize can assume and that reads only datasets."""

import hashlib
import json
from typing import Any

from tests.stack_harness import ROOT, StackRun, run_program, shipped_only


def statements(document: str) -> list[dict[str, Any]]:
    return json.loads(document)["Statement"]


@shipped_only
def test_bucket_is_v7_and_destroyable(run: StackRun) -> None:
    assert not run.of_type("aws:s3/bucketV2:BucketV2"), "BucketV2 is deprecated in pulumi-aws v7"
    bucket = run.one("aws:s3/bucket:Bucket")
    assert bucket.inputs["forceDestroy"] is True
    assert bucket.inputs["bucketPrefix"].startswith(("personalize-realtime-dev-", "reco-prod-"))


def test_all_public_access_is_blocked(run: StackRun) -> None:
    block = run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block.inputs[flag] is True, flag


def test_default_encryption_and_versioning(run: StackRun) -> None:
    encryption = run.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    rule = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule["sseAlgorithm"] == "AES256"
    versioning = run.one("aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"


def test_bucket_policy_denies_plain_http_and_scopes_personalize(run: StackRun) -> None:
    policy = statements(run.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    deny = next(s for s in policy if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Principal"] == "*"
    allow = next(s for s in policy if s["Effect"] == "Allow")
    assert allow["Principal"] == {"Service": "personalize.amazonaws.com"}
    assert sorted(allow["Action"]) == ["s3:GetObject", "s3:ListBucket"]
    # The documented bucket policy has no condition on the service principal; no page shows an
    # import succeeding with one (docs/aws-assumptions.md has the sandbox check).
    assert "Condition" not in allow
    assert all(r.endswith(("0001", "/datasets/*")) for r in allow["Resource"]), allow["Resource"]


@shipped_only
def test_personalize_role_trust_has_confused_deputy_conditions(run: StackRun) -> None:
    role = run.one("aws:iam/role:Role", "personalize-role")
    (trust,) = statements(role.inputs["assumeRolePolicy"])
    assert trust["Principal"] == {"Service": "personalize.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    region = "us-east-1" if run.stack == "dev" else "eu-west-1"
    assert trust["Condition"]["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:personalize:{region}:123456789012:*"
    }


def test_personalize_role_reads_only_the_dataset_prefix(run: StackRun) -> None:
    policy = statements(
        run.one("aws:iam/rolePolicy:RolePolicy", "personalize-read").inputs["policy"]
    )
    actions = sorted(a for s in policy for a in s["Action"])
    assert actions == ["s3:GetObject", "s3:ListBucket"]
    get = next(s for s in policy if s["Action"] == ["s3:GetObject"])
    assert get["Resource"].endswith("/datasets/*")
    # As Personalize documents the role: ListBucket on the bucket, with no condition.
    listing = next(s for s in policy if s["Action"] == ["s3:ListBucket"])
    assert listing["Resource"] == run.one("aws:s3/bucket:Bucket").state["arn"]
    assert "Condition" not in listing


@shipped_only
def test_each_dataset_file_is_uploaded_with_its_content_hash(run: StackRun) -> None:
    objects = {o.inputs["key"]: o for o in run.of_type("aws:s3/bucketObjectv2:BucketObjectv2")}
    assert sorted(objects) == [
        "datasets/interactions.csv",
        "datasets/items.csv",
        "datasets/users.csv",
    ]
    for key, uploaded in objects.items():
        content = (ROOT / "data" / key.removeprefix("datasets/")).read_bytes()
        assert uploaded.inputs["sourceHash"] == hashlib.sha256(content).hexdigest()


def test_changed_data_changes_the_upload_and_the_import_job(tmp_path) -> None:
    original = (ROOT / "data/interactions.csv").read_text()
    changed = tmp_path / "interactions.csv"
    changed.write_text(original + original.splitlines()[1] + "\n")
    override = {
        "personalize-realtime:datasets": {"interactions": str(changed), "items": "data/items.csv"}
    }
    before = run_program("dev")
    after = run_program("dev", override)

    def upload_hash(run: StackRun) -> str:
        return next(
            o.inputs["sourceHash"]
            for o in run.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
            if o.inputs["key"] == "datasets/interactions.csv"
        )

    def job_name(run: StackRun) -> str:
        return run.one("pulumi-python:dynamic/personalize:DatasetImportJob", "interactions").inputs[
            "job_name"
        ]

    assert upload_hash(before) != upload_hash(after)
    assert job_name(before) != job_name(after)


def test_changed_schema_re_imports_even_with_the_same_data(tmp_path) -> None:
    schema = json.loads((ROOT / "data/schemas/items.avsc").read_text())
    schema["fields"] = [*schema["fields"]]
    schema["name"] = "Items"
    schema["doc"] = "same columns, new schema version"
    changed = tmp_path / "items.avsc"
    changed.write_text(json.dumps(schema))
    datasets = {
        "interactions": "data/interactions.csv",
        "items": {"file": "data/items.csv", "schema": str(changed)},
    }
    before = run_program("dev")
    after = run_program("dev", {"personalize-realtime:datasets": datasets})

    def job_name(run: StackRun) -> str:
        return run.one("pulumi-python:dynamic/personalize:DatasetImportJob", "items").inputs[
            "job_name"
        ]

    assert job_name(before) != job_name(after)


def test_bucket_prefix_fits_s3_rules_for_any_name_prefix() -> None:
    # S3 adds a suffix to a bucket prefix of at most 37 lower-case characters.
    run = run_program("dev", {"personalize-realtime:namePrefix": "Reco-" + "X" * 27})
    prefix = run.one("aws:s3/bucket:Bucket").inputs["bucketPrefix"]
    assert len(prefix) <= 37
    assert prefix == prefix.lower()
    assert prefix.startswith("reco-")
