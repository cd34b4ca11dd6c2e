"""deploy/ agrees with the code: files parse, every ``wirestream <cmd>`` exists, every
``WIRESTREAM_*`` name is a real setting, ports match Settings defaults and the Prometheus
scrape targets, and the Grafana dashboard only uses datasources and metrics that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
import yaml
from prometheus_client.metrics import MetricWrapperBase
from pydantic import SecretStr

from processors import metrics
from wirecore.settings import Settings
from wirestream.cli import app

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
K8S = DEPLOY / "k8s"
PROMETHEUS = DEPLOY / "prometheus" / "prometheus.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "wirestream.json"
DATASOURCES = DEPLOY / "grafana" / "provisioning" / "datasources" / "wirestream.yml"
APP_SERVICES = {"topics", "worker", "sink", "dashboard", "producers"}

YAML_FILES = sorted([*DEPLOY.rglob("*.yml"), *DEPLOY.rglob("*.yaml")])
JSON_FILES = sorted(DEPLOY.rglob("*.json"))
ENV_TEXT_FILES = sorted(
    [p for p in DEPLOY.rglob("*") if p.is_file() and p.suffix in {".yml", ".yaml", ".json", ".sh", ".md", ""}]
    + [REPO / "docs" / "deploy.md", REPO / "docs" / "operations.md", REPO / "docs" / "analysts.md"]
)

FIELDS = Settings.model_fields
METRICS_PORT = FIELDS["metrics_port"].default
WORKER_PORT = METRICS_PORT + 1  # processors/app.py: faust web_port = metrics_port + 1
DASHBOARD_PORT = FIELDS["dashboard_port"].default


def load_yaml_docs(path: Path) -> list:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def k8s_docs() -> list[dict]:
    return [d for p in sorted(K8S.glob("*.yaml")) if p.name != "kustomization.yaml" for d in load_yaml_docs(p)]


def containers(node) -> list[dict]:
    """Every container spec anywhere in a manifest (Deployment, StatefulSet, Job, CronJob)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "containers" and isinstance(value, list):
                found.extend(value)
            else:
                found.extend(containers(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(containers(value))
    return found


def k8s_containers() -> dict[str, dict]:
    return {c["name"]: c for d in k8s_docs() for c in containers(d)}


def k8s_by_kind_name() -> dict[tuple[str, str], dict]:
    return {(d["kind"], d["metadata"]["name"]): d for d in k8s_docs()}


def config_map() -> dict[str, str]:
    return k8s_by_kind_name()[("ConfigMap", "wirestream-config")]["data"]


def invocations() -> list[list[str]]:
    """Argument lists of every ``wirestream`` run in compose and k8s (entrypoint stripped)."""
    runs = [svc["command"] for name, svc in compose()["services"].items() if name in APP_SERVICES]
    runs += [c["args"] for c in k8s_containers().values() if c.get("command") == ["wirestream"]]
    return runs


def referenced_commands() -> set[str]:
    return {run[0] for run in invocations()}


def valid_env_names() -> set[str]:
    names = {f"WIRESTREAM_{name.upper()}" for name in FIELDS}
    # Settings._secret_files reads WIRESTREAM_<SECRET>_FILE for every SecretStr field
    names |= {f"WIRESTREAM_{name.upper()}_FILE" for name, f in FIELDS.items() if SecretStr in _args(f.annotation)}
    return names | {"WIRESTREAM_ENV_FILE"}  # config.py: which env file to read


def _args(annotation) -> tuple:
    return getattr(annotation, "__args__", (annotation,))


def prometheus_targets() -> dict[str, set[tuple[str, int]]]:
    out: dict[str, set[tuple[str, int]]] = {}
    for job in yaml.safe_load(PROMETHEUS.read_text())["scrape_configs"]:
        targets = out.setdefault(job["job_name"], set())
        for sd in job.get("dns_sd_configs", []):
            targets |= {(name, int(sd["port"])) for name in sd["names"]}
        for sc in job.get("static_configs", []):
            targets |= {(t.rsplit(":", 1)[0], int(t.rsplit(":", 1)[1])) for t in sc["targets"]}
    return out


# -- every file parses ----------------------------------------------------------------------
@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_yaml_parses(path: Path) -> None:
    docs = load_yaml_docs(path)
    assert docs and all(isinstance(d, dict) for d in docs)


@pytest.mark.parametrize("path", JSON_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_json_parses(path: Path) -> None:
    assert isinstance(json.loads(path.read_text()), dict)


def test_kustomization_lists_every_manifest() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk


# -- commands ------------------------------------------------------------------------------
def test_commands_are_referenced() -> None:
    assert {"topics", "worker", "sink", "dashboard", "produce"} <= referenced_commands()


@pytest.mark.parametrize("cmd", sorted(referenced_commands()))
def test_referenced_command_exists(cmd: str) -> None:
    registered = typer.main.get_command(app).commands
    assert cmd in registered, f"deploy/ runs `wirestream {cmd}`, which the CLI does not have: {sorted(registered)}"
    options = {opt for param in registered[cmd].params for opt in param.opts}
    for run in invocations():
        if run[0] == cmd:
            used = {a for a in run[1:] if a.startswith("--")}
            assert used <= options, f"`wirestream {' '.join(run)}`: unknown option(s) {sorted(used - options)}"


DOC_FILES = sorted([REPO / "README.md", *(REPO / "docs").rglob("*.md")])
CODE_SPAN = re.compile(r"`([^`\n]+)`")


def documented_invocations(text: str) -> list[list[str]]:
    """Argument lists after ``wirestream`` in code: fenced blocks and inline code spans."""
    runs, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        for code in [line] if fenced else CODE_SPAN.findall(line):
            for m in re.finditer(r"(?:^|[\s;&|(/])wirestream((?:\s+\S+)*)", code):
                runs.append(m.group(1).replace("\\|", "|").split())
    return runs


def command_path(args: list[str]) -> tuple[str, ...]:
    """``--data-dir X sql "..."`` -> ("sql",); ``kafka start|stop`` -> ("kafka", "start|stop")."""
    words, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a.startswith("-"):
            skip = a in ("--data-dir", "--log-level") and "=" not in a
        elif re.fullmatch(r"[a-z][a-z|-]*", a):
            words.append(a)
            if words[0] != "kafka" or len(words) == 2:
                break
        else:
            break
    return tuple(words)


def cli_commands() -> set[tuple[str, ...]]:
    root = typer.main.get_command(app)
    found = set()
    for name, cmd in root.commands.items():
        subs = getattr(cmd, "commands", None)
        found |= {(name, sub) for sub in subs} if subs else {(name,)}
    return found


def documented_commands() -> dict[tuple[str, ...], str]:
    """Every command named in the README and docs/, with the first file naming it."""
    found: dict[tuple[str, ...], str] = {}
    for path in DOC_FILES:
        for run in documented_invocations(path.read_text()):
            words = command_path(run)
            if not words:
                continue
            subs = words[1].split("|") if len(words) == 2 else [None]
            for sub in subs:
                key = (words[0], sub) if sub else (words[0],)
                found.setdefault(key, str(path.relative_to(REPO)))
    return found


def missing_from_cli(documented: dict[tuple[str, ...], str], commands: set[tuple[str, ...]]) -> dict:
    groups = {c[0] for c in commands if len(c) == 2}
    return {k: where for k, where in documented.items()
            if k not in commands and not (len(k) == 1 and k[0] in groups)}


def test_every_documented_command_exists() -> None:
    documented = documented_commands()
    assert len(documented) >= 10, f"the extraction of `wirestream <command>` broke: {documented}"
    assert not missing_from_cli(documented, cli_commands()), "documented but not in the CLI"


def test_a_missing_command_would_fail() -> None:
    """Not vacuous: with `sql` unregistered, the check names it and where it is documented."""
    missing = missing_from_cli(documented_commands(), cli_commands() - {("sql",)})
    assert set(missing) == {("sql",)}


def test_every_command_is_documented() -> None:
    documented = documented_commands()
    undocumented = sorted(" ".join(c) for c in cli_commands() if c not in documented)
    assert not undocumented, f"commands neither the README nor docs/ show: {undocumented}"


# -- env names -----------------------------------------------------------------------------
@pytest.mark.parametrize("path", [p for p in ENV_TEXT_FILES if p.exists()], ids=lambda p: p.name)
def test_env_names_are_settings(path: Path) -> None:
    used = set(re.findall(r"\bWIRESTREAM_[A-Z0-9_]+\b", path.read_text()))
    unknown = used - valid_env_names()
    assert not unknown, f"{path.relative_to(REPO)} uses env names that are not Settings fields: {sorted(unknown)}"


def test_secret_file_variants_are_read(tmp_path, monkeypatch) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("WIRESTREAM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("WIRESTREAM_ENV_FILE", str(tmp_path / "none.env"))
    (tmp_path / "dsn").write_text("http://u:p@ch:8123\n")
    (tmp_path / "pw").write_text("s3cret\n")
    monkeypatch.setenv("WIRESTREAM_CLICKHOUSE_DSN_FILE", str(tmp_path / "dsn"))
    monkeypatch.setenv("WIRESTREAM_KAFKA_SASL_PASSWORD_FILE", str(tmp_path / "pw"))
    s = Settings(_env_file=None)
    assert s.dsn == "http://u:p@ch:8123"
    assert s.kafka_sasl_password.get_secret_value() == "s3cret"


def test_compose_env_values_load_as_settings(monkeypatch) -> None:
    env = compose()["x-wirestream-env"]
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    s = Settings(_env_file=None)
    assert s.bootstrap == "kafka:9092" and not s.local_broker
    assert not s.embedded and s.dsn.startswith("http://") and "@clickhouse:8123" in s.dsn
    assert s.metrics_port == METRICS_PORT


def test_k8s_configmap_loads_as_settings(monkeypatch) -> None:
    for key, value in config_map().items():
        monkeypatch.setenv(key, value)
    s = Settings(_env_file=None)
    assert not s.local_broker and s.metrics_port == METRICS_PORT and s.dashboard_port == DASHBOARD_PORT


# -- ports ---------------------------------------------------------------------------------
def _port_in(text: str) -> set[int]:
    return {int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)/", text)}


def test_compose_ports_match_settings_and_scrape_targets() -> None:
    services = compose()["services"]
    assert _port_in(json.dumps(services["sink"]["healthcheck"]["test"])) == {METRICS_PORT}
    dash = services["dashboard"]
    assert {int(p.rsplit(":", 1)[1]) for p in dash["ports"]} == {DASHBOARD_PORT}
    assert int(dash["environment"].get("WIRESTREAM_DASHBOARD_PORT", DASHBOARD_PORT)) == DASHBOARD_PORT
    targets = prometheus_targets()
    assert targets["wirestream-sink"] == {("sink", METRICS_PORT)}
    assert targets["wirestream-worker"] == {("worker", WORKER_PORT)}
    scraped_hosts = {h for ts in targets.values() for h, _ in ts} - {"localhost"}
    assert scraped_hosts <= set(services), "Prometheus scrapes a host that is not a compose service"


def test_k8s_ports_match_settings() -> None:
    c = k8s_containers()
    expected = {"sink": METRICS_PORT, "worker": WORKER_PORT, "dashboard": DASHBOARD_PORT}
    for name, port in expected.items():
        assert [p["containerPort"] for p in c[name]["ports"]] == [port], name
    for name in ("sink", "worker"):
        named = {p["name"]: p["containerPort"] for p in c[name]["ports"]}
        probes = [c[name][k] for k in ("livenessProbe", "readinessProbe") if k in c[name]]
        assert probes, name
        for probe in probes:  # HTTP probes: the listener is reachable from outside the pod
            port = probe["httpGet"]["port"]
            assert named.get(port, port) == expected[name], (name, probe)
    assert {c["sink"]["livenessProbe"]["httpGet"]["path"], c["sink"]["readinessProbe"]["httpGet"]["path"]} == {
        "/healthz", "/readyz"}
    cm = config_map()
    assert int(cm["WIRESTREAM_METRICS_PORT"]) == METRICS_PORT
    assert int(cm["WIRESTREAM_DASHBOARD_PORT"]) == DASHBOARD_PORT
    for doc in k8s_docs():
        annotations = doc.get("spec", {}).get("template", {}).get("metadata", {}).get("annotations", {})
        if "prometheus.io/port" in annotations:
            ports = {p["containerPort"] for ct in containers(doc) for p in ct.get("ports", [])}
            assert int(annotations["prometheus.io/port"]) in ports, doc["metadata"]["name"]


def test_deploys_bind_the_metrics_listener_for_scraping(monkeypatch) -> None:
    """Prometheus (compose) and the kubelet/Prometheus (k8s) reach /metrics and the probes only
    if the processes listen beyond loopback; the SQL API is not on that listener at all."""
    assert compose()["x-wirestream-env"]["WIRESTREAM_HTTP_HOST"] == "0.0.0.0"
    assert config_map()["WIRESTREAM_HTTP_HOST"] == "0.0.0.0"
    services = compose()["services"]
    assert _port_in(json.dumps(services["worker"]["healthcheck"]["test"])) == {WORKER_PORT}
    for name in ("sink", "worker"):
        assert "environment" in services[name] and services[name]["environment"]["WIRESTREAM_HTTP_HOST"] == "0.0.0.0"


# -- structure -----------------------------------------------------------------------------
def test_compose_services_and_mounts() -> None:
    services = compose()["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert services["clickhouse"]["image"].startswith("clickhouse/clickhouse-server:")
    for name in APP_SERVICES:
        build = services[name]["build"]
        assert (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    for name in ("prometheus", "grafana"):
        for vol in services[name]["volumes"]:
            src = vol.split(":")[0]
            if src.startswith("./"):
                assert (COMPOSE.parent / src).exists(), f"{name} mounts missing {src}"
    assert "grafana-clickhouse-datasource" in services["grafana"]["environment"]["GF_INSTALL_PLUGINS"]
    assert any(v.startswith("worker-data:/data") for v in services["worker"]["volumes"])


def test_dockerfile_installs_every_package() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert "pip install ." in text and 'ENTRYPOINT ["wirestream"]' in text
    copied = set()
    for line in re.findall(r"^COPY (.+)$", text, re.M):
        for src in line.split()[:-1]:
            if "*" not in src:
                assert (REPO / src).exists(), f"Dockerfile copies missing {src}"
            copied.add(src.rstrip("/"))
    pyproject = (REPO / "pyproject.toml").read_text()
    include = re.search(r"include = \[(.*?)\]", pyproject).group(1)
    packages = {p.strip().strip('"').rstrip("*") for p in include.split(",")}
    assert packages <= copied
    # the story engine's compiled loops: setup.py in the context, a compiler while installing,
    # and a build that fails rather than shipping the slower fallback unnoticed
    assert "setup.py" in copied and "gcc" in text
    assert "assert COMPILED" in text


def test_worker_keeps_rocksdb_on_a_volume() -> None:
    sts = k8s_by_kind_name()[("StatefulSet", "wirestream-worker")]
    assert sts["spec"]["replicas"] == 1  # wire.items has one partition
    claim = sts["spec"]["volumeClaimTemplates"][0]["metadata"]["name"]
    mounts = {m["name"]: m["mountPath"] for m in containers(sts)[0]["volumeMounts"]}
    assert mounts[claim] == config_map()["WIRESTREAM_DATA_DIR"]


def test_k8s_secret_files_point_at_mounted_keys() -> None:
    secret = k8s_by_kind_name()[("Secret", "wirestream-secrets")]["stringData"]
    for doc in k8s_docs():
        volumes = {}
        for holder in _walk_dicts(doc):
            for v in holder.get("volumes", []) or []:
                if "secret" in v:
                    volumes[v["name"]] = v["secret"]["secretName"]
        for ct in containers(doc):
            mounts = {m["mountPath"]: m["name"] for m in ct.get("volumeMounts", [])}
            for env in ct.get("env", []):
                if env["name"].endswith("_FILE"):
                    folder, key = env["value"].rsplit("/", 1)
                    assert volumes.get(mounts.get(folder)) == "wirestream-secrets", env
                    assert key in secret, env


def _walk_dicts(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk_dicts(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk_dicts(v)


# -- Grafana -------------------------------------------------------------------------------
def exported_metric_names() -> set[str]:
    names = set()
    for m in vars(metrics).values():
        if not isinstance(m, MetricWrapperBase):
            continue
        suffixes = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_sum", "_count"]}[m._type]
        names |= {m._name + s for s in suffixes}
    return names


def dashboard_targets() -> list[tuple[str, dict]]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [(p["title"], t) for p in panels for t in p["targets"]]


def test_dashboard_uses_provisioned_datasources() -> None:
    provisioned = {d["uid"]: d["type"] for d in yaml.safe_load(DATASOURCES.read_text())["datasources"]}
    assert set(provisioned.values()) == {"grafana-clickhouse-datasource", "prometheus"}
    variables = {"${datasource}": "grafana-clickhouse-datasource", "${prometheus}": "prometheus"}  # no fixed uids
    for title, t in dashboard_targets():
        assert variables.get(t["datasource"]["uid"]) == t["datasource"]["type"], title
        assert t["datasource"]["type"] in provisioned.values(), title


def test_dashboard_prometheus_queries_use_exported_metrics() -> None:
    exported = exported_metric_names()
    exprs = [t["expr"] for _, t in dashboard_targets() if t["datasource"]["type"] == "prometheus"]
    assert exprs
    for expr in exprs:
        used = set(re.findall(r"\bwirestream_[a-z_]+\b", expr))
        assert used and used <= exported, expr


def test_dashboard_has_the_required_panels() -> None:
    by_title: dict[str, list[dict]] = {}
    for title, t in dashboard_targets():
        by_title.setdefault(title.lower(), []).append(t)

    def find(word: str) -> list[dict]:
        return [t for title, ts in by_title.items() if word in title for t in ts]

    assert any("${database}.items" in t.get("rawSql", "") for t in find("stories per hour"))
    assert any("relation" in t.get("rawSql", "") for t in find("relation mix"))
    assert any("wirestream_freshness_seconds_bucket" in t.get("expr", "") for t in find("freshness percentiles"))
    assert any("${database}.dlq" in t.get("rawSql", "") for t in find("dead letters by reason"))
    assert any("wirestream_consumer_lag" in t.get("expr", "") for t in find("consumer lag"))
