"""``wirestream cluster`` and ``wirestream eval``: the story engine from the command line.

``cluster`` streams JSON lines through one ``StoryEngine`` in file order, exactly as the
stream processor would: up to 256 lines at a time (fewer where a live input pauses), parsed
and featurised by a helper process while the engine decides the chunk before (``--jobs``);
``eval`` scores the engine and two baselines on ECB+. Both are thin: the work lives in ``processors.stories``.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import pickle
import signal
import sys
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import IO, Annotated, Any

import orjson
import typer

from processors.stories import EngineConfig, StoryDoc, StoryEngine
from processors.stories.features import ItemFeatures, PackedFeatures, featurise_many
from schemas.models import InvalidItem, WireItem
from wirecore.errors import UsageError
from wirecore.heap import FrozenHeap
from wirestream.context import settings
from wirestream.line_chunks import Chunk, chunks_of, fd_chunks

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data" / "ecbplus"
log = logging.getLogger("wirestream.cluster")
CHUNK_LINES = 256  # lines prepared (parsed, featurised) together: one helper task


def parse_cluster_line(line: bytes) -> StoryDoc:
    """One input line -> ``StoryDoc``; ``InvalidItem`` with a short reason when it cannot be."""
    from wirecore.dates import parse_iso as parse_time

    try:
        row = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise InvalidItem(f"not JSON: {exc}") from None
    if not isinstance(row, dict):
        raise InvalidItem("not a JSON object")
    if "item_id" in row and "headline" in row:
        return doc_of_wire_item(row)
    item_id, title, text = row.get("id"), row.get("title") or "", row.get("text") or ""
    if not isinstance(item_id, str | int) or isinstance(item_id, bool) or item_id == "":
        raise InvalidItem("missing id")
    if not isinstance(title, str) or not isinstance(text, str):
        raise InvalidItem("title and text must be strings")
    published = row.get("published_at")
    when = parse_time(published) if published else None  # naive times are read as UTC
    if published and when is None:
        raise InvalidItem(f"bad published_at {published!r}")
    lang = row.get("lang")
    return StoryDoc(
        id=str(item_id), title=title, text=text, published_at=when,
        lang=lang if isinstance(lang, str) else None,
    )


def doc_of_wire_item(row: dict[str, Any]) -> StoryDoc:
    """A ``wirestream parse`` record (``WireItem.to_dict``) -> ``StoryDoc``."""
    from wirecore.dates import parse_iso as parse_time

    try:
        item = WireItem.from_dict(row)
        when = parse_time(item.published_at) if item.published_at else None
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidItem(f"bad wire item: {exc}") from None
    return StoryDoc(
        id=item.item_id, title=item.headline, text=item.body, published_at=when,
        lang=item.language, guid=item.guid or None, content_hash=item.content_hash or None,
        places=list(item.places), agencies=list(item.agencies),
    )


Prepared = tuple[list[StoryDoc], list[ItemFeatures | None], list[tuple[int, str]]]


def prepare_chunk(first_line: int, lines: list[bytes], stem_len: int,
                  max_bytes: int | None = None) -> Prepared:
    """Parse a chunk of input lines and compute the engine's features of the good ones:
    (docs, their features or None for a repeat, (line number, reason) of each bad line). Runs
    in a helper process while the engine decides on the chunk before; its only state is the
    memory of hashes seen, which decides what is computed, never what is decided."""
    docs: list[StoryDoc] = []
    errors: list[tuple[int, str]] = []
    for n, line in enumerate(lines, start=first_line):
        if max_bytes is not None and len(line) > max_bytes + 1:  # + its newline
            errors.append((n, f"longer than {max_bytes} bytes (WIRESTREAM_MAX_ITEM_BYTES)"))
            continue
        if not line.strip():
            continue
        try:
            docs.append(parse_cluster_line(line))
        except InvalidItem as exc:
            errors.append((n, exc.reason))
    features = featurise_many(docs, stem_len, _SEEN)
    if len(_SEEN) > _SEEN_MAX:
        _SEEN.clear()
    _SEEN.update(f.content_hash for f in features if f is not None)
    return docs, features, errors


# Content hashes this process prepared before (a helper keeps its own). A repeat gets no
# features: the engine answers an exact copy from its hash index, and computes them itself if
# it ever needs them, so forgetting (the cap) costs time only, never a different decision.
_SEEN: set[str] = set()
_SEEN_MAX = 1 << 20


def cluster_lines(
    lines: Iterable[bytes], out: IO[bytes], err: IO[str], config: EngineConfig | None = None,
    chunk: int = 256, helpers: int = 0, max_bytes: int | None = None,
) -> int:
    """``cluster_chunks`` of lines held in memory or read from a file object."""
    return cluster_chunks(chunks_of(lines, chunk), out, err, config, helpers, max_bytes)


def cluster_chunks(
    chunks: Iterator[Chunk], out: IO[bytes], err: IO[str], config: EngineConfig | None = None,
    helpers: int = 0, max_bytes: int | None = None,
) -> int:
    """Write one decision per good line, in input order; return the number of bad lines.

    Each chunk is prepared (parsed, text features computed in one pass) by
    ``prepare_chunk``; with ``helpers`` > 0 that runs in helper processes while this one
    decides, the one step that must stay in order. Decisions are the same either way. The
    output is flushed after every chunk, so a reader of a live pipe sees each decision once
    its chunk is decided (a chunk ends where a live input pauses: ``line_chunks``). A line
    longer than ``max_bytes`` is a bad line, as an item that size is everywhere else.
    """
    engine = StoryEngine(config or EngineConfig())
    heap = FrozenHeap()  # the engine's state is long-lived and acyclic: keep the GC off it
    bad = 0
    try:
        for docs, features, errors in _prepared(chunks, engine.config.stem_len, helpers,
                                                max_bytes):
            for n, reason in errors:
                err.write(f"line {n}: {reason}\n")
            bad += len(errors)
            for doc, feats in zip(docs, features, strict=True):
                a = engine.assign(doc, feats)
                record = {"id": doc.id, "story_id": a.story_id, "relation": a.relation,
                          "score": round(a.score, 6), "evidence": a.evidence}
                if a.merged:
                    record["merged"] = a.merged
                if a.demoted:
                    record["demoted"] = a.demoted
                out.write(orjson.dumps(record) + b"\n")
            out.flush()
            err.flush()
            heap.settle(len(docs))
    finally:
        heap.release()
    return bad


def _prepared(chunks: Iterator[Chunk], stem_len: int, helpers: int,
              max_bytes: int | None = None) -> Iterator[Prepared]:
    """``prepare_chunk`` of each chunk, in order. The first chunk is prepared here, so a
    small input never pays for starting a process; after it, ``helpers`` processes work up
    to two chunks each ahead of the engine (memory stays bounded on any input size), and
    everything submitted is handed on before the next read when the input paused (an
    ``idle`` chunk): a live pipe's decisions never wait for lines not yet written. Should
    a helper die (killed, out of memory), the chunks it held and all after it are prepared
    here: slower, never lost, never out of order."""
    first = next(chunks, None)
    if first is None:
        return
    yield prepare_chunk(first.first, first.lines, stem_len, max_bytes)
    if helpers > 0:
        held: deque[Chunk] = deque()  # chunks not yet yielded, in order
        futures: deque[Future[str]] = deque()  # futures[i] prepares held[i] (into a file)
        with tempfile.TemporaryDirectory(prefix="wirestream-cluster-") as folder, \
                ProcessPoolExecutor(helpers, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_helper_started) as pool, _sigterm_exits():
            try:
                for c in chunks:
                    held.append(c)  # before submit: a broken pool refuses it
                    futures.append(pool.submit(_prepare_to_file, folder, c.first, c.lines,
                                               stem_len, max_bytes))
                    while len(futures) > 2 * helpers or c.idle and futures:
                        yield _load_prepared(futures[0].result())
                        futures.popleft()
                        held.popleft()
                while futures:
                    yield _load_prepared(futures[0].result())
                    futures.popleft()
                    held.popleft()
            except BrokenProcessPool as exc:
                log.warning("a helper process died (%s); preparing the rest in this process", exc)
        for c in held:  # what the dead helper held, in order
            yield prepare_chunk(c.first, c.lines, stem_len, max_bytes)
    for c in chunks:
        yield prepare_chunk(c.first, c.lines, stem_len, max_bytes)


def _prepare_to_file(folder: str, first_line: int, lines: list[bytes], stem_len: int,
                     max_bytes: int | None) -> str:
    """In a helper: ``prepare_chunk``, its result pickled into a file of ``folder``; the file's
    path is what goes back through the pool's result pipe. A result sent through that pipe
    itself can be cut off by a helper killed mid-write, and the pool's reader then waits for
    the rest of the message for ever (CPython's ProcessPoolExecutor: it reads the length, then
    blocks on the body; seen as a hung ``cluster`` and a hung test). A path is far below
    PIPE_BUF, so its write is atomic: a killed helper sends all of it or nothing."""
    docs, features, errors = prepare_chunk(first_line, lines, stem_len, max_bytes)
    fd, path = tempfile.mkstemp(dir=folder, suffix=".chunk")
    with os.fdopen(fd, "wb") as fh:
        pickle.dump((docs, PackedFeatures.of(features), errors), fh,
                    protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _load_prepared(path: str) -> Prepared:
    """A helper's result back from its file (removed once read), its features unpacked."""
    with open(path, "rb") as fh:
        docs, packed, errors = pickle.load(fh)  # noqa: S301 - written by our own helper process
    os.unlink(path)
    return docs, packed.unpack(), errors


def default_helpers() -> int:
    """One helper process when this machine has a second core to give it, else none."""
    affinity = getattr(os, "sched_getaffinity", None)  # Linux; elsewhere the core count
    cores = len(affinity(0)) if affinity is not None else os.cpu_count() or 1
    return 1 if cores > 1 else 0


def _helper_started() -> None:
    """In a helper process: Ctrl-C is the command's to handle (it shuts the pool down, the
    helpers finish their chunk and exit), and the helper ends with the command even when the
    command is killed outright (Linux ``PR_SET_PDEATHSIG``; without it a killed command left
    its helpers waiting for work for ever)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() == 1:  # the command died before the line above: nobody to work for
        os._exit(0)


@contextlib.contextmanager
def _sigterm_exits() -> Iterator[None]:
    """While helpers run, SIGTERM ends the command by the normal unwinding (the pool is shut
    down on the way out) with status 143, as a shell reports a terminated process."""
    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: its owner handles signals
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _input_chunks(path: str, max_bytes: int) -> Iterator[Iterator[Chunk]]:
    """Chunks of ``path`` (``-``: stdin), read straight from its file descriptor (a stdin
    without one, as in a test runner's, is read line by line)."""
    if path == "-":
        try:
            fd = sys.stdin.fileno()
        except (OSError, ValueError, AttributeError):
            yield chunks_of(sys.stdin.buffer, CHUNK_LINES)
            return
        yield fd_chunks(fd, CHUNK_LINES, max_bytes)
        return
    with open(path, "rb") as f:
        yield fd_chunks(f.fileno(), CHUNK_LINES, max_bytes)


def _refuse_overwriting_input(input: str, output: str) -> None:
    """``-o`` naming the input itself (or a link to it) would truncate it before a line is
    read: the input would be gone and the command would report success on nothing."""
    if input == "-" or output == "-":
        return
    with contextlib.suppress(OSError):  # a missing output is fine; a missing input is reported later
        if os.path.samefile(input, output):
            raise UsageError(f"--output {output} is the input file itself: choose another output")


def cluster(
    input: Annotated[str, typer.Option("--input", "-i", help="JSON lines, or - for stdin")] = "-",
    output: Annotated[str, typer.Option("--output", "-o", help="JSON lines, or - for stdout")] = "-",
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", min=0,
        help="helper processes that parse lines and compute text features ahead of the engine "
             "(default: 1 when a second core is available, else 0)")] = None,
) -> None:
    """Assign items to stories, in file order.

    Lines are {id, title, text, published_at, lang} or ``wirestream parse`` records
    (WireItem), so ``wirestream parse ... | wirestream cluster`` composes. Lines are read up to
    256 at a time; on a live pipe each decision is written as soon as its line has arrived
    and been decided. A line longer than WIRESTREAM_MAX_ITEM_BYTES is a bad line.
    """
    helpers = default_helpers() if jobs is None else jobs
    _refuse_overwriting_input(input, output)
    max_bytes = settings().max_item_bytes
    try:
        with _input_chunks(input, max_bytes) as chunks:
            if output == "-":
                bad = cluster_chunks(chunks, sys.stdout.buffer, sys.stderr, helpers=helpers,
                                     max_bytes=max_bytes)
            else:
                with open(output, "wb") as out:
                    bad = cluster_chunks(chunks, out, sys.stderr, helpers=helpers,
                                         max_bytes=max_bytes)
    except BrokenPipeError:
        raise  # the reader went away (``| head``): click ends the command quietly
    except OSError as exc:
        where = exc.filename or ("-" if output == "-" else output)
        sys.stderr.write(f"{'standard output' if where == '-' else where}: {exc.strerror}\n")
        raise typer.Exit(1) from None
    if bad:
        raise typer.Exit(2)


def eval_command(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="folder with ecbplus_*.jsonl")] = (
        DEFAULT_DATA_DIR
    ),
    seeds: Annotated[str, typer.Option(help="comma-separated shuffle seeds")] = "0,1,2,3,4",
    short: Annotated[bool, typer.Option("--short", help="title + ~30 words, lowercased")] = False,
    splits: Annotated[str, typer.Option(help="comma-separated splits")] = "train,dev",
) -> None:
    """Score the story engine and two baselines on ECB+ (mean over shuffled orders, and the
    B-cubed F1 of the worst order)."""
    from rich.console import Console
    from rich.table import Table

    from processors.stories import evaluate as ev

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise UsageError(f"--seeds: expected integers, got {seeds!r}") from None
    split_list = [s.strip() for s in splits.split(",") if s.strip()]
    if not seed_list or not split_list:
        raise UsageError("--seeds and --splits need at least one value each")
    table = Table(title=f"Story grouping on ECB+ ({'short' if short else 'full'} text, "
                        f"{len(seed_list)} orders)")
    for col in ("split", "method", "B3 P", "B3 R", "B3 F1", "worst F1", "pair P", "pair R",
                "pair F1", "NMI", "stories", "copies/prec"):
        table.add_column(col, justify="left" if col in ("split", "method") else "right")
    methods: list[tuple[str, Any]] = [
        ("engine", ev.engine_clusterer(EngineConfig())),
        (f"tfidf@{ev.BASELINE_THRESHOLD:.2f}",
         ev.baseline_clusterer(ev.BASELINE_THRESHOLD)),
        ("singletons", ev.singleton_clusterer),
    ]
    for split in split_list:
        path = data_dir / f"ecbplus_{split}.jsonl"
        if not path.exists():
            sys.stderr.write(f"{path}: not found\n")
            raise typer.Exit(1)
        try:
            data = ev.load_split(path, short=short)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if not data:
            raise UsageError(f"{path}: no labelled documents to score")
        for name, clusterer in methods:
            s = ev.evaluate(data, clusterer, seed_list)
            table.add_row(
                split, name, *(f"{v:.3f}" for v in (s.bcubed_p, s.bcubed_r, s.bcubed_f1,
                                                      s.worst_f1, s.pair_p, s.pair_r,
                                                      s.pair_f1, s.nmi)),
                f"{s.n_pred:.1f}/{s.n_gold}", f"{s.copies:.1f}/{s.copy_precision:.2f}",
            )
    Console(width=None if sys.stdout.isatty() else 120).print(table)
