"""deploy/grafana/dashboards/wirestream.json imports cleanly and every panel is backed by data:

- ``__inputs`` for both datasources, template variables (datasource, prometheus, database,
  source, language), no hard-coded uid anywhere;
- every ClickHouse panel (and variable query) runs in chdb with the macros and variables
  substituted, for "All" and for a single source/language, and returns rows;
- every Prometheus panel reads a metric defined in processors/metrics.py that is updated by a
  process the shipped deploy/prometheus/prometheus.yml scrapes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from processors import metrics
from tests.support.dashboard_seed import DB, seed
from wirecore.clickhouse import open_client, run_migrations

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = json.loads((REPO / "deploy/grafana/dashboards/wirestream.json").read_text())
PROMETHEUS = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())
CH_TYPE = "grafana-clickhouse-datasource"
PANELS = DASHBOARD["panels"]
VARIABLES = {v["name"]: v for v in DASHBOARD["templating"]["list"]}

MACROS = [  # grafana-clickhouse-datasource v4 macros for "the last day"
    (r"\$__timeFilter\(([^)]+)\)", r"\1 >= now() - INTERVAL 1 DAY AND \1 <= now() + INTERVAL 1 MINUTE"),
    (r"\$__timeInterval\(([^)]+)\)", r"toStartOfInterval(toDateTime(\1), INTERVAL 3600 second)"),
    (r"\$__fromTime\b", "toDateTime(now() - INTERVAL 1 DAY)"),
    (r"\$__toTime\b", "toDateTime(now() + INTERVAL 1 MINUTE)"),
]


def substitute(sql: str, source: str = "__all", language: str = "__all", database: str = DB) -> str:
    for pattern, repl in MACROS:
        sql = re.sub(pattern, repl, sql)
    sql = sql.replace("${database}", database)
    sql = sql.replace("${source:singlequote}", f"'{source}'").replace("${language:singlequote}", f"'{language}'")
    assert "$" not in sql, f"unsubstituted macro or variable in {sql}"
    return sql


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    # chdb serves one data path per process: always close, or later tests cannot open theirs
    c = open_client(f"chdb://{tmp_path_factory.mktemp('grafana-chdb')}/ch")
    try:
        run_migrations(c, DB)
        seed(c)
        yield c
    finally:
        c.close()


def test_inputs_and_template_variables():
    inputs = {i["pluginId"]: i for i in DASHBOARD["__inputs"]}
    assert set(inputs) == {CH_TYPE, "prometheus"} and all(i["type"] == "datasource" for i in inputs.values())
    assert {"datasource", "prometheus", "database", "source", "language"} <= set(VARIABLES)
    assert VARIABLES["datasource"]["type"] == "datasource" and VARIABLES["datasource"]["query"] == CH_TYPE
    assert VARIABLES["prometheus"]["query"] == "prometheus"
    assert VARIABLES["datasource"]["current"]["value"] == "${DS_CLICKHOUSE}"  # what import fills in
    for name in ("source", "language"):
        v = VARIABLES[name]
        assert v["includeAll"] and v["allValue"] == "__all" and v["datasource"]["uid"] == "${datasource}"


def test_no_hard_coded_uids():
    text = json.dumps(DASHBOARD)
    uids = re.findall(r'"uid": ("[^"]*"|null)', text)
    assert uids and all(u in ('"${datasource}"', '"${prometheus}"', "null") for u in uids), set(uids)
    assert "wirestream." not in text, "the database comes from ${database}"
    for p in PANELS:
        for t in p["targets"]:
            assert t["datasource"] == p["datasource"], p["title"]


CH_PANELS = [(p["title"], t["rawSql"]) for p in PANELS for t in p["targets"] if t["datasource"]["type"] == CH_TYPE]
PROM_PANELS = [(p["title"], t["expr"]) for p in PANELS for t in p["targets"] if t["datasource"]["type"] == "prometheus"]


@pytest.mark.parametrize(("title", "sql"), CH_PANELS, ids=[t for t, _ in CH_PANELS])
def test_clickhouse_panel_runs_in_chdb(client, title, sql):
    result = client.query(substitute(sql))
    assert result.result_rows, f"{title!r} returned no rows for All"
    if "${source:singlequote}" in sql:
        assert client.query(substitute(sql, source="anp")).result_rows, f"{title!r}: no rows for source=anp"
        assert not client.query(substitute(sql, source="nobody")).result_rows, f"{title!r} ignores $source"
    if "${language:singlequote}" in sql:
        assert not client.query(substitute(sql, language="xx")).result_rows, f"{title!r} ignores $language"


@pytest.mark.parametrize("name", ["source", "language"])
def test_variable_queries_run_in_chdb(client, name):
    values = {r[0] for r in client.query(substitute(VARIABLES[name]["query"])).result_rows}
    assert values >= ({"anp", "reuters"} if name == "source" else {"nl", "en"})


# -- Prometheus panels: defined metric, updated by a scraped process ------------------------
def defined_metrics() -> dict[str, str]:
    """exported sample name -> attribute in processors.metrics"""
    out = {}
    for attr in dir(metrics):
        obj = getattr(metrics, attr)
        name = getattr(obj, "_name", None)
        if isinstance(name, str) and name.startswith("wirestream_"):
            full = name + ("_total" if type(obj).__name__ == "Counter" else "")
            for suffix in ("", "_bucket", "_sum", "_count"):
                out[full + suffix] = attr
    return out


# which process updates a metric is read from the code, then matched to a scrape job by port
PROCESS_FILES = {"sink": ["processors/sink", "wirestream/sink_service.py"],
                 "worker": ["processors/app.py", "processors/parse_loop.py", "processors/story_loop.py",
                            "processors/story_state.py", "processors/health.py", "processors/parse_agent.py"]}
PROCESS_PORT = {"sink": 9464, "worker": 9465}  # WIRESTREAM_METRICS_PORT and +1 in deploy/docker-compose.yml


def updaters(attr: str) -> set[str]:
    found = set()
    for process, paths in PROCESS_FILES.items():
        files = [f for p in paths for f in ((REPO / p).rglob("*.py") if (REPO / p).is_dir() else [REPO / p])]
        if any(re.search(rf"metrics\.{attr}\b", f.read_text()) for f in files):
            found.add(process)
    return found


def scraped_ports() -> set[int]:
    ports = set()
    for job in PROMETHEUS["scrape_configs"]:
        for sd in job.get("dns_sd_configs", []):
            ports.add(int(sd["port"]))
        for sc in job.get("static_configs", []):
            ports.update(int(t.rsplit(":", 1)[1]) for t in sc["targets"])
    return ports


def test_compose_metrics_port_matches():
    compose = (REPO / "deploy/docker-compose.yml").read_text()
    assert re.search(r'WIRESTREAM_METRICS_PORT: "?9464"?', compose), "sink port changed: update PROCESS_PORT"


@pytest.mark.parametrize(("title", "expr"), PROM_PANELS, ids=[f"{t}:{e[:30]}" for t, e in PROM_PANELS])
def test_prometheus_panel_metric_is_scraped(title, expr):
    names = set(re.findall(r"\bwirestream_[a-z_]+", expr))
    assert names, f"{title!r} reads no wirestream metric"
    known = defined_metrics()
    for name in names:
        assert name in known, f"{title!r}: {name} is not defined in processors/metrics.py"
        processes = updaters(known[name])
        assert processes, f"{title!r}: no process updates {name}"
        assert {PROCESS_PORT[p] for p in processes} & scraped_ports(), \
            f"{title!r}: {name} is updated by {processes}, which prometheus.yml does not scrape"


def test_scraped_processes_listen_beyond_loopback():
    compose = (REPO / "deploy/docker-compose.yml").read_text()
    assert re.search(r'WIRESTREAM_HTTP_HOST: "?0\.0\.0\.0"?', compose)
