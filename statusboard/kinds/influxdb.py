"""`influxdb:` targets: an InfluxQL query (InfluxDB 1.x's HTTP /query), the last value of its first series
judged by thresholds. Credentials come from a file or the environment, never config.yaml. Asked through the
HTTP check's client (net/), so its deadline, TLS, proxies and 1 MB cap hold here too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Optional, Tuple
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from statusboard.config import values
from statusboard.config.schema import Section
from statusboard.kinds.kind import Context, Kind
from statusboard.kinds.shared import numbers
from statusboard.kinds.shared.web import read_json, url
from statusboard.model import Observation, Target, Verdict
from statusboard import readfile
from statusboard.text import printable, redact
from statusboard.vocabulary import BOARD_STATES, UNKNOWN, merge

STATES = merge(BOARD_STATES, numbers.STATES)
ENV_USER, ENV_PASSWORD = "STATUSBOARD_INFLUXDB_USERNAME", "STATUSBOARD_INFLUXDB_PASSWORD"
SECRETS = ("username", "user", "password", "pass", "token")


@dataclass(frozen=True)
class InfluxSpec:
    """An InfluxQL query to one database, the thresholds its value is judged by, and where its credentials are."""

    url: str
    database: str
    query: str
    thresholds: numbers.Thresholds
    credentials: Optional[str] = None   # a file: the user name on its first line, the password on its second
    verify: bool = True
    identity: ClassVar[Tuple[str, ...]] = ("url", "database", "query")

    def describe(self) -> str:
        """A short form for people."""
        return f"{redact(self.url)} {self.database}: {printable(self.query, 60)}"


def query(value: Any) -> str:
    """An InfluxQL SELECT (not checked here: the server says what it cannot read)."""
    return values.query_text(value, "an InfluxQL query",
                             "SELECT mean(latency) FROM network_delays WHERE time > now() - 5m")


def parse_influxdb(parent: Section, key: str) -> Optional[InfluxSpec]:
    """`influxdb: {url, database, query, above | below, unit, credentials, verify}`."""
    sec = parent.sub(key)
    if not sec.ok:
        return None
    sec.refuse(SECRETS, f"config.yaml never holds InfluxDB credentials: use credentials (a file) or {ENV_USER} "
                        f"and {ENV_PASSWORD}")
    server = sec.take("url", url)
    if server and urlsplit(server).username:
        sec.report("config.yaml never holds InfluxDB credentials, not even in the url: use credentials (a file)",
                   "url")
    database = sec.take("database", values.text)
    asked = sec.take("query", query)
    thresholds = numbers.parse_thresholds(sec)
    credentials = sec.take("credentials", values.text, None)
    verify = sec.take("verify", values.boolean, True)
    sec.finish()
    if not server or not database or not asked or thresholds is None:
        return None
    return InfluxSpec(server, database, asked, thresholds, credentials, verify)


def login(spec: InfluxSpec) -> Tuple[Optional[str], Optional[str]]:
    """(user, password) from the credentials file, else the environment; OSError when the file cannot be read."""
    return readfile.login(spec.credentials, ENV_USER, ENV_PASSWORD)


def asked_url(spec: InfluxSpec, user: Optional[str], password: Optional[str]) -> str:
    """The /query URL, the credentials in its userinfo (sent as Basic, never shown: the client strips them)."""
    parts = urlsplit(spec.url.rstrip("/"))
    netloc = parts.netloc
    if user:
        netloc = f"{quote(user, safe='')}:{quote(password or '', safe='')}@{netloc}"
    params = urlencode({"db": spec.database, "q": spec.query, "epoch": "s"})
    return urlunsplit((parts.scheme, netloc, parts.path + "/query", params, ""))


def read_answer(spec: InfluxSpec, status: int, body: bytes) -> Verdict:
    """(state, detail) from what /query answered: the last value of the first series."""
    doc, why = read_json(status, body, "InfluxDB's", "http://host:8086")
    if why:
        return Verdict(UNKNOWN, why)
    if status == 401:
        return Verdict(UNKNOWN, "InfluxDB refused the credentials (HTTP 401): see influxdb.credentials")
    results = doc.get("results") if isinstance(doc, dict) else None
    first = results[0] if isinstance(results, list) and results and isinstance(results[0], dict) else {}
    error = (doc.get("error") if isinstance(doc, dict) else None) or first.get("error")
    if error or status >= 400:
        return Verdict(UNKNOWN,
                       f"InfluxDB refused the query (HTTP {status}): {printable(error or 'no reason given', 160)}")
    series = first.get("series")
    if not isinstance(series, list) or not series or not isinstance(series[0], dict):
        return Verdict(numbers.NO_DATA, "no points: the query found nothing in its time range")
    rows, columns = series[0].get("values"), series[0].get("columns")
    columns = columns if isinstance(columns, list) else []
    if not rows:
        return Verdict(numbers.NO_DATA, "no points: the query found nothing in its time range")
    if not isinstance(rows, list) or not isinstance(rows[-1], list) or len(rows[-1]) < 2:
        what = "last row is" if isinstance(rows, list) else "values are"
        said = numbers.shown(rows[-1] if isinstance(rows, list) else rows)
        return Verdict(UNKNOWN, f"not a number: the series' {what} {said}, where InfluxDB gives rows of [time, value]")
    value = rows[-1][1]
    name = printable(columns[1] if len(columns) > 1 else 'the value', 40)
    if value is None:
        return Verdict(numbers.NO_DATA, f"{name} is null")
    return numbers.judge_value(spec.thresholds, value, name)


class InfluxCheck:
    """Asks each target's query once per check, within its timeout."""

    def __init__(self, context: Context = Context()) -> None:
        from statusboard.net.ask import Asker
        self.clock = context.clock
        self.asker = Asker()

    def observe(self, target: Target, deadline: Optional[float] = None) -> Observation:
        """Ask the query and judge the last value of its first series."""
        spec = KIND.spec_of(target)
        try:
            user, password = login(spec)
        except OSError as exc:
            return Observation.of(target.name, UNKNOWN, f"cannot read the InfluxDB credentials file "
                                  f"{spec.credentials}: {exc.strerror or exc}", self.clock(), STATES)
        answer, why = self.asker.get(asked_url(spec, user, password), spec.url, target.timeout, deadline, spec.verify)
        verdict = Verdict(UNKNOWN, f"InfluxDB: {why}") if why else read_answer(spec, answer.status, answer.body)
        return Observation.judged(target.name, verdict, self.clock(), STATES)


KIND = Kind(key="influxdb", spec=InfluxSpec, parse=parse_influxdb, make=InfluxCheck, states=numbers.STATES,
            # Its password is in a credentials file, never in its url.
            example=("{url: 'http://127.0.0.1:8086', database: db, query: 'SELECT last(v) FROM m', "
                     "credentials: /etc/statusboard/influx, above: {warn: 1, critical: 2}}"))
