"""moto server for scripts/checks/40-apply.sh: moto 5.2.5 on a free loopback
port, plus the few stubs the real hashicorp/aws provider needs where moto
lacks a call or answers it differently from AWS.

    python moto_server.py PORT_FILE [--hosted-zone=ID=NAME]... [--secret=REGION/NAME]...

What a topology references as already existing is seeded: --hosted-zone a
public Route 53 hosted zone with that exact ID (edge.domain.hosted_zone_id),
--secret a Secrets Manager secret of that name in that region (a
[service.secrets] value given by name, which the plan resolves to its ARN).

Binds 127.0.0.1 on a free port, writes the port to PORT_FILE once it listens,
serves until SIGTERM/SIGINT. Every stub is a function in STUBS below, named
with the call it answers and why moto cannot; a request no stub claims goes
to moto unchanged. Stubs answer from what the provider sent; they never make
the generated Terraform look more correct than moto would.
"""

import json
import os
import signal
import sys
import uuid

# AWS managed policies (AmazonECSTaskExecutionRolePolicy, ...) exist only with this.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from moto.moto_server.threaded_moto_server import MotoRequestHandler  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    create_backend_app,
)
from werkzeug.serving import make_server  # noqa: E402
from werkzeug.wrappers import Request, Response  # noqa: E402


def _target(request):
    return request.headers.get("X-Amz-Target", "")


def _json(body, status=200):
    return Response(json.dumps(body), status=status, content_type="application/x-amz-json-1.1")


# Each stub: (name, reason, predicate(request) -> bool, handler(request) -> Response).
STUBS = []


def stub(reason):
    def register(fn):
        STUBS.append((fn.__name__, reason, fn))
        return fn

    return register


# ---- stubs -----------------------------------------------------------------

_SCALING_TAGS = {}  # ResourceARN of a scalable target -> {key: value}


@stub("moto 5.2.5 has no Application Auto Scaling TagResource/UntagResource/"
      "ListTagsForResource (NotImplementedError); the provider reads the tags of "
      "every aws_appautoscaling_target. Tags given at RegisterScalableTarget are "
      "kept here and the scalable-target ARN is returned by moto.")
def appautoscaling_tags(request):
    target = _target(request)
    if not target.startswith("AnyScaleFrontendService."):
        return None
    op = target.split(".", 1)[1]
    body = json.loads(request.get_data() or b"{}")
    if op == "RegisterScalableTarget" and body.get("Tags"):
        _PENDING_SCALING_TAGS[(body["ServiceNamespace"], body["ResourceId"], body["ScalableDimension"])] = body["Tags"]
        return None
    if op == "TagResource":
        _SCALING_TAGS.setdefault(body["ResourceARN"], {}).update(body.get("Tags", {}))
        return _json({})
    if op == "UntagResource":
        for key in body.get("TagKeys", []):
            _SCALING_TAGS.get(body["ResourceARN"], {}).pop(key, None)
        return _json({})
    if op == "ListTagsForResource":
        arn = body["ResourceARN"]
        if arn not in _SCALING_TAGS:
            _claim_pending_scaling_tags(request, arn)
        return _json({"Tags": _SCALING_TAGS.get(arn, {})})
    return None


_PENDING_SCALING_TAGS = {}


def _claim_pending_scaling_tags(request, arn):
    """Binds tags sent with RegisterScalableTarget to the ARN moto gave the target."""
    from moto.applicationautoscaling.models import applicationautoscaling_backends

    account, region = arn.split(":")[4], arn.split(":")[3]
    backend = applicationautoscaling_backends[account][region]
    for (ns, rid, dim), tags in list(_PENDING_SCALING_TAGS.items()):
        for target in backend.targets.get(dim, {}).values():
            if target.service_namespace == ns and target.resource_id == rid and target.arn == arn:
                _SCALING_TAGS[arn] = dict(tags)
                del _PENDING_SCALING_TAGS[(ns, rid, dim)]


@stub("moto 5.2.5 has no Budgets DescribeSubscribersForNotification; the provider "
      "reads each notification's subscribers back. Answered from the subscribers "
      "moto stored with CreateBudget/CreateNotification.")
def budgets_subscribers(request):
    if _target(request) != "AWSBudgetServiceGateway.DescribeSubscribersForNotification":
        return None
    from moto.budgets.models import budgets_backends

    body = json.loads(request.get_data())
    account = body["AccountId"]
    budget = budgets_backends[account]["aws"].budgets[account].get(body["BudgetName"])
    if budget is None:
        return _json({"__type": "NotFoundException", "Message": "budget not found"}, 400)
    want = body["Notification"]
    keys = ("NotificationType", "ComparisonOperator", "ThresholdType")
    for n in budget.notifications:
        if all(n.details.get(k) == want.get(k) for k in keys) and float(
            n.details.get("Threshold", 0)
        ) == float(want.get("Threshold", 0)):
            return _json({"Subscribers": n.subscribers})
    return _json({"__type": "NotFoundException", "Message": "notification not found"}, 400)


_BUDGET_TAGS = {}  # budget ARN -> [{"Key": k, "Value": v}]


@stub("moto 5.2.5 has no Budgets TagResource/UntagResource/ListTagsForResource; "
      "the provider reads the tags of aws_budgets_budget. Tags sent with CreateBudget "
      "(ResourceTags) are kept here, keyed by the budget ARN.")
def budgets_tags(request):
    target = _target(request)
    if not target.startswith("AWSBudgetServiceGateway."):
        return None
    op = target.split(".", 1)[1]
    body = json.loads(request.get_data() or b"{}")
    if op == "CreateBudget":
        arn = f"arn:aws:budgets::{body['AccountId']}:budget/{body['Budget']['BudgetName']}"
        _BUDGET_TAGS[arn] = list(body.get("ResourceTags") or [])
        return None
    if op == "DeleteBudget":
        _BUDGET_TAGS.pop(f"arn:aws:budgets::{body['AccountId']}:budget/{body['BudgetName']}", None)
        return None
    if op == "TagResource":
        tags = {t["Key"]: t["Value"] for t in _BUDGET_TAGS.get(body["ResourceARN"], [])}
        tags.update({t["Key"]: t["Value"] for t in body.get("ResourceTags", [])})
        _BUDGET_TAGS[body["ResourceARN"]] = [{"Key": k, "Value": v} for k, v in tags.items()]
        return _json({})
    if op == "UntagResource":
        drop = set(body.get("ResourceTagKeys", []))
        _BUDGET_TAGS[body["ResourceARN"]] = [
            t for t in _BUDGET_TAGS.get(body["ResourceARN"], []) if t["Key"] not in drop
        ]
        return _json({})
    if op == "ListTagsForResource":
        return _json({"ResourceTags": _BUDGET_TAGS.get(body["ResourceARN"], [])})
    return None


def _patch_moto():
    """Fixes inside moto's models, where moto accepts a call but does not keep
    (or invents) what AWS returns; the provider reads it back, so without them
    the plan right after apply shows a diff that AWS would not."""
    from moto.ec2.models.security_groups import SecurityGroupRule
    from moto.ecs.responses import EC2ContainerServiceResponse
    from moto.kms.responses import KmsResponse
    from moto.rds.models import DBInstance

    # RDS: moto 5.2.5 gives every DB instance the same DbiResourceId
    # (db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U). Provider 5.100 finds an instance by its
    # resource ID (DescribeDBInstances, filter dbi-resource-id): with two
    # databases it finds two and waits forever. AWS makes them unique.
    # RDS: moto ignores EnablePerformanceInsights, the Performance Insights
    # key and retention, and DatabaseInsightsMode at create and modify;
    # DescribeDBInstances must return them.
    def performance_insights(db, kwargs):
        if kwargs.get("enable_performance_insights") is not None:
            db.performance_insights_enabled = bool(kwargs["enable_performance_insights"])
        for key in (
            "performance_insights_kms_key_id",
            "performance_insights_retention_period",
            "database_insights_mode",
        ):
            if kwargs.get(key) is not None:
                setattr(db, key, kwargs[key])

    db_init = DBInstance.__init__

    def db_instance_init(self, *args, **kwargs):
        db_init(self, *args, **kwargs)
        self.dbi_resource_id = "db-" + uuid.uuid4().hex[:26].upper()
        performance_insights(self, kwargs)

    db_update = DBInstance.update

    def db_instance_update(self, *args, **kwargs):
        db_update(self, *args, **kwargs)
        performance_insights(self, kwargs)

    DBInstance.__init__ = db_instance_init
    DBInstance.update = db_instance_update

    # RDS: AWS marks parameters set through ModifyDBParameterGroup with
    # Source=user; moto returns no Source, and the provider keeps only "user"
    # parameters when it reads a group back, so it never sees them.
    from moto.rds.models import DBParameterGroup

    update_parameters = DBParameterGroup.update_parameters

    def update_parameters_as_user(self, new_parameters):
        new_parameters = list(new_parameters)
        update_parameters(self, new_parameters)
        for parameter in new_parameters:
            self.parameters[parameter["ParameterName"]].setdefault("Source", "user")

    DBParameterGroup.update_parameters = update_parameters_as_user

    # API Gateway v2: moto's domain-name configurations lack what AWS adds
    # (DomainNameStatus AVAILABLE, the regional target domain and its zone);
    # the provider waits for AVAILABLE after CreateDomainName and never gets it.
    from moto.apigatewayv2.models import DomainName

    domain_init = DomainName.__init__

    def domain_name_init(self, domain_name, domain_name_configurations, *args, **kwargs):
        domain_init(self, domain_name, domain_name_configurations, *args, **kwargs)
        region = kwargs["backend"].region_name if "backend" in kwargs else args[-1].region_name
        for config in self.domain_name_configurations or []:
            config.setdefault("domainNameStatus", "AVAILABLE")
            config.setdefault("apiGatewayDomainName", f"d-{uuid.uuid4().hex[:10]}.execute-api.{region}.amazonaws.com")
            config.setdefault("hostedZoneId", "ZMOTOAPIGWREGIONAL")

    DomainName.__init__ = domain_name_init

    # ... and moto answers mutualTlsAuthentication {} when none was set, which
    # the provider reads as an empty block (a diff); AWS leaves it out.
    domain_json = DomainName.to_json

    def domain_name_json(self):
        body = domain_json(self)
        if not body.get("mutualTlsAuthentication"):
            body.pop("mutualTlsAuthentication", None)
        return body

    DomainName.to_json = domain_name_json

    # EC2: moto reads a rule's description only from a CIDR range; rules that
    # reference a security group or a prefix list (all of ours) lose theirs.
    rule_init = SecurityGroupRule.__init__

    def sg_rule_init(self, *args, **kwargs):
        rule_init(self, *args, **kwargs)
        names = ["ec2_backend", "ip_protocol", "group_id", "from_port", "to_port",
                 "ip_range", "source_group", "prefix_list_id"]
        given = dict(zip(names, args), **kwargs)
        for source in (given.get("source_group"), given.get("prefix_list_id")):
            if source and source.get("Description") and not self.ip_range.get("Description"):
                self._stub_description = source["Description"]

    SecurityGroupRule.__init__ = sg_rule_init
    SecurityGroupRule.description = property(
        lambda self: self.ip_range.get("Description") or getattr(self, "_stub_description", None)
    )

    # ECS: moto keeps neither capacityProviderStrategy, healthCheckGracePeriodSeconds,
    # enableECSManagedTags nor availabilityZoneRebalancing of CreateService/
    # UpdateService; DescribeServices must return what was set (a missing
    # capacity-provider strategy even forces replacement).
    kept = {
        "capacityProviderStrategy": "capacity_provider_strategy",
        "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
        "enableECSManagedTags": "enable_ecs_managed_tags",
        "availabilityZoneRebalancing": "availability_zone_rebalancing",
    }

    def keeping(method):
        def wrapper(self):
            result = method(self)
            service_name = self._get_param("serviceName") or self._get_param("service")
            cluster = self._get_param("cluster", "default")
            services, _ = self.ecs_backend.describe_services(cluster, [service_name])
            for service in services:
                for param, attr in kept.items():
                    value = self._get_param(param)
                    if value is not None:
                        setattr(service, attr, value)
            return result

        return wrapper

    EC2ContainerServiceResponse.create_service = keeping(EC2ContainerServiceResponse.create_service)
    EC2ContainerServiceResponse.update_service = keeping(EC2ContainerServiceResponse.update_service)

    # Lambda: moto answers ImageConfigResponse with empty Command and
    # EntryPoint for every image function; AWS returns it only when an image
    # config was set, so the provider reads [] where the configuration has none.
    from moto.awslambda.models import LambdaFunction

    get_configuration = LambdaFunction.get_configuration

    def configuration_without_empty_image_config(self, *args, **kwargs):
        config = get_configuration(self, *args, **kwargs)
        image = config.get("ImageConfigResponse", {}).get("ImageConfig", {})
        if not any(image.values()):
            config.pop("ImageConfigResponse", None)
        return config

    LambdaFunction.get_configuration = configuration_without_empty_image_config

    # KMS: moto ignores EnableKeyRotation's RotationPeriodInDays and
    # GetKeyRotationStatus omits it; the provider reads rotation_period_in_days.
    periods = {}
    enable = KmsResponse.enable_key_rotation
    status = KmsResponse.get_key_rotation_status

    def enable_key_rotation(self):
        result = enable(self)
        key = self.kms_backend.describe_key(self._get_param("KeyId"))
        periods[key.id] = self._get_param("RotationPeriodInDays") or 365
        return result

    def get_key_rotation_status(self):
        body = json.loads(status(self))
        key = self.kms_backend.describe_key(self._get_param("KeyId"))
        if body.get("KeyRotationEnabled"):
            body["RotationPeriodInDays"] = periods.get(key.id, 365)
        body["KeyId"] = key.id
        return json.dumps(body)

    KmsResponse.enable_key_rotation = enable_key_rotation
    KmsResponse.get_key_rotation_status = get_key_rotation_status

    # Amazon MQ: AWS creates the broker's log group
    # (/aws/amazonmq/broker/<id>/general) while it creates a broker with
    # general logs, with the caller's logs:CreateLogGroup; moto creates none,
    # so the group a topology adopts (broker.adopt_log_groups) would not exist.
    from moto.logs.models import logs_backends
    from moto.mq.models import MQBackend

    create_broker = MQBackend.create_broker

    def create_broker_with_log_group(self, *args, **kwargs):
        broker_arn, broker_id = create_broker(self, *args, **kwargs)
        logs_config = kwargs.get("logs") or {}
        if logs_config.get("General") or logs_config.get("general"):
            logs = logs_backends[self.account_id][self.region_name]
            logs.create_log_group(f"/aws/amazonmq/broker/{broker_id}/general", {})
        return broker_arn, broker_id

    MQBackend.create_broker = create_broker_with_log_group

    # CloudWatch Logs: moto 5.2.5 has no AssociateKmsKey, which the provider
    # calls to give an existing log group a key (an adopted Amazon MQ group);
    # DescribeLogGroups already returns a group's kmsKeyId.
    from moto.logs.responses import LogsResponse

    def associate_kms_key(self):
        group = self.logs_backend.groups[self._get_param("logGroupName")]
        group.kms_key_id = self._get_param("kmsKeyId")
        return ""

    LogsResponse.associate_kms_key = associate_kms_key

    # CloudWatch: moto 5.2.5 has no PutCompositeAlarm (the SLO page and ticket
    # composites). Its PutMetricAlarm already reads AlarmRule, stores the
    # alarm, and DescribeAlarms returns alarms with a rule as CompositeAlarms:
    # the same handler answers PutCompositeAlarm.
    from moto.cloudwatch.responses import CloudWatchResponse

    CloudWatchResponse.put_composite_alarm = CloudWatchResponse.put_metric_alarm


class StubbedMoto:
    """WSGI middleware: the first stub whose handler answers (not None) wins."""

    def __init__(self, app):
        self.app = app
        self.hits = {}

    def __call__(self, environ, start_response):
        request = Request(environ)
        # Reading the body here must leave it readable for moto.
        body = request.get_data(cache=True)
        environ["wsgi.input"] = __import__("io").BytesIO(body)
        for name, _reason, fn in STUBS:
            response = fn(request)
            if response is not None:
                self.hits[name] = self.hits.get(name, 0) + 1
                return response(environ, start_response)
        if not TRACE:
            return self.app(environ, start_response)

        def traced(status, headers, exc_info=None):
            TRACE.write(f"{status[:3]} {_describe(request)}\n")
            TRACE.flush()
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, traced)
        except Exception as e:
            TRACE.write(f"EXC {_describe(request)} {type(e).__name__}: {e}\n")
            TRACE.flush()
            raise


def _describe(request):
    """Service and action of a request, for the trace."""
    auth = request.headers.get("Authorization", "")
    service = auth.split("/")[3] if auth.count("/") >= 4 else "?"
    action = _target(request) or request.form.get("Action") or ""
    return f"{service} {request.method} {request.path} {action}".rstrip()


# MOTO_TRACE=FILE: one line per request moto answers (status, service, action).
TRACE = open(os.environ["MOTO_TRACE"], "a") if os.environ.get("MOTO_TRACE") else None


def seed_hosted_zone(spec):
    """A public hosted zone with a given ID (moto only generates IDs)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.route53.models import route53_backends

    zone_id, _, name = spec.partition("=")
    if not zone_id or not name:
        sys.exit(f"moto_server: --hosted-zone wants ID=NAME, got {spec!r}")
    backend = route53_backends[DEFAULT_ACCOUNT_ID]["aws"]
    zone = backend.create_hosted_zone(name, private_zone=False)
    del backend.zones[zone.resource_id]
    zone.resource_id = zone_id
    backend.zones[zone_id] = zone


def seed_secret(spec):
    """A Secrets Manager secret the topology names (REGION/NAME), with a
    placeholder JSON value."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.secretsmanager.models import secretsmanager_backends

    region, _, name = spec.partition("/")
    if not region or not name:
        sys.exit(f"moto_server: --secret wants REGION/NAME, got {spec!r}")
    secretsmanager_backends[DEFAULT_ACCOUNT_ID][region].create_secret(
        name=name,
        secret_string=json.dumps({"seeded": "by moto_server.py"}),
        secret_binary=None,
        description="seeded by scripts/tf/moto_server.py",
        tags=None,
        kms_key_id=None,
        client_request_token=None,
        replica_regions=[],
        force_overwrite=False,
    )


SEEDS = {"--hosted-zone=": seed_hosted_zone, "--secret=": seed_secret}


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit("usage: moto_server.py PORT_FILE [--hosted-zone=ID=NAME]... [--secret=REGION/NAME]...")
    port_file = args.pop(0)
    _patch_moto()
    for arg in args:
        seed = next((fn for prefix, fn in SEEDS.items() if arg.startswith(prefix)), None)
        if seed is None:
            sys.exit(f"moto_server: unknown argument {arg!r}")
        seed(arg.split("=", 1)[1])
    app = StubbedMoto(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)

    def stop(*_):
        hits = ", ".join(f"{k}={v}" for k, v in sorted(app.hits.items())) or "none"
        print(f"moto_server: stub hits: {hits}", file=sys.stderr)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
