"""The chaos run: the whole pipeline under mixed SIGKILLs (worker, sink, broker) or a full disk.

What users rely on is checked as invariants after the run, through the sink's own read API:
every good item stored once (``count() = count() FINAL = produced``), no story version given
to two items, versions gapless, every poison item in the dead-letter table exactly once, and
how long processing took to resume after each fault.

Used by ``tests/integration/test_chaos.py`` (a short variant in ``make test``) and by
``python -m tests.support.chaos`` (the full run, on purpose: ``make chaos``). Processes are
started the way an operator starts them: ``wirestream worker`` and ``wirestream sink``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson

from wirecore.errors import WirestreamError

REPO = Path(__file__).resolve().parents[2]
WIRESTREAM = [sys.executable, "-m", "wirestream.cli"]

# a few rare names per story, so the engine groups a story's updates and keeps stories apart
_PLACES = ["Utrecht", "Minneapolis", "Gdansk", "Tromso", "Valparaiso", "Kisumu", "Hobart", "Oaxaca",
           "Tartu", "Leuven", "Nagoya", "Fresno", "Lusaka", "Bergamo", "Cusco", "Aarhus"]
_WORDS = ["council", "bridge", "strike", "flood", "vote", "budget", "court", "storm", "fire", "deal",
          "election", "protest", "hospital", "railway", "harbour", "museum", "festival", "drought"]


FACT_TABLES = ("items", "story_items", "stories", "story_merges", "dlq", "sink_offsets")


@dataclass
class Fault:
    kind: str  # worker | sink | broker | disk
    at_s: float  # seconds after the run started
    recovered_s: float | None = None  # seconds from the kill until progress resumed


@dataclass
class ChaosResult:
    seed: int
    produced: int
    poison: int
    numbers: dict[str, int] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    seconds: float = 0.0
    crashes: dict[str, int] = field(default_factory=dict)  # exits nobody asked for (restarted)
    producer_restarts: int = 0  # `wirestream produce` stopped with an error (e.g. a full disk) and ran again

    def row(self) -> str:
        rec = ", ".join(f"{f.kind}@{f.at_s:.0f}s→{f.recovered_s if f.recovered_s is None else round(f.recovered_s, 1)}s"
                        for f in self.faults)
        n = self.numbers
        return (f"| {self.seed} | {self.produced} | {n.get('items')} | {n.get('items_final')} | "
                f"{n.get('story_rows')} / {n.get('story_rows_final')} | {n.get('reused_versions')} | "
                f"{n.get('gappy_stories')} | {n.get('dlq_poison')}/{self.poison} | {rec} | "
                f"{sum(self.crashes.values())} |")


def write_items(path: Path, n: int, poison_every: int, seed: int) -> tuple[set[str], int]:
    """JSON lines of ``n`` good items in stories of 1–8 updates, plus poison (bad dates).

    Returns the guids of the good items and the number of poison lines.
    """
    rng = random.Random(seed)
    guids: set[str] = set()
    poison = 0
    lines: list[bytes] = []
    story = 0
    i = 0
    base = 1_700_000_000
    while i < n:
        story += 1
        place = rng.choice(_PLACES)
        name = f"Zorv{story:05d}"  # a rare name shared by the story's updates
        topic = rng.sample(_WORDS, 3)
        for update in range(rng.randint(1, 8)):
            if i >= n:
                break
            i += 1
            if poison_every and i % poison_every == 0:
                poison += 1
                lines.append(orjson.dumps({"guid": f"poison-{seed}-{i}", "headline": "poison",
                                           "body": "an item whose date can never be stored",
                                           "published_at": "0001-01-01T00:00:00Z"}))
            guid = f"chaos-{seed}-{i}"
            guids.add(guid)
            when = base + story * 600 + update * 60
            lines.append(orjson.dumps({
                "guid": guid, "source": "chaos", "language": "en",
                "headline": f"{place}: {name} {topic[0]} update {update + 1}",
                "body": (f"{place.upper()} (ANP) - {name} said the {topic[0]} and {topic[1]} near {place} "
                         f"continued; officials reported {topic[2]} number {update + 1} for story {story}."),
                "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)),
            }))
    path.write_bytes(b"\n".join(lines) + b"\n")
    return guids, poison


class Proc:
    """One pipeline process started as an operator would, killable with SIGKILL."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name, self.args, self.env = name, args, env
        self.log = logs / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as fh:
            self.proc = subprocess.Popen(self.args, env=self.env, stdout=fh, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True, cwd=REPO)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(15)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""


class Broker:
    """The test broker (deploy/kafka/kafka.sh) on its own port: SIGKILL and start again."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.env = dict(os.environ, KAFKA_DATA_DIR=str(data_dir), KAFKA_PORT=str(port))

    def _run(self, action: str) -> None:
        subprocess.run(["bash", str(REPO / "deploy/kafka/kafka.sh"), action], env=self.env, check=True,
                       stdout=subprocess.DEVNULL, timeout=180)

    def kill(self) -> None:
        pid_file = Path(self.env["KAFKA_DATA_DIR"]) / "kafka.pid"
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
        port = int(self.env["KAFKA_PORT"])
        for _ in range(100):  # until the listener is really gone
            with socket.socket() as s:
                s.settimeout(0.2)
                if s.connect_ex(("127.0.0.1", port)) != 0:
                    break
            time.sleep(0.1)

    def start(self) -> None:
        self._run("start")

    def stop(self) -> None:
        """Teardown: stop the broker if it runs (a failed stop must not hide the run's result)."""
        subprocess.run(["bash", str(REPO / "deploy/kafka/kafka.sh"), "stop"], env=self.env, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.env['KAFKA_PORT']}"


def _owner_reader(data_dir: Path):
    from wirestream.owner_api import read_owner
    from wirestream.reader import OwnerReader

    owner = read_owner(data_dir)
    return OwnerReader(owner["url"], owner.get("token")) if owner else None


def supervise(procs: list[Proc], result: ChaosResult) -> None:
    """Restart a process that exited on its own, as a container runtime would, and count it."""
    for p in procs:
        if p.proc is not None and p.proc.poll() is not None:
            result.crashes[p.name] = result.crashes.get(p.name, 0) + 1
            p.start()


def stored(data_dir: Path, db: str) -> tuple[int, int] | None:
    """(good items stored, dead letters stored), or None while the read API is down."""
    try:
        r = _owner_reader(data_dir)
        if r is None:
            return None
        items = r.query(f"SELECT uniqExact(item_id) FROM {db}.items")[1][0][0]
        dlq = r.query(f"SELECT count() FROM {db}.dlq")[1][0][0]
        return int(items), int(dlq)
    except (OSError, WirestreamError, httpx.HTTPError):  # the sink is being killed on purpose
        return None


def check(data_dir: Path, db: str, produced: int, poison: int) -> dict[str, int]:
    """The invariants; returns the numbers (assertions are the caller's, so a run reports all)."""
    r = _owner_reader(data_dir)
    one = lambda sql: int(r.query(sql)[1][0][0])  # noqa: E731
    numbers = {
        "produced": produced,
        "items": one(f"SELECT count() FROM {db}.items"),
        "items_final": one(f"SELECT count() FROM {db}.items FINAL"),
        "distinct_items": one(f"SELECT uniqExact(item_id) FROM {db}.items"),
        "story_rows": one(f"SELECT count() FROM {db}.stories"),
        "story_rows_final": one(f"SELECT count() FROM {db}.stories FINAL"),
        "reused_versions": one(
            f"SELECT count() FROM (SELECT story_id, version FROM {db}.stories FINAL "
            f"GROUP BY story_id, version HAVING uniqExact(item_id) > 1)"),
        "gappy_stories": one(
            f"SELECT count() FROM (SELECT story_id, groupUniqArray(version) AS v FROM {db}.stories FINAL "
            f"GROUP BY story_id HAVING length(v) != max(version) OR min(version) != 1)"),
        "dlq_poison": one(f"SELECT uniqExact(origin_topic, origin_partition, origin_offset) FROM {db}.dlq"),
        "dlq_rows": one(f"SELECT count() FROM {db}.dlq"),
    }
    # raw = FINAL in every table of facts the sink writes (stories_current keeps a story's
    # versions until a merge folds them: it is read with FINAL by design)
    numbers["tables_raw_ne_final"] = sum(
        one(f"SELECT count() FROM {db}.{t}") != one(f"SELECT count() FROM {db}.{t} FINAL") for t in FACT_TABLES)
    return numbers


def run_chaos(workdir: Path, *, seed: int, items: int, poison_every: int, kills: dict[str, int],
              bootstrap: str, broker: Broker | None, metrics_port: int, timeout_s: float = 900,
              rate: float = 0.0, fill_disk: Path | None = None, logs: Path | None = None) -> ChaosResult:
    """One chaos run; every process gets its own data dir and topic prefix under ``workdir``."""
    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    data_dir = workdir / "data"
    logs = logs or workdir / "logs"  # keep them off a disk the run fills up
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, WIRESTREAM_KAFKA_BOOTSTRAP=bootstrap, WIRESTREAM_DATA_DIR=str(data_dir),
               WIRESTREAM_TOPIC_PREFIX=f"chaos{seed}-{int(time.time())}-",
               WIRESTREAM_METRICS_PORT=str(metrics_port), WIRESTREAM_ENV_FILE=os.devnull,
               PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    db = env.get("WIRESTREAM_CLICKHOUSE_DATABASE", "wirestream")
    feed = workdir / "chaos.jsonl"
    guids, poison = write_items(feed, items, poison_every, seed)
    result = ChaosResult(seed=seed, produced=len(guids), poison=poison)

    subprocess.run([*WIRESTREAM, "topics"], env=env, check=True, timeout=120, capture_output=True)
    worker = Proc("worker", [*WIRESTREAM, "worker"], env, logs)
    sink = Proc("sink", [*WIRESTREAM, "sink"], env, logs)
    produce_args = [*WIRESTREAM, "produce", "--source", "chaos", *(["--rate", str(rate)] if rate else []),
                    str(feed)]
    producer = Proc("produce", produce_args, env, logs)
    worker.start()
    sink.start()
    producer.start()
    t0 = time.monotonic()

    def keep_producing() -> None:
        """A producer that stopped on an error (e.g. its state file on a full disk) is run
        again, as a container runtime would: it republishes what it had not recorded, which
        the stories stage recognises as redeliveries."""
        if producer.proc is not None and producer.proc.poll() not in (None, 0):
            result.producer_restarts += 1
            producer.start()

    plan = sorted((rng.uniform(3, 3 + 8 * max(1, sum(kills.values()))), kind)
                  for kind, n in kills.items() for _ in range(n))
    target = len(guids)
    last = (0, 0)
    try:
        for at, kind in plan:
            while time.monotonic() - t0 < at:
                supervise([worker, sink], result)
                time.sleep(0.2)
            progress_before = stored(data_dir, db) or last
            fault = Fault(kind, time.monotonic() - t0)
            if kind == "worker":
                worker.kill()
                time.sleep(rng.uniform(0.2, 2.0))
                worker.start()
            elif kind == "sink":
                sink.kill()
                time.sleep(rng.uniform(0.2, 2.0))
                sink.start()
            elif kind == "broker" and broker is not None:
                broker.kill()
                time.sleep(rng.uniform(0.5, 3.0))
                broker.start()
            killed_at = time.monotonic()
            # recovered = the stored count moves again (or everything is already stored)
            while time.monotonic() - killed_at < 120:
                supervise([worker, sink], result)
                now = stored(data_dir, db)
                if now is not None:
                    last = now
                    if now[0] > progress_before[0] or now[0] >= target:
                        fault.recovered_s = time.monotonic() - killed_at
                        break
                time.sleep(0.25)
            result.faults.append(fault)
        if fill_disk is not None:
            # the disk fills up while the pipeline runs, as it does in production: first let
            # part of the stream be stored, then take the space away
            started = time.monotonic()
            while time.monotonic() - started < 180:
                now = stored(data_dir, db)
                if now is not None and now[0] >= target // 5:
                    break
                supervise([worker, sink], result)
                time.sleep(0.5)
            _fill_then_free(fill_disk, data_dir, db, result, t0, after_free=keep_producing)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            now = stored(data_dir, db)
            if now is not None and now[0] >= target and now[1] >= poison:
                time.sleep(3)  # let late duplicates (if any) arrive before counting
                break
            supervise([worker, sink], result)
            keep_producing()
            if sum(result.crashes.values()) > 20:
                raise AssertionError(
                    f"crash loop {result.crashes}\n--- worker\n{worker.tail()}\n--- sink\n{sink.tail()}")
            time.sleep(0.5)
        else:
            raise AssertionError(f"not drained in {timeout_s}s: {stored(data_dir, db)} of {target}"
                                 f"\n--- worker\n{worker.tail()}\n--- sink\n{sink.tail()}")
        result.numbers = check(data_dir, db, len(guids), poison)
    finally:
        for p in (producer, worker, sink):
            p.stop()
    result.seconds = time.monotonic() - t0
    return result


def _fill_then_free(mount: Path, data_dir: Path, db: str, result: ChaosResult, t0: float,
                    after_free=lambda: None) -> None:
    """Fill the filesystem holding the data dir, hold it full for a while, then free it.
    ``after_free`` runs while waiting for the recovery: the producer, stopped by the full
    disk, is restarted at once (it waited for the final drain loop: ~8 s of a run at a fixed
    rate spent with nothing being published)."""
    ballast = mount / "ballast"
    fault = Fault("disk", time.monotonic() - t0)
    with open(ballast, "wb") as fh:
        chunk = b"\0" * (1 << 20)
        try:
            while True:
                fh.write(chunk)
                fh.flush()
        except OSError:
            pass
    time.sleep(8)
    before = stored(data_dir, db) or (0, 0)
    ballast.unlink()
    freed = time.monotonic()
    while time.monotonic() - freed < 120:
        after_free()
        now = stored(data_dir, db)
        if now is not None and now[0] > before[0]:
            fault.recovered_s = time.monotonic() - freed
            break
        time.sleep(0.25)
    result.faults.append(fault)


def main() -> int:
    """The full chaos run, on purpose: ``make chaos`` (needs Java + Maven for the broker)."""
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--items", type=int, default=20_000)
    ap.add_argument("--poison-every", type=int, default=500)
    ap.add_argument("--port", type=int, default=29492)
    ap.add_argument("--metrics-port", type=int, default=9790)
    ap.add_argument("--workdir", type=Path, default=REPO / ".wirestream-chaos")
    args = ap.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    broker = Broker(args.workdir / "kafka", args.port)
    broker.start()
    print("| seed | produced | items | items FINAL | story rows / FINAL | reused versions | gappy | "
          "poison in dlq | faults (kind@t → recovered) | crashes |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    failed = False
    try:
        for seed in (int(s) for s in args.seeds.split(",")):
            res = run_chaos(args.workdir / f"run{seed}", seed=seed, items=args.items,
                            poison_every=args.poison_every, kills={"worker": 2, "sink": 2, "broker": 2},
                            bootstrap=f"127.0.0.1:{args.port}", broker=broker, metrics_port=args.metrics_port)
            print(res.row(), flush=True)
            for v in violations(res):
                print(f"  violation (seed {seed}): {v}", flush=True)
            failed |= bool(violations(res))
    finally:
        subprocess.run(["bash", str(REPO / "deploy/kafka/kafka.sh"), "stop"], env=broker.env, check=False)
    return 1 if failed else 0


def violations(res: ChaosResult, max_recovery_s: float = 15.0) -> list[str]:
    """What a run broke, in words (empty = every invariant held)."""
    n = res.numbers
    out = []
    if not (n["items"] == n["items_final"] == n["distinct_items"] == res.produced):
        out.append(f"items stored {n['items']} / FINAL {n['items_final']} / distinct {n['distinct_items']} "
                   f"!= produced {res.produced}")
    if n["story_rows"] != n["story_rows_final"] or n["tables_raw_ne_final"]:
        out.append(f"raw != FINAL: stories {n['story_rows']} vs {n['story_rows_final']}, "
                   f"{n['tables_raw_ne_final']} table(s) differ")
    if n["reused_versions"]:
        out.append(f"{n['reused_versions']} story versions given to two items")
    if n["gappy_stories"]:
        out.append(f"{n['gappy_stories']} stories with gaps in their versions")
    if n["dlq_poison"] != res.poison or n["dlq_rows"] != res.poison:
        out.append(f"dead letters {n['dlq_rows']} rows / {n['dlq_poison']} distinct != poison {res.poison}")
    for name, n in res.crashes.items():
        out.append(f"{name} exited on its own {n} time(s) (infrastructure errors must pause, not crash)")
    for f in res.faults:
        if f.kind == "worker" and (f.recovered_s is None or f.recovered_s > max_recovery_s):
            out.append(f"worker kill at {f.at_s:.0f}s: processing resumed after {f.recovered_s} s")
        if f.kind == "broker" and f.recovered_s is None:  # a stall, even if the run drains later
            out.append(f"broker kill at {f.at_s:.0f}s: processing did not resume within 120 s")
    return out


if __name__ == "__main__":
    raise SystemExit(main())
