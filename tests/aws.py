"""A real AWS API for the tests: moto's server on 127.0.0.1, counting the requests it answers.

What AWS does that moto 5.2 does not is added to moto's own responders (its models and serializers still do
the work):
- CloudWatch's PutCompositeAlarm, which moto's responder meant to share with PutMetricAlarm but never
  registered, and DescribeAlarms' pages (MaxRecords, at most 100, and NextToken), in AWS's order, by name;
- GetMetricData's limit of 500 queries a request, and metric math over its queries (+ - * / and numbers; an
  expression it cannot read is refused with a ValidationError, as AWS refuses a bad one);
- IVS's ListStreams (moto models channels, not streams): the streams a test sets in `MotoServer.streams`,
  served in IVS's own JSON, in pages (maxResults, nextToken), for botocore's own parser to read.
"""

from __future__ import annotations

import ast
import io
import json
import threading
import time
from collections import Counter
from typing import Any, Callable, Dict, Iterable, List, Optional
from urllib.parse import parse_qs

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, make_server


# moto ships these AMIs; any of its own will do for run_instances.
AMI = "ami-12c6146b"


def _cloudwatch_as_aws() -> None:
    """Give moto's CloudWatch responder PutCompositeAlarm and DescribeAlarms pages (see the module's docstring)."""
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult

    if getattr(CloudWatchResponse, "_pages", False):
        return
    whole = CloudWatchResponse.describe_alarms

    def describe_alarms(self: Any) -> ActionResult:
        found = whole(self).result
        kinds = self._get_param("AlarmTypes") or ["MetricAlarm"]   # AWS's default: metric alarms only
        alarms = sorted((["MetricAlarms"] if "MetricAlarm" in kinds else [])
                        + (["CompositeAlarms"] if "CompositeAlarm" in kinds else []))
        every = sorted(((a.name, key, a) for key in alarms for a in found[key]), key=lambda t: t[0])
        size = min(int(self._get_param("MaxRecords") or 50), 100)
        start = int(self._get_param("NextToken") or 0)
        page = every[start:start + size]
        result: Dict[str, Any] = {key: [a for _, k, a in page if k == key]
                                  for key in ("MetricAlarms", "CompositeAlarms")}
        if start + size < len(every):
            result["NextToken"] = str(start + size)
        return ActionResult(result)

    CloudWatchResponse.describe_alarms = describe_alarms
    CloudWatchResponse.put_composite_alarm = CloudWatchResponse.put_metric_alarm
    CloudWatchResponse._pages = True
    _metric_math()


def _returned(query: Dict[str, Any]) -> bool:
    flag = query.get("ReturnData", True)
    return flag if isinstance(flag, bool) else str(flag).lower() != "false"


def _metric_math() -> None:
    """GetMetricData as AWS answers it: at most 500 queries, and metric math evaluated point by point."""
    from moto.cloudwatch.exceptions import ValidationError
    from moto.cloudwatch.models import CloudWatchBackend

    whole = CloudWatchBackend.get_metric_data

    def get_metric_data(self: Any, queries: List[Dict[str, Any]], start_time: Any, end_time: Any,
                        scan_by: str = "TimestampAscending") -> List[Dict[str, Any]]:
        if len(queries) > 500:
            raise ValidationError("The collection MetricDataQueries must not have a size greater than 500.")
        stats = [dict(q, ReturnData=True) for q in queries if "MetricStat" in q]
        found = {r["id"]: r for r in (whole(self, stats, start_time, end_time, scan_by) if stats else [])}
        out = [found[q["Id"]] for q in queries if "MetricStat" in q and _returned(q)]
        for query in queries:
            if "Expression" not in query:
                continue
            points = _evaluate(query["Id"], query["Expression"], found)
            stamps = sorted(points, reverse=scan_by == "TimestampDescending")
            out.append({"id": query["Id"], "label": query.get("Label") or query["Id"], "timestamps": stamps,
                        "values": [points[t] for t in stamps], "status_code": "Complete"})
        return out

    CloudWatchBackend.get_metric_data = get_metric_data


def _evaluate(qid: str, expression: str, found: Dict[str, Dict[str, Any]]) -> Dict[Any, float]:
    """{time: value} of a metric math expression over the other queries' points (where all have one)."""
    from moto.cloudwatch.exceptions import ValidationError
    try:
        tree = ast.parse(expression, mode="eval").body
    except SyntaxError:
        raise ValidationError(f"Error in expression '{qid}': Syntax error")
    allowed = (ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub,
               ast.Load)
    if not all(isinstance(n, allowed) for n in ast.walk(tree)):
        raise ValidationError(f"Error in expression '{qid}': Unsupported expression")
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    if any(n not in found for n in names):
        raise ValidationError(f"Error in expression '{qid}': Unrecognized metric id")
    series = {n: dict(zip(found[n]["timestamps"], found[n]["values"])) for n in names}
    stamps = set.intersection(*(set(s) for s in series.values())) if series else set()
    ops = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
           ast.Div: lambda a, b: a / b}

    def at(node: ast.AST, t: Any) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.Name):
            return float(series[node.id][t])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -at(node.operand, t)
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            return ops[type(node.op)](at(node.left, t), at(node.right, t))
        raise ValidationError(f"Error in expression '{qid}': Unsupported expression")

    out = {}
    for t in stamps:
        try:
            out[t] = at(tree, t)
        except ZeroDivisionError:
            continue   # AWS leaves out a point it cannot compute
    return out


def action_of(environ: Dict[str, Any], body: bytes) -> str:
    """The API action a request asks for, in any of AWS's protocols (query, JSON, CBOR, REST JSON like IVS)."""
    path = environ.get("PATH_INFO", "")
    if path[1:].isalpha() and path[1:2].isupper():   # IVS: POST /ListChannels
        return path[1:]
    if "/operation/" in path:                        # smithy-rpc-v2-cbor: /service/NAME/operation/ACTION
        return path.rsplit("/", 1)[1]
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:                                       # JSON: X-Amz-Target: SERVICE.ACTION
        return target.rsplit(".", 1)[1]
    return parse_qs(body.decode("utf-8", "replace")).get("Action", ["?"])[0]


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class MotoServer:
    """moto's EC2 (and every other service) on a free port of 127.0.0.1; `calls` counts actions asked."""

    def __init__(self, latency: float = 0.0) -> None:
        """latency: seconds the server waits before answering each API request, as a distant region would."""
        self.calls: Counter = Counter()
        self.regions: Counter = Counter()
        self.streams: Dict[str, List[Dict[str, Any]]] = {}   # region -> IVS's live streams, as ListStreams says
        self._lock = threading.Lock()
        _cloudwatch_as_aws()
        app = DomainDispatcherApplication(create_backend_app)

        def counting(environ: Dict[str, Any], start_response: Callable) -> Iterable[bytes]:
            if environ.get("PATH_INFO") == "/__counts__":   # for benchmarks in another process
                start_response("200 OK", [("Content-Type", "application/json")])
                with self._lock:
                    return [json.dumps(dict(self.calls)).encode()]
            if environ.get("PATH_INFO") == "/ListStreams":   # IVS, beside moto's channels (see the docstring)
                length = int(environ.get("CONTENT_LENGTH") or 0)
                asked = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
                auth = environ.get("HTTP_AUTHORIZATION", "")
                with self._lock:
                    self.calls["ListStreams"] += 1
                    streams = list(self.streams.get(auth.split("/")[2] if auth.count("/") >= 3 else "?", []))
                start = int(asked.get("nextToken") or 0)
                size = int(asked.get("maxResults") or 50)
                doc: Dict[str, Any] = {"streams": streams[start:start + size]}
                if start + size < len(streams):
                    doc["nextToken"] = str(start + size)
                start_response("200 OK", [("Content-Type", "application/json")])
                return [json.dumps(doc).encode()]
            if environ.get("PATH_INFO") == "/__reset_counts__":
                self.reset_counts()
                start_response("200 OK", [("Content-Type", "text/plain")])
                return [b"ok"]
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            action = action_of(environ, body)
            auth = environ.get("HTTP_AUTHORIZATION", "")
            region = auth.split("/")[2] if auth.count("/") >= 3 else "?"
            with self._lock:
                self.calls[action] += 1
                self.regions[(region, action)] += 1
            if latency:
                time.sleep(latency)
            return app(environ, start_response)

        self._server = make_server("127.0.0.1", 0, counting, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def reset_counts(self) -> None:
        with self._lock:
            self.calls.clear()
            self.regions.clear()

    def stop(self) -> None:
        self._server.shutdown()


def env(url: str, **extra: str) -> Dict[str, str]:
    """Environment for boto3 to reach the moto server, with test credentials and no metadata lookups."""
    return {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "eu-west-1", "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": "/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
            **extra}


def launch(client: Any, count: int, tags: Optional[Dict[str, str]] = None) -> List[str]:
    """Start count instances (in pages of 500), tagged; their ids."""
    ids: List[str] = []
    spec = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]}]
    while len(ids) < count:
        n = min(500, count - len(ids))
        kwargs: Dict[str, Any] = {"ImageId": AMI, "MinCount": n, "MaxCount": n, "InstanceType": "t3.micro"}
        if tags:
            kwargs["TagSpecifications"] = spec
        ids += [i["InstanceId"] for i in client.run_instances(**kwargs)["Instances"]]
    return ids



def board_of(kind: str, targets: Dict[str, str], region: str = "eu-west-1", timeout: Optional[str] = None,
             layout: str = "hat") -> Any:
    """A board of one AWS kind's targets, one pixel each in order, in a default region."""
    from tests.conftest import board_from
    width = 16 if layout == "hd" else 8
    lines = [f"aws: {{region: {region}}}", f"display: {{layout: {layout}}}", "targets:"]
    for i, (name, spec) in enumerate(targets.items()):
        limit = f"timeout: {timeout}, " if timeout else ""
        lines.append(f"  {name}: {{pixel: [{i % width}, {i // width}], {limit}{kind}: {spec}}}")
    return board_from("\n".join(lines) + "\n")


def round_of(board: Any, kind: str) -> Callable[[], Dict[str, Any]]:
    """A function that runs one round of the board's checks and returns what every pixel shows."""
    from statusboard.kinds import make_checks
    from statusboard.scheduler import Scheduler
    from statusboard.table import StateTable
    table = StateTable(board.targets)
    sched = Scheduler(board.targets, make_checks([kind], aws=board.aws), table.record)

    def run() -> Dict[str, Any]:
        sched.run_once()
        return table.snapshot(time.monotonic())
    return run
