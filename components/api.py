"""API layer: the REST API, its functions, auth, throttling, access logs and the smoke test.

Routes (each an AWS_PROXY integration with a Lambda function from `handlers/`):

    GET  /recommendations   recommend   (always)
    POST /rankings          recommend   (when a ranking model is configured)
    GET  /similar-items     recommend   (when a similar-items model is configured)
    POST /events            ingest      -> Kinesis
    POST /items, /users     catalog     (when that dataset is configured)

The client never names a stream, tracking ID or campaign: the functions read them from their
environment. Campaign and filter ARNs arrive computed from names, so nothing here waits for
training; only the smoke test depends on the campaigns.

API Gateway writes access logs with the CloudWatch role set in the account's API Gateway
settings, one per account and region
(https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html). By default
this component leaves that setting alone and relies on it being set (by hand or by another
stack): a stage with access logs is refused while it is unset ("CloudWatch Logs role ARN must be
set in account settings to enable logging"), so a missing role fails `pulumi up` at the stage
instead of deploying an API without an audit trail. With
`api.manageAccountLoggingRole` the stack creates a role and points the setting at it
(`aws.apigateway.Account`); pulumi-aws 7 resets the setting when that resource is destroyed
(terraform-provider-aws PR #42226), so `pulumi destroy` leaves the region with no role.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_command as command

from components import smoke_test as smoke_script
from components.arns import arn
from components.config import PROJECT_ROOT, Route, StackConfig
from components.csv_text import open_csv
from components.lambda_function import PythonFunction
from components.model import metadata_columns
from handlers import contract, env

SMOKE_TEST_SCRIPT = Path(smoke_script.__file__).resolve()
# AWS managed policy for API Gateway's account-wide logging role (its path under the partition's
# `iam::aws:policy/`). Its Resource is "*" because the role serves every API and stage in the
# region (execution logs go to log groups API Gateway names and creates itself), which no
# stack-scoped ARN list can cover.
API_GATEWAY_LOGS_POLICY = "service-role/AmazonAPIGatewayPushToCloudWatchLogs"


ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "integrationLatency": "$context.integrationLatency",
        "responseLatency": "$context.responseLatency",
        "apiKeyId": "$context.identity.apiKeyId",
        "errorMessage": "$context.error.message",
    },
    separators=(",", ":"),
)
CORS_ALLOW_HEADERS = "Content-Type,X-Api-Key,Authorization,X-Amz-Date,X-Amz-Security-Token"


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str  # one resource under the root, without the slash
    function: str  # handlers module serving it


def api_routes(campaign_routes: Collection[str], datasets: Collection[str]) -> list[ApiRoute]:
    """The routes this stack serves: the contract's operations whose enabling variable the stack
    gives the functions (a configured model or dataset), and those always on."""
    if "recommendations" not in campaign_routes:
        raise ValueError(
            'campaign_arns must contain "recommendations": every stack serves GET /recommendations'
        )
    enabled = {env.CAMPAIGN_ARN[r] for r in campaign_routes if r in env.CAMPAIGN_ARN}
    enabled |= {env.DATASET_ARN[k] for k in datasets if k in env.DATASET_ARN}
    return [
        ApiRoute(op.method, op.path.lstrip("/"), op.module)
        for op in contract.OPERATIONS
        if op.enabled_by is None or op.enabled_by in enabled
    ]


def openapi_document(
    routes: Sequence[ApiRoute],
    *,
    auth: str,
    filters: Mapping[str, str],
    schemas: Mapping[str, str],
    url: str | None,
    columns: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The stack's own OpenAPI document (JSON): its routes, filters, dataset schemas and the
    Items columns each route's model returns (``columns``, as METADATA_COLUMNS holds them)."""
    served = {(r.method, f"/{r.path}") for r in routes}
    operations = [op for op in contract.OPERATIONS if (op.method, op.path) in served]
    document = contract.document(
        operations,
        filters={name: contract.filter_value_keys(e) for name, e in filters.items()},
        catalog_schemas=dict(schemas),
        metadata_columns=columns or {},
        auth=auth,
        server=url,
    )
    return json.dumps(document, indent=2)


def first_user(config: StackConfig) -> str:
    """The smoke test's user: configured, or the first user of the interactions CSV."""
    if config.api.smoke_test_user:
        return config.api.smoke_test_user
    interactions = config.dataset("Interactions")
    if interactions is None:
        raise ValueError("api.smokeTest needs datasets.interactions or api.smokeTestUser")
    with open_csv(interactions.file) as handle:
        for row in csv.DictReader(handle):
            if row.get("USER_ID"):
                return row["USER_ID"]
    raise ValueError(
        f"api.smokeTest: {interactions.file} has no USER_ID rows; set api.smokeTestUser"
    )


def smoke_test_event_type(config: StackConfig) -> str:
    """The event type the smoke test sends: the one the /recommendations model trains on, else
    the first one in the interactions CSV, so it is always one the stack's data knows."""
    model = config.model_for("recommendations")
    if model is not None and model.training.event_type:
        return model.training.event_type
    interactions = config.dataset("Interactions")
    if interactions is not None:
        with open_csv(interactions.file) as handle:
            for row in csv.DictReader(handle):
                if row.get("EVENT_TYPE"):
                    return row["EVENT_TYPE"]
    raise ValueError(
        "api.smokeTest needs an EVENT_TYPE in the interactions CSV or training.eventType"
    )


def _project_relative(path: str) -> str:
    """Paths inside the project as the command provider sees them (it runs in the project
    directory), so the stack's state does not depend on where the checkout lives."""
    try:
        return Path(os.path.relpath(path, PROJECT_ROOT)).as_posix()
    except ValueError:
        return path


class Api(pulumi.ComponentResource):
    """The REST API, its functions and stage, auth, throttling, access logs and smoke test."""

    rest_api: aws.apigateway.RestApi
    stage: aws.apigateway.Stage
    deployment: aws.apigateway.Deployment
    url: pulumi.Output[str]
    api_key: aws.apigateway.ApiKey | None
    usage_plan: aws.apigateway.UsagePlan | None
    curl_examples: pulumi.Output[str]
    openapi: pulumi.Output[str]
    gateway_responses: list[aws.apigateway.Response]
    functions: dict[str, PythonFunction]
    routes: list[ApiRoute]
    auth: str
    usage_plan_key: aws.apigateway.UsagePlanKey | None
    method_settings: aws.apigateway.MethodSettings
    account: aws.apigateway.Account | None
    access_log_group: aws.cloudwatch.LogGroup
    smoke_test: command.local.Command | None

    def __init__(
        self,
        name: str,
        *,
        config: StackConfig,
        stream: aws.kinesis.Stream,
        campaign_arns: Mapping[Route, pulumi.Input[str]],
        filter_arns: Mapping[str, pulumi.Input[str]],
        dataset_arns: Mapping[str, pulumi.Input[str]],
        schemas: Mapping[str, str],
        smoke_test_after: Sequence[pulumi.Resource],
        account_id: pulumi.Input[str],
        region: pulumi.Input[str],
        recommend_environment: Mapping[str, pulumi.Input[str]] | None = None,
        promotion_filter_arns: Sequence[pulumi.Input[str]] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("personalize-realtime:api:Api", name, None, opts)
        # The smoke test sits beside this component, not inside it: depending on a component
        # means waiting for all of its children, and the smoke test waits for training.
        self._smoke_test_parent = opts.parent if opts is not None else None
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(config.tags)
        api_cfg = config.api
        self.routes = api_routes(list(campaign_arns), list(dataset_arns))
        self.auth = api_cfg.auth
        stage_name = config.stack
        cors: dict[str, pulumi.Input[str]] = (
            {env.CORS_ALLOW_ORIGIN: api_cfg.cors_allow_origin} if api_cfg.cors_allow_origin else {}
        )

        self.rest_api = aws.apigateway.RestApi(
            f"{name}-rest-api",
            name=config.name("api"),
            description=f"Recommendations and events for {config.name_prefix}.",
            endpoint_configuration={"types": "REGIONAL"},
            api_key_source="HEADER",
            tags=tags,
            opts=child,
        )

        self.functions = self._functions(
            name,
            config=config,
            stream=stream,
            campaign_arns=campaign_arns,
            filter_arns=filter_arns,
            dataset_arns=dataset_arns,
            schemas=schemas,
            cors=cors,
            account_id=account_id,
            region=region,
            recommend_environment=recommend_environment or {},
            promotion_filter_arns=promotion_filter_arns,
        )

        # Route methods, integrations and the permissions that let this API invoke each function.
        authorization = "AWS_IAM" if api_cfg.auth == "iam" else "NONE"
        key_required = api_cfg.auth == "apiKey"
        deployed: list[pulumi.Resource] = []
        resources: dict[str, aws.apigateway.Resource] = {}
        for route in self.routes:
            resource = resources.get(route.path)
            if resource is None:
                resource = aws.apigateway.Resource(
                    f"{name}-{route.path}",
                    rest_api=self.rest_api.id,
                    parent_id=self.rest_api.root_resource_id,
                    path_part=route.path,
                    opts=child,
                )
                resources[route.path] = resource
            slug = f"{name}-{route.method.lower()}-{route.path}"
            method = aws.apigateway.Method(
                slug,
                rest_api=self.rest_api.id,
                resource_id=resource.id,
                http_method=route.method,
                authorization=authorization,
                api_key_required=key_required,
                opts=child,
            )
            function = self.functions[route.function].function
            integration = aws.apigateway.Integration(
                f"{slug}-integration",
                rest_api=self.rest_api.id,
                resource_id=resource.id,
                http_method=method.http_method,
                type="AWS_PROXY",
                integration_http_method="POST",
                uri=function.invoke_arn,
                opts=child,
            )
            aws.lambda_.Permission(
                f"{slug}-invoke",
                action="lambda:InvokeFunction",
                function=function.name,
                principal="apigateway.amazonaws.com",
                source_arn=pulumi.Output.concat(
                    self.rest_api.execution_arn, f"/{stage_name}/{route.method}/{route.path}"
                ),
                opts=child,
            )
            deployed += [method, integration]

        if api_cfg.cors_allow_origin:
            deployed += self._cors(name, resources, api_cfg.cors_allow_origin)
        deployed += self._gateway_responses(name, api_cfg.cors_allow_origin)

        # A hash of everything the deployment snapshots: any change deploys the API again.
        fingerprint = json.dumps(
            {
                "routes": [vars(r) for r in self.routes],
                "auth": api_cfg.auth,
                "cors": api_cfg.cors_allow_origin,
                "gateway_responses": [vars(r) for r in contract.GATEWAY_RESPONSES],
                "functions": {k: f.function_name for k, f in self.functions.items()},
            },
            sort_keys=True,
        )
        self.deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=self.rest_api.id,
            description=f"Routes: {', '.join(f'{r.method} /{r.path}' for r in self.routes)}",
            triggers={"redeployment": hashlib.sha256(fingerprint.encode()).hexdigest()},
            opts=pulumi.ResourceOptions(parent=self, depends_on=deployed),
        )

        self.access_log_group = aws.cloudwatch.LogGroup(
            f"{name}-access-logs",
            name=f"/aws/apigateway/{config.name('api')}/access",
            retention_in_days=config.log_retention_days,
            tags=tags,
            opts=child,
        )
        # Access logging needs the region's API Gateway CloudWatch role. Only when the stack owns
        # that setting does the stage wait for it; otherwise the account already has one.
        stage_depends: list[pulumi.Resource] = []
        self.account = None
        if api_cfg.manage_account_logging_role:
            self.account = self._account_logging_role(name, config, account_id, tags)
            stage_depends.append(self.account)
        self.stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=self.rest_api.id,
            deployment=self.deployment.id,
            stage_name=stage_name,
            access_log_settings={
                "destination_arn": self.access_log_group.arn,
                "format": ACCESS_LOG_FORMAT,
            },
            tags=tags,
            # Access logging is refused while the region has no CloudWatch role.
            opts=pulumi.ResourceOptions(parent=self, depends_on=stage_depends),
        )
        self.method_settings = aws.apigateway.MethodSettings(
            f"{name}-method-settings",
            rest_api=self.rest_api.id,
            stage_name=self.stage.stage_name,
            method_path="*/*",
            settings={
                "metrics_enabled": True,
                # Execution logs would go to a log group API Gateway creates without retention;
                # the access log above records every request instead.
                "logging_level": "OFF",
                "throttling_rate_limit": api_cfg.rate_limit,
                "throttling_burst_limit": api_cfg.burst_limit,
            },
            opts=child,
        )
        self.url = self.stage.invoke_url

        self.api_key = None
        self.usage_plan = None
        self.usage_plan_key = None
        if api_cfg.auth == "apiKey":
            self._usage_plan(name, config, tags)

        self.curl_examples = self._curl_examples()
        self.openapi = self._openapi(config, schemas)

        self.smoke_test = None
        if api_cfg.smoke_test:
            self.smoke_test = self._smoke_test(name, config, campaign_arns, smoke_test_after)

        self.register_outputs(
            {"url": self.url, "curl_examples": self.curl_examples, "openapi": self.openapi}
        )

    # ---- functions ------------------------------------------------------------------------

    def outputs(self) -> dict[str, pulumi.Output[str]]:
        """The stack outputs of the API: its URL, its key (a secret, with auth "apiKey"), curl
        examples and this stack's API contract (OpenAPI 3.1, JSON)."""
        outputs = {"apiUrl": self.url}
        if self.api_key is not None:
            outputs["apiKey"] = pulumi.Output.secret(self.api_key.value)
        return {**outputs, "curlExamples": self.curl_examples, "openapi": self.openapi}

    def _functions(
        self,
        name: str,
        *,
        config: StackConfig,
        stream: aws.kinesis.Stream,
        campaign_arns: Mapping[Route, pulumi.Input[str]],
        filter_arns: Mapping[str, pulumi.Input[str]],
        dataset_arns: Mapping[str, pulumi.Input[str]],
        schemas: Mapping[str, str],
        cors: dict[str, pulumi.Input[str]],
        account_id: pulumi.Input[str],
        region: pulumi.Input[str],
        recommend_environment: Mapping[str, pulumi.Input[str]],
        promotion_filter_arns: Sequence[pulumi.Input[str]],
    ) -> dict[str, PythonFunction]:
        child = pulumi.ResourceOptions(parent=self)
        common: dict[str, Any] = {
            "config": config,
            "account_id": account_id,
            "region": region,
            "opts": child,
        }
        filters = list(filter_arns.values())
        recommend_statements: list[dict[str, Any]] = []
        # The Service Authorization Reference lists the campaign as the resource GetRecommendations
        # and GetPersonalizedRanking authorize (parliament's copy: campaign only); it lists no
        # filter resource for them. The filter ARNs are listed beside the campaigns anyway: they
        # grant nothing else, and should the service also check the filter a request names, the
        # role already allows exactly this stack's filters.
        reading = [
            campaign_arns[r] for r in ("recommendations", "similar-items") if r in campaign_arns
        ]
        recommend_statements.append(
            {
                "Sid": "GetRecommendations",
                "Effect": "Allow",
                "Action": ["personalize:GetRecommendations"],
                # The new-items promotion's filter is listed like the request filters.
                "Resource": [*reading, *filters, *promotion_filter_arns],
            }
        )
        if "rankings" in campaign_arns:
            recommend_statements.append(
                {
                    "Sid": "GetPersonalizedRanking",
                    "Effect": "Allow",
                    "Action": ["personalize:GetPersonalizedRanking"],
                    "Resource": [campaign_arns["rankings"], *filters],
                }
            )
        functions = {
            "recommend": PythonFunction(
                f"{name}-recommend",
                module="recommend",
                description="Serves recommendations, rankings and similar items from campaigns.",
                statements=recommend_statements,
                environment={
                    **{env.CAMPAIGN_ARN[route]: arn for route, arn in campaign_arns.items()},
                    env.FILTER_ARNS: pulumi.Output.json_dumps(dict(filter_arns)),
                    # The placeholders of each filter, so a request missing one is a clear 400.
                    env.FILTER_VALUE_KEYS: json.dumps(
                        {
                            name: contract.filter_value_keys(config.filters[name])
                            for name in filter_arns
                            if name in config.filters
                        },
                        sort_keys=True,
                    ),
                    **recommend_environment,
                    **cors,
                },
                memory_size=256,
                timeout=10,
                **common,
            ),
            "ingest": PythonFunction(
                f"{name}-ingest",
                module="ingest",
                description="Validates interaction events and writes them to the Kinesis stream.",
                statements=[
                    {
                        "Sid": "WriteEventStream",
                        "Effect": "Allow",
                        "Action": ["kinesis:PutRecord", "kinesis:PutRecords"],
                        "Resource": stream.arn,
                    }
                ],
                environment={env.STREAM_NAME: stream.name, **cors},
                memory_size=256,
                timeout=10,
                **common,
            ),
        }
        catalog = {k: v for k, v in dataset_arns.items() if k in env.DATASET_ARN}
        if catalog:
            actions = {"items": "personalize:PutItems", "users": "personalize:PutUsers"}
            environment: dict[str, pulumi.Input[str]] = dict(cors)
            for key, arn in catalog.items():
                environment[env.DATASET_ARN[key]] = arn
                if key not in schemas:
                    raise ValueError(f"schemas must contain {key!r} for the {key} dataset")
                environment[env.DATASET_SCHEMA[key]] = schemas[key]
            functions["catalog"] = PythonFunction(
                f"{name}-catalog",
                module="catalog",
                description="Adds or updates items and users in their Personalize datasets.",
                statements=[
                    {
                        "Sid": f"Put{key.capitalize()}",
                        "Effect": "Allow",
                        "Action": [actions[key]],
                        "Resource": arn,
                    }
                    for key, arn in catalog.items()
                ],
                environment=environment,
                memory_size=256,
                timeout=10,
                **common,
            )
        return functions

    # ---- CORS -----------------------------------------------------------------------------

    def _cors(
        self, name: str, resources: Mapping[str, aws.apigateway.Resource], origin: str
    ) -> list[pulumi.Resource]:
        """OPTIONS per resource, answered by API Gateway itself."""
        child = pulumi.ResourceOptions(parent=self)
        created: list[pulumi.Resource] = []
        headers = {
            "Access-Control-Allow-Headers": f"'{CORS_ALLOW_HEADERS}'",
            "Access-Control-Allow-Origin": f"'{origin}'",
        }
        for path, resource in resources.items():
            methods = sorted({r.method for r in self.routes if r.path == path} | {"OPTIONS"})
            preflight = {**headers, "Access-Control-Allow-Methods": f"'{','.join(methods)}'"}
            slug = f"{name}-options-{path}"
            method = aws.apigateway.Method(
                slug,
                rest_api=self.rest_api.id,
                resource_id=resource.id,
                http_method="OPTIONS",
                authorization="NONE",
                api_key_required=False,
                opts=child,
            )
            integration = aws.apigateway.Integration(
                f"{slug}-integration",
                rest_api=self.rest_api.id,
                resource_id=resource.id,
                http_method=method.http_method,
                type="MOCK",
                request_templates={"application/json": '{"statusCode": 200}'},
                opts=child,
            )
            response = aws.apigateway.MethodResponse(
                f"{slug}-response",
                rest_api=self.rest_api.id,
                resource_id=resource.id,
                http_method=method.http_method,
                status_code="200",
                response_parameters={f"method.response.header.{h}": True for h in preflight},
                opts=child,
            )
            integration_response = aws.apigateway.IntegrationResponse(
                f"{slug}-integration-response",
                rest_api=self.rest_api.id,
                resource_id=resource.id,
                http_method=method.http_method,
                status_code=response.status_code,
                response_parameters={
                    f"method.response.header.{h}": v for h, v in preflight.items()
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=[integration]),
            )
            created += [method, integration, response, integration_response]
        return created

    # ---- errors API Gateway answers itself -------------------------------------------------------

    def _gateway_responses(self, name: str, origin: str | None) -> list[aws.apigateway.Response]:
        """Every error API Gateway sends before a function runs (missing key, unknown route,
        throttled, too large, ...) in the API's error shape, with the CORS origin when set.
        The types, statuses and codes are declared in handlers/contract.py."""
        cors = {}
        if origin:
            cors = {
                "gatewayresponse.header.Access-Control-Allow-Headers": f"'{CORS_ALLOW_HEADERS}'",
                "gatewayresponse.header.Access-Control-Allow-Origin": f"'{origin}'",
            }
        kinds: list[tuple[str, str | None, str, int | None]] = [
            (r.type, str(r.status), r.code, r.retry_after) for r in contract.GATEWAY_RESPONSES
        ]
        kinds += [(k, None, contract.GATEWAY_DEFAULT_CODE, None) for k in contract.GATEWAY_DEFAULTS]
        created: list[aws.apigateway.Response] = []
        for kind, status, code, retry_after in kinds:
            slug = kind.lower().replace("_", "-")
            # The two defaults were once named "<name>-default-4xx-cors"; the alias keeps them the
            # same resources (a replacement would delete the type's settings after creating them).
            aliases = (
                [pulumi.Alias(name=f"{name}-{slug}-cors")] if kind.startswith("DEFAULT") else []
            )
            headers = dict(cors)
            if retry_after is not None:
                headers["gatewayresponse.header.Retry-After"] = f"'{retry_after}'"
            created.append(
                aws.apigateway.Response(
                    f"{name}-{slug}",
                    rest_api_id=self.rest_api.id,
                    response_type=kind,
                    status_code=status,
                    response_templates={"application/json": contract.gateway_template(code)},
                    response_parameters=headers or None,
                    opts=pulumi.ResourceOptions(parent=self, aliases=aliases),
                )
            )
        self.gateway_responses = created
        return created

    # ---- account logging role, usage plan ---------------------------------------------------

    def _account_logging_role(
        self, name: str, config: StackConfig, account_id: pulumi.Input[str], tags: dict[str, str]
    ) -> aws.apigateway.Account:
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-cloudwatch-role",
            name_prefix=f"{config.name_prefix}-apigw-logs-"[:38],
            description="Lets API Gateway write access logs in this region.",
            assume_role_policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "apigateway.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                        }
                    ],
                }
            ),
            tags=tags,
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-cloudwatch-role-logs",
            role=role.name,
            policy_arn=arn(config.partition, "iam", "", "aws", f"policy/{API_GATEWAY_LOGS_POLICY}"),
            opts=child,
        )
        # Destroying this resource resets the region's setting (pulumi-aws 7 has no option to keep
        # it); the README's teardown section says what that means for other APIs in the region.
        return aws.apigateway.Account(
            f"{name}-account",
            cloudwatch_role_arn=role.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]),
        )

    def _usage_plan(self, name: str, config: StackConfig, tags: dict[str, str]) -> None:
        api_cfg = config.api
        child = pulumi.ResourceOptions(parent=self)
        self.api_key = aws.apigateway.ApiKey(
            f"{name}-key",
            name=config.name("api-key"),
            description=f"Client key for the {config.name('api')} API.",
            enabled=True,
            tags=tags,
            # pulumi-aws marks the value secret already; saying so here keeps it secret even if
            # that default ever changes.
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["value"]),
        )
        self.usage_plan = aws.apigateway.UsagePlan(
            f"{name}-usage-plan",
            name=config.name("api-plan"),
            description="Throttling (and quota) for API key clients.",
            api_stages=[{"api_id": self.rest_api.id, "stage": self.stage.stage_name}],
            throttle_settings={
                "rate_limit": api_cfg.rate_limit,
                "burst_limit": api_cfg.burst_limit,
            },
            quota_settings=(
                {"limit": api_cfg.quota_per_day, "period": "DAY"}
                if api_cfg.quota_per_day is not None
                else None
            ),
            tags=tags,
            opts=child,
        )
        self.usage_plan_key = aws.apigateway.UsagePlanKey(
            f"{name}-usage-plan-key",
            key_id=self.api_key.id,
            key_type="API_KEY",
            usage_plan_id=self.usage_plan.id,
            opts=child,
        )

    def _openapi(self, config: StackConfig, schemas: Mapping[str, str]) -> pulumi.Output[str]:
        routes = self.routes
        columns = metadata_columns(config)
        return self.url.apply(
            lambda url: openapi_document(
                routes,
                auth=config.api.auth,
                filters=config.filters,
                schemas=schemas,
                url=url,
                columns=columns,
            )
        )

    # ---- outputs and smoke test ---------------------------------------------------------------

    def _curl_examples(self) -> pulumi.Output[str]:
        auth = {
            "apiKey": ' -H "x-api-key: $API_KEY"',
            "iam": (
                ' --aws-sigv4 "aws:amz:$AWS_REGION:execute-api"'
                ' --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"'
            ),
            "none": "",
        }[self.auth]
        lines = []
        if self.auth == "apiKey":
            lines.append('API_KEY="$(pulumi stack output apiKey --show-secrets)"')
        examples = {
            "recommendations": 'curl -s{auth} "{url}/recommendations?userId=u00001&numResults=10"',
            "rankings": (
                "curl -s{auth} -X POST -H 'Content-Type: application/json' "
                '-d \'{{"userId": "u00001", "itemIds": ["m00001", "m00002"]}}\' "{url}/rankings"'
            ),
            "similar-items": 'curl -s{auth} "{url}/similar-items?itemId=m00001&numResults=10"',
            "events": (
                "curl -s{auth} -X POST -H 'Content-Type: application/json' "
                '-d \'{{"userId": "u00001", "events": [{{"eventType": "click", '
                '"itemId": "m00001"}}]}}\' "{url}/events"'
            ),
            # Catalog records use the dataset schema's field names (here the sample schemas).
            "items": (
                "curl -s{auth} -X POST -H 'Content-Type: application/json' "
                '-d \'{{"items": [{{"ITEM_ID": "m99999", "GENRES": "Comedy|Drama", '
                '"YEAR": 2024, "CREATION_TIMESTAMP": 1700000000}}]}}\' "{url}/items"'
            ),
            "users": (
                "curl -s{auth} -X POST -H 'Content-Type: application/json' "
                '-d \'{{"users": [{{"USER_ID": "u99999", "AGE_BAND": "25-34", '
                '"TIER": "free"}}]}}\' "{url}/users"'
            ),
        }

        def render(url: str) -> str:
            base = url.rstrip("/")
            return "\n".join(
                [*lines, *(examples[r.path].format(auth=auth, url=base) for r in self.routes)]
            )

        return self.url.apply(render)

    def _smoke_test(
        self,
        name: str,
        config: StackConfig,
        campaign_arns: Mapping[Route, pulumi.Input[str]],
        smoke_test_after: Sequence[pulumi.Resource],
    ) -> command.local.Command | None:
        if config.api.auth == "iam":
            # Signing requests needs the deployer's AWS credentials in the command's
            # environment, which the command provider does not guarantee.
            pulumi.log.warn(
                "api.smokeTest is skipped when api.auth is iam: the smoke test sends unsigned "
                "requests; use apiKey or none to have pulumi up call the API",
                resource=self,
            )
            return None
        environment: dict[str, pulumi.Input[str]] = {
            smoke_script.API_URL: self.url,
            smoke_script.SMOKE_TEST_USER: first_user(config),
            smoke_script.SMOKE_TEST_EVENT_TYPE: smoke_test_event_type(config),
            # Every other route a model serves is called too.
            smoke_script.SMOKE_TEST_ROUTES: ",".join(
                r for r in campaign_arns if r != "recommendations"
            ),
        }
        if self.api_key is not None:
            environment[smoke_script.API_KEY] = pulumi.Output.secret(self.api_key.value)
        python = _project_relative(sys.executable)
        script = _project_relative(str(SMOKE_TEST_SCRIPT))
        # The serving model version where the campaign exposes it: a new model is tested too.
        serving = [
            r.solution_version_arn  # type: ignore[attr-defined]
            for r in smoke_test_after
            if isinstance(getattr(r, "solution_version_arn", None), pulumi.Output)
        ]
        waits: list[pulumi.Resource] = [self.stage, self.method_settings, *smoke_test_after]
        if self.usage_plan_key is not None:
            waits.append(self.usage_plan_key)
        return command.local.Command(
            f"{name}-smoke-test",
            create=f"{python} {script}",
            environment=environment,
            triggers=[self.deployment.id, *campaign_arns.values(), *serving],
            logging=command.local.Logging.STDOUT_AND_STDERR,
            opts=pulumi.ResourceOptions(parent=self._smoke_test_parent, depends_on=waits),
        )
