"""API layer: routes per stack, auth on by default, CORS, deployment and stage with access logs,
least-privilege function roles, and a smoke test that is the only thing waiting for campaigns."""

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from components import smoke_test
from components.api import api_routes, first_user, openapi_document
from handlers import contract
from tests.conftest import JsonApi, serving
from tests.stack_harness import (
    ACCOUNT_ID,
    ROOT,
    Registration,
    StackRun,
    as_list,
    run_program,
    shipped_only,
    under,
)

METHOD = "aws:apigateway/method:Method"
INTEGRATION = "aws:apigateway/integration:Integration"
RESOURCE = "aws:apigateway/resource:Resource"
STAGE = "aws:apigateway/stage:Stage"
DEPLOYMENT = "aws:apigateway/deployment:Deployment"
FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
USAGE_PLAN = "aws:apigateway/usagePlan:UsagePlan"
API_KEY = "aws:apigateway/apiKey:ApiKey"
COMMAND = "command:local:Command"
GATEWAY_RESPONSE = "aws:apigateway/response:Response"
DYNAMIC = "pulumi-python:dynamic/personalize:"
TRAINING = {f"{DYNAMIC}SolutionVersion", f"{DYNAMIC}Campaign"}

ROUTES = {
    "dev": {
        ("GET", "recommendations", "recommend"),
        ("POST", "events", "ingest"),
        ("POST", "items", "catalog"),
        ("POST", "users", "catalog"),
    },
    "prod": {
        ("GET", "recommendations", "recommend"),
        ("POST", "rankings", "recommend"),
        ("GET", "similar-items", "recommend"),
        ("POST", "events", "ingest"),
        ("POST", "items", "catalog"),
        ("POST", "users", "catalog"),
    },
}
API_CONFIG: dict[str, dict[str, Any]] = {
    "dev": {"rate": 10, "burst": 20, "quota": None, "origin": "*", "retention": 7},
    "prod": {
        "rate": 500,
        "burst": 1000,
        "quota": 5_000_000,
        "origin": "https://app.example.com",
        "retention": 90,
    },
}


@pytest.fixture(scope="module")
def iam_auth() -> StackRun:
    return run_program(
        "dev", {"personalize-realtime:api": {"auth": "iam", "smokeTest": True, "rateLimit": 10}}
    )


@pytest.fixture(scope="module")
def no_auth() -> StackRun:
    # No CORS and no smoke test either: the plain API.
    return run_program("dev", {"personalize-realtime:api": {"auth": "none"}})


def statements(policy: str) -> list[dict[str, Any]]:
    return json.loads(policy)["Statement"]


def routes(run: StackRun) -> set[tuple[str, str, str]]:
    """(method, path, handlers module) for every non-OPTIONS method, read from the graph."""
    paths = {r.state["id"]: r.inputs["pathPart"] for r in run.of_type(RESOURCE)}
    functions = {
        f.state["invokeArn"]: f.inputs["handler"].split(".")[1] for f in run.of_type(FUNCTION)
    }
    found = set()
    for integration in run.of_type(INTEGRATION):
        if integration.inputs["type"] == "MOCK":
            continue
        assert integration.inputs["type"] == "AWS_PROXY"
        assert integration.inputs["integrationHttpMethod"] == "POST"
        found.add(
            (
                integration.inputs["httpMethod"],
                paths[integration.inputs["resourceId"]],
                functions[integration.inputs["uri"]],
            )
        )
    return found


def function(run: StackRun, module: str) -> Registration:
    return next(
        f for f in run.of_type(FUNCTION) if f.inputs["handler"] == f"handlers.{module}.handler"
    )


def policy_of(run: StackRun, module: str) -> list[dict[str, Any]]:
    role_arn = function(run, module).inputs["role"]
    role = next(r for r in run.of_type(ROLE) if r.state["arn"] == role_arn)
    (policy,) = [p for p in run.of_type(ROLE_POLICY) if p.inputs["role"] == role.state["id"]]
    return statements(policy.inputs["policy"])


def permissions(policy: list[dict[str, Any]]) -> dict[str, list[Any]]:
    by_action: dict[str, list[Any]] = {}
    for statement in policy:
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            assert "*" not in action, f"wildcard action {action}"
            by_action.setdefault(action, []).extend(as_list(statement["Resource"]))
    return by_action


def campaign_arn(run: StackRun, route: str) -> str:
    prefix = {"dev": "personalize-realtime-dev", "prod": "reco-prod"}[run.stack]
    region = {"dev": "us-east-1", "prod": "eu-west-1"}[run.stack]
    model = {
        "recommendations": "recommendations",
        "rankings": "ranking",
        "similar-items": "similar",
    }
    return f"arn:aws:personalize:{region}:{ACCOUNT_ID}:campaign/{prefix}-{model[route]}"


# ---- routes and functions ------------------------------------------------------------------


@shipped_only
def test_routes_per_stack(run: StackRun) -> None:
    assert routes(run) == ROUTES[run.stack]
    api = run.one("aws:apigateway/restApi:RestApi")
    assert api.inputs["endpointConfiguration"]["types"] == "REGIONAL"


@shipped_only
def test_recommend_function_gets_campaigns_and_filters_from_its_environment(
    run: StackRun,
) -> None:
    variables = function(run, "recommend").inputs["environment"]["variables"]
    assert variables["RECOMMENDATIONS_CAMPAIGN_ARN"] == campaign_arn(run, "recommendations")
    if run.stack == "prod":
        assert variables["RANKING_CAMPAIGN_ARN"] == campaign_arn(run, "rankings")
        assert variables["SIMILAR_ITEMS_CAMPAIGN_ARN"] == campaign_arn(run, "similar-items")
    else:
        assert "RANKING_CAMPAIGN_ARN" not in variables
        assert "SIMILAR_ITEMS_CAMPAIGN_ARN" not in variables
    filters = json.loads(variables["FILTER_ARNS"])
    expected = {"dev": {"unwatched"}, "prod": {"unwatched", "genre"}}[run.stack]
    assert set(filters) == expected
    assert all(":filter/" in arn for arn in filters.values())
    assert variables["CORS_ALLOW_ORIGIN"] == API_CONFIG[run.stack]["origin"]


@shipped_only
def test_recommend_role_reads_exactly_these_campaigns_and_filters(run: StackRun) -> None:
    filters = list(
        json.loads(
            function(run, "recommend").inputs["environment"]["variables"]["FILTER_ARNS"]
        ).values()
    )
    granted = permissions(policy_of(run, "recommend"))
    reading = [campaign_arn(run, "recommendations")]
    if run.stack == "prod":
        reading.append(campaign_arn(run, "similar-items"))
        # prod promotes new items through its own filter (promoteNewItems).
        reading.append(
            campaign_arn(run, "recommendations").replace(
                ":campaign/reco-prod-recommendations", ":filter/reco-prod-promo-recommendations"
            )
        )
        assert sorted(granted.pop("personalize:GetPersonalizedRanking")) == sorted(
            [campaign_arn(run, "rankings"), *filters]
        )
    assert sorted(granted.pop("personalize:GetRecommendations")) == sorted([*reading, *filters])
    assert sorted(granted) == ["logs:CreateLogStream", "logs:PutLogEvents"]


def test_ingest_writes_only_to_this_stream(run: StackRun) -> None:
    stream = run.one("aws:kinesis/stream:Stream")
    variables = function(run, "ingest").inputs["environment"]["variables"]
    assert variables["STREAM_NAME"] == stream.inputs["name"]
    granted = permissions(policy_of(run, "ingest"))
    assert granted.pop("kinesis:PutRecord") == [stream.state["arn"]]
    assert granted.pop("kinesis:PutRecords") == [stream.state["arn"]]
    assert sorted(granted) == ["logs:CreateLogStream", "logs:PutLogEvents"]


@shipped_only
def test_catalog_puts_only_into_its_datasets(run: StackRun) -> None:
    variables = function(run, "catalog").inputs["environment"]["variables"]
    items, users = variables["ITEMS_DATASET_ARN"], variables["USERS_DATASET_ARN"]
    assert items.endswith("/ITEMS")
    assert users.endswith("/USERS")
    assert json.loads(variables["ITEMS_SCHEMA"])["name"]
    assert json.loads(variables["USERS_SCHEMA"])["name"]
    granted = permissions(policy_of(run, "catalog"))
    assert granted.pop("personalize:PutItems") == [items]
    assert granted.pop("personalize:PutUsers") == [users]
    assert sorted(granted) == ["logs:CreateLogStream", "logs:PutLogEvents"]


def test_function_roles_trust_lambda_in_this_account(run: StackRun) -> None:
    for module in ("recommend", "ingest", "catalog"):
        role_arn = function(run, module).inputs["role"]
        role = next(r for r in run.of_type(ROLE) if r.state["arn"] == role_arn)
        (trust,) = statements(role.inputs["assumeRolePolicy"])
        assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
        assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}


@shipped_only
def test_every_function_has_its_own_log_group_with_retention(run: StackRun) -> None:
    groups = {g.inputs["name"]: g for g in run.of_type(LOG_GROUP)}
    functions = run.of_type(FUNCTION)
    assert len(functions) == 4  # forwarder, recommend, ingest, catalog
    for fn in functions:
        group = groups[f"/aws/lambda/{fn.inputs['name']}"]
        assert group.inputs["retentionInDays"] == API_CONFIG[run.stack]["retention"]
        assert group.urn in fn.dependencies, f"{fn.name} must wait for its log group"
        assert fn.inputs["loggingConfig"]["logGroup"] == group.inputs["name"]


@shipped_only
def test_invoke_permissions_are_scoped_to_this_api_stage_and_route(run: StackRun) -> None:
    execution_arn = run.one("aws:apigateway/restApi:RestApi").state["executionArn"]
    names = {f.state["arn"]: f.inputs["name"] for f in run.of_type(FUNCTION)}
    granted = set()
    for permission in run.of_type(PERMISSION):
        assert permission.inputs["principal"] == "apigateway.amazonaws.com"
        assert permission.inputs["action"] == "lambda:InvokeFunction"
        source = permission.inputs["sourceArn"]
        assert source.startswith(f"{execution_arn}/{run.stack}/"), source
        _, method, path = source[len(execution_arn) + 1 :].split("/")
        granted.add((method, path, permission.inputs["function"]))
    expected = {
        (method, path, names[function(run, module).state["arn"]])
        for method, path, module in ROUTES[run.stack]
    }
    assert granted == expected


# ---- auth -------------------------------------------------------------------------------------


@shipped_only
def test_api_key_required_on_every_route_by_default(run: StackRun) -> None:
    methods = run.of_type(METHOD)
    routes_only = [m for m in methods if m.inputs["httpMethod"] != "OPTIONS"]
    assert len(routes_only) == len(ROUTES[run.stack])
    for method in routes_only:
        assert method.inputs["apiKeyRequired"] is True, method.name
        assert method.inputs["authorization"] == "NONE"
    for method in methods:
        if method.inputs["httpMethod"] == "OPTIONS":
            assert method.inputs["apiKeyRequired"] is False
            assert method.inputs["authorization"] == "NONE"


@shipped_only
def test_usage_plan_throttles_and_binds_the_key_to_the_stage(run: StackRun) -> None:
    expected = API_CONFIG[run.stack]
    plan = run.one(USAGE_PLAN)
    assert plan.inputs["throttleSettings"] == {
        "rateLimit": expected["rate"],
        "burstLimit": expected["burst"],
    }
    if expected["quota"] is None:
        assert "quotaSettings" not in plan.inputs
    else:
        assert plan.inputs["quotaSettings"] == {"limit": expected["quota"], "period": "DAY"}
    api = run.one("aws:apigateway/restApi:RestApi")
    assert plan.inputs["apiStages"] == [{"apiId": api.state["id"], "stage": run.stack}]
    binding = run.one("aws:apigateway/usagePlanKey:UsagePlanKey")
    assert binding.inputs["keyId"] == run.one(API_KEY).state["id"]
    assert binding.inputs["usagePlanId"] == plan.state["id"]
    assert binding.inputs["keyType"] == "API_KEY"


def test_api_key_and_url_are_exported_key_as_secret(run: StackRun) -> None:
    assert run.outputs["apiUrl"] == run.one(STAGE).state["invokeUrl"]
    assert "apiKey" in run.secret_outputs
    assert "apiUrl" not in run.secret_outputs


@shipped_only
def test_curl_examples_cover_every_route_with_the_key(run: StackRun) -> None:
    examples = run.outputs["curlExamples"]
    assert "pulumi stack output apiKey --show-secrets" in examples
    url = run.outputs["apiUrl"]
    for method, path, _ in ROUTES[run.stack]:
        line = next(ln for ln in examples.splitlines() if f"{url}/{path}" in ln)
        assert '-H "x-api-key: $API_KEY"' in line
        assert ("-X POST" in line) == (method == "POST")


def test_iam_auth_signs_every_route_and_has_no_keys(iam_auth: StackRun) -> None:
    for method in iam_auth.of_type(METHOD):
        if method.inputs["httpMethod"] == "OPTIONS":
            assert method.inputs["authorization"] == "NONE", "preflight carries no credentials"
        else:
            assert method.inputs["authorization"] == "AWS_IAM"
            assert method.inputs["apiKeyRequired"] is False
    assert iam_auth.of_type(API_KEY) == []
    assert iam_auth.of_type(USAGE_PLAN) == []
    assert "apiKey" not in iam_auth.outputs
    assert "--aws-sigv4" in iam_auth.outputs["curlExamples"]
    # Unsigned smoke-test requests could never pass IAM auth: the test is skipped.
    assert iam_auth.of_type(COMMAND) == []


def test_auth_none_only_when_chosen(no_auth: StackRun) -> None:
    for method in no_auth.of_type(METHOD):
        assert method.inputs["authorization"] == "NONE"
        assert method.inputs["apiKeyRequired"] is False
    assert no_auth.of_type(API_KEY) == []
    assert no_auth.of_type(USAGE_PLAN) == []


def test_a_changed_api_is_deployed_again(dev: StackRun, prod: StackRun, no_auth: StackRun) -> None:
    triggers = [r.one(DEPLOYMENT).inputs["triggers"]["redeployment"] for r in (dev, prod, no_auth)]
    assert all(len(t) == len(hashlib.sha256().hexdigest()) for t in triggers)
    assert len(set(triggers)) == 3, "routes, auth and CORS are part of the deployment trigger"


def test_deployment_waits_for_every_method_and_integration(run: StackRun) -> None:
    deployment = run.one(DEPLOYMENT)
    for kind in (METHOD, INTEGRATION):
        for resource in run.of_type(kind):
            assert resource.urn in deployment.dependencies, resource.name


# ---- CORS -------------------------------------------------------------------------------------


@shipped_only
def test_cors_preflight_per_resource(run: StackRun) -> None:
    origin = API_CONFIG[run.stack]["origin"]
    paths = {r.state["id"]: r.inputs["pathPart"] for r in run.of_type(RESOURCE)}
    options = [m for m in run.of_type(METHOD) if m.inputs["httpMethod"] == "OPTIONS"]
    assert sorted(paths[m.inputs["resourceId"]] for m in options) == sorted(paths.values())
    mocks = [i for i in run.of_type(INTEGRATION) if i.inputs["type"] == "MOCK"]
    assert len(mocks) == len(options)
    for response in run.of_type("aws:apigateway/integrationResponse:IntegrationResponse"):
        headers = response.inputs["responseParameters"]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == f"'{origin}'"
        assert "X-Api-Key" in headers["method.response.header.Access-Control-Allow-Headers"]
        assert "OPTIONS" in headers["method.response.header.Access-Control-Allow-Methods"]
    # Errors API Gateway answers itself (missing key, throttled) carry the origin too.
    for response in run.of_type(GATEWAY_RESPONSE):
        headers = response.inputs["responseParameters"]
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == f"'{origin}'"


def test_no_cors_without_an_origin(no_auth: StackRun) -> None:
    assert [m for m in no_auth.of_type(METHOD) if m.inputs["httpMethod"] == "OPTIONS"] == []
    for fn in no_auth.of_type(FUNCTION):
        assert "CORS_ALLOW_ORIGIN" not in fn.inputs["environment"]["variables"]


# ---- errors API Gateway sends itself ----------------------------------------------------------


def test_every_gateway_error_has_the_api_error_shape(run: StackRun) -> None:
    made = {r.inputs["responseType"]: r.inputs for r in run.of_type(GATEWAY_RESPONSE)}
    declared = {r.type: r for r in contract.GATEWAY_RESPONSES}
    assert set(made) == set(declared) | set(contract.GATEWAY_DEFAULTS)
    for kind, inputs in made.items():
        template = inputs["responseTemplates"]["application/json"]
        code = declared[kind].code if kind in declared else contract.GATEWAY_DEFAULT_CODE
        assert template == contract.gateway_template(code)
        if kind in declared:
            assert inputs["statusCode"] == str(declared[kind].status)
        else:
            assert "statusCode" not in inputs  # defaults keep API Gateway's own status
    assert made["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "403"
    throttled = made["THROTTLED"]["responseParameters"]
    assert throttled["gatewayresponse.header.Retry-After"] == "'1'"


def test_gateway_errors_without_cors(no_auth: StackRun) -> None:
    responses = no_auth.of_type(GATEWAY_RESPONSE)
    assert len(responses) == len(contract.GATEWAY_RESPONSES) + len(contract.GATEWAY_DEFAULTS)
    for response in responses:
        headers = response.inputs.get("responseParameters") or {}
        assert not any("Access-Control" in h for h in headers)


def test_gateway_responses_are_part_of_the_deployment_trigger(run: StackRun) -> None:
    deployment = run.one(DEPLOYMENT)
    # Gateway responses take effect when the API is deployed again.
    for response in run.of_type(GATEWAY_RESPONSE):
        assert response.urn in deployment.dependencies, response.name


def test_routes_come_from_the_contract() -> None:
    every = api_routes(["recommendations", "rankings", "similar-items"], ["items", "users"])
    assert {(r.method, f"/{r.path}", r.function) for r in every} == {
        (o.method, o.path, o.module) for o in contract.OPERATIONS
    }
    least = api_routes(["recommendations"], [])
    assert {(r.method, r.path) for r in least} == {("GET", "recommendations"), ("POST", "events")}


def test_each_stack_documents_its_own_routes_filters_and_datasets() -> None:
    routes = api_routes(["recommendations"], ["items"])
    items_schema = (ROOT / "data" / "schemas" / "items.avsc").read_text()
    document = json.loads(
        openapi_document(
            routes,
            auth="apiKey",
            filters={"by-genre": "INCLUDE ItemID WHERE Items.GENRES IN ($GENRE, $OTHER)"},
            schemas={"items": items_schema},
            url="https://api.example.com/dev",
        )
    )
    assert set(document["paths"]) == {"/recommendations", "/events", "/items"}
    params = {p["name"]: p for p in document["paths"]["/recommendations"]["get"]["parameters"]}
    assert params["filter"]["schema"]["enum"] == ["by-genre"]
    assert params["filterValues"]["schema"]["propertyNames"] == {"enum": ["GENRE", "OTHER"]}
    record = document["components"]["schemas"]["ItemsRecord"]
    assert record["required"] == ["ITEM_ID", "GENRES", "CREATION_TIMESTAMP"]
    assert record["additionalProperties"] is False
    assert document["servers"] == [{"url": "https://api.example.com/dev"}]


# ---- stage, access logs, account role ---------------------------------------------------------


@shipped_only
def test_stage_per_stack_with_json_access_logs(run: StackRun) -> None:
    stage = run.one(STAGE)
    assert stage.inputs["stageName"] == run.stack
    assert stage.inputs["deployment"] == run.one(DEPLOYMENT).state["id"]
    group = run.one(LOG_GROUP, "access-logs")
    assert group.inputs["retentionInDays"] == API_CONFIG[run.stack]["retention"]
    settings = stage.inputs["accessLogSettings"]
    assert settings["destinationArn"] == group.state["arn"]
    fields = json.loads(settings["format"])
    for key in (
        "requestId",
        "ip",
        "httpMethod",
        "resourcePath",
        "status",
        "responseLength",
        "integrationLatency",
    ):
        assert fields[key].startswith("$context."), key


@shipped_only
def test_method_settings_enable_metrics_and_throttle(run: StackRun) -> None:
    expected = API_CONFIG[run.stack]
    settings = run.one("aws:apigateway/methodSettings:MethodSettings").inputs
    assert settings["methodPath"] == "*/*"
    assert settings["stageName"] == run.stack
    assert settings["settings"]["metricsEnabled"] is True
    assert settings["settings"]["throttlingRateLimit"] == expected["rate"]
    assert settings["settings"]["throttlingBurstLimit"] == expected["burst"]


# ---- smoke test and the dependency rule ---------------------------------------------------------


def test_smoke_test_in_dev_runs_after_stage_and_campaign(dev: StackRun) -> None:
    command = dev.one(COMMAND)
    assert command.inputs["create"] == "venv/bin/python components/smoke_test.py"
    assert (ROOT / "components" / "smoke_test.py").is_file()
    env = command.inputs["environment"]
    # The map carries the API key, so the whole environment is a secret.
    assert env["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270"
    values = env["value"]
    assert values["API_URL"] == dev.outputs["apiUrl"]
    assert values["API_KEY"] == dev.one(API_KEY).state["value"]
    assert values["SMOKE_TEST_USER"] == "u00001"
    assert dev.waits_for(command, lambda r: r.typ == STAGE)
    assert dev.waits_for(command, lambda r: r.typ == f"{DYNAMIC}Campaign")
    assert dev.waits_for(command, lambda r: r.typ == "aws:apigateway/usagePlanKey:UsagePlanKey")
    triggers = command.inputs["triggers"]
    assert dev.one(DEPLOYMENT).state["id"] in triggers
    assert campaign_arn(dev, "recommendations") in triggers


def test_no_smoke_test_when_off(prod: StackRun, no_auth: StackRun) -> None:
    assert prod.of_type(COMMAND) == []
    assert no_auth.of_type(COMMAND) == []


def test_nothing_in_the_api_waits_for_training_except_the_smoke_test(run: StackRun) -> None:
    resources = under(run, "personalize-realtime:api:Api")
    assert len(resources) > 20
    for resource in resources:
        assert resource.typ != COMMAND, "the smoke test must sit outside the Api component"
        waits = run.waits_for(resource, lambda r: r.typ in TRAINING)
        assert waits == [], f"{resource.name} waits for {waits}"


def test_smoke_test_user_defaults_to_the_first_user_in_the_interactions_csv() -> None:
    from components.config import load_stack_config

    config = load_stack_config(
        "personalize-realtime", "t", {"datasets": {"interactions": "data/interactions.csv"}}
    )
    with open(ROOT / "data" / "interactions.csv") as handle:
        handle.readline()
        expected = handle.readline().split(",")[0]
    assert first_user(config) == expected
    configured = dataclasses.replace(
        config, api=dataclasses.replace(config.api, smoke_test_user="u00042")
    )
    assert first_user(configured) == "u00042"


# ---- the smoke test script against a local stand-in API -----------------------------------------


class FakeApi(JsonApi):
    recommendations: ClassVar[list[dict[str, Any]]] = [{"itemId": "m00007", "score": 0.5}]
    events_status: ClassVar[int] = 202
    seen: ClassVar[list[tuple[str, str, str | None, Any]]] = []

    def on_get(self) -> None:
        self.seen.append(("GET", self.path, self.headers.get("x-api-key"), None))
        query = parse_qs(urlsplit(self.path).query)
        if query.get("userId") != ["u00001"]:
            self._answer(400, {"error": "userId"})
        else:
            self._answer(200, {"recommendations": self.recommendations, "recommendationId": "r"})

    def on_post(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append(("POST", self.path, self.headers.get("x-api-key"), body))
        self._answer(
            self.events_status, {"accepted": 1} if self.events_status < 300 else {"error": "no"}
        )


@pytest.fixture
def fake_api() -> Iterator[str]:
    FakeApi.seen = []
    FakeApi.events_status = 202
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)) as url:
        yield f"{url}/dev"


def test_smoke_script_passes_against_a_working_api(fake_api: str) -> None:
    env = {
        "API_URL": fake_api,
        "API_KEY": "k",
        "SMOKE_TEST_USER": "u00001",
        "SMOKE_TEST_TIMEOUT": "0",
    }
    assert smoke_test.run(env).startswith("smoke test passed")
    (get, post) = FakeApi.seen
    assert get[:1] == ("GET",)
    assert get[1].startswith("/dev/recommendations?")
    assert get[2] == "k"
    assert post[:3] == ("POST", "/dev/events", "k")
    assert post[3]["userId"] == "u00001"
    assert post[3]["events"][0]["itemId"] == "m00007"


def test_smoke_script_fails_with_status_and_body(fake_api: str) -> None:
    FakeApi.events_status = 400
    env = {"API_URL": fake_api, "SMOKE_TEST_USER": "u00001", "SMOKE_TEST_TIMEOUT": "0"}
    with pytest.raises(smoke_test.SmokeTestError) as caught:
        smoke_test.run(env)
    message = str(caught.value)
    assert "POST /dev/events answered 400" in message
    assert '"error": "no"' in message


def test_smoke_script_exit_code(fake_api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_URL", fake_api)
    monkeypatch.setenv("SMOKE_TEST_USER", "nobody")
    monkeypatch.setenv("SMOKE_TEST_TIMEOUT", "0")
    assert smoke_test.main() == 1
    monkeypatch.delenv("SMOKE_TEST_USER")
    assert smoke_test.main() == 2


def test_the_stack_exports_its_openapi_document(run: StackRun) -> None:
    # Any stack file, the user's own included: the document lists the routes the API serves.
    document = json.loads(run.outputs["openapi"])
    documented = {(m.upper(), p) for p, item in document["paths"].items() for m in item}
    assert documented == {(m, f"/{p}") for m, p, _ in routes(run)}
    assert document["servers"][0]["url"] == run.one(STAGE).state["invokeUrl"]


@shipped_only
def test_recommend_knows_each_filters_placeholders(run: StackRun) -> None:
    variables = function(run, "recommend").inputs["environment"]["variables"]
    keys = json.loads(variables["FILTER_VALUE_KEYS"])
    assert set(keys) == set(json.loads(variables["FILTER_ARNS"]))
    expected = {"dev": {"unwatched": []}, "prod": {"unwatched": [], "genre": ["GENRE"]}}
    assert keys == expected[run.stack]
