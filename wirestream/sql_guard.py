"""Which analyst SQL may run: ClickHouse's own parser decides, this module only reads its tree.

The read API is a door into the sink's process, so what a query may touch is decided in
three layers, each stopping what the one below cannot:

1. **ClickHouse settings** on a dedicated read handle (``wirestream/read_session.py``):
   ``readonly=1`` stops DDL/DML, ``SET``/``SETTINGS`` overrides and every table function that
   needs storage (``file()``, ``url()``, ``s3()``, ``remote()``, ...); the limits
   (``max_execution_time``, ``max_memory_usage``, ``max_result_rows/bytes``) bound each query.
2. **This allow-list**, over ``EXPLAIN AST`` of the statement as ClickHouse itself normalised
   it (``formatQuerySingleLine``: one statement, or a syntax error): what ``readonly`` lets
   through in chdb — the scalar ``file('/etc/passwd')``, ``SELECT ... INTO OUTFILE`` (chdb
   writes the file even when read-only), harmless-looking table functions (``numbers()``,
   ``view()``, ``merge()``), tables of other databases (``system.*``), multi-statements.
3. **The HTTP door** (``wirestream/owner_api.py``): a per-run token, loopback only, no
   foreign Origin/Host, JSON bodies only.

Why not a regex over the SQL text: quoting, comments and ClickHouse's many spellings make
text rules leak; the AST is what the engine will execute.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wirecore.errors import UsageError
from wirecore.settings import Settings


class QueryRefused(UsageError):
    """The read API will not run this statement; the message says which rule refused it."""


# Roots a read may have. DESCRIBE is allowed for exploring the schema.
ALLOWED_ROOTS = frozenset({"SelectWithUnionQuery", "DescribeQuery"})

# Scalar functions that reach outside the database (files, host, server config) or read
# other databases' objects by a string name, which the table check below cannot see.
DENIED_FUNCTIONS = frozenset(name.lower() for name in (
    "file", "catboostEvaluate", "joinGet", "joinGetOrNull", "hasColumnInTable", "getMacro",
    "getClientHTTPHeader", "getServerSetting", "getMergeTreeSetting", "filesystemAvailable",
    "filesystemCapacity", "filesystemUnreserved", "getOSKernelVersion", "hostName", "hostname",
    "fqdn", "FQDN", "serverUUID", "buildId", "tcpPort", "getServerPort", "displayName",
    "currentProfiles", "enabledProfiles", "defaultProfiles", "currentRoles", "enabledRoles",
    "defaultRoles", "initialQueryID", "queryID", "shardNum", "shardCount", "uptime",
))
DENIED_PREFIXES = ("dictget", "dicthas", "dictisin", "addresstoline", "addresstosymbol", "demangle")

@dataclass
class Node:
    kind: str
    arg: str
    children: list[Node] = field(default_factory=list)


def parse_explain_ast(text: str) -> Node:
    """The indented ``EXPLAIN AST`` output as a tree (one space of indent per level).

    A node's ``arg`` is its name without the `` (alias ...)`` ClickHouse prints after it. An
    alias is printed raw, so one with a newline adds lines of its own: they can only add
    nodes (refused as a second statement at depth 0, or checked like any other node), never
    hide or re-parent the real ones that follow their own parent's line."""
    root: Node | None = None
    stack: list[tuple[int, Node]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip(" "))
        head = line.strip()
        if " (children" in head:
            head = head[: head.index(" (children")]
        kind, _, arg = head.partition(" ")
        # ``Function file (alias f)``: the alias is not part of the name. Left on, it hid every
        # denied function from the allow-list (``SELECT file('/proc/self/environ') AS e`` ran)
        node = Node(kind, arg.split(" (alias ", 1)[0].strip())
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            stack[-1][1].children.append(node)
        elif root is None:
            root = node
        else:
            raise QueryRefused("one statement at a time")
        stack.append((depth, node))
    if root is None:
        raise QueryRefused("empty statement")
    return root


def check_ast(root: Node, database: str, databases: frozenset[str]) -> None:
    """Raise ``QueryRefused`` unless the tree only reads tables of ``database``.

    ``databases``: every database the engine knows (``system``, ``default``, ...); a dotted
    identifier starting with one of them other than ``database`` names a foreign object.
    Unqualified table names are safe: the read handle's current database is ``database``,
    so they resolve to its tables or to the query's own CTEs.
    """
    if root.kind not in ALLOWED_ROOTS:
        raise QueryRefused(f"read-only API: SELECT or DESCRIBE only, not {root.kind}")
    if root.kind == "SelectWithUnionQuery" and len(root.children) != 1:
        raise QueryRefused("INTO OUTFILE and FORMAT clauses are not allowed (results come back as JSON)")
    foreign = {d.lower() for d in databases} - {database.lower()}
    _walk(root, database, foreign, parent=None)


def _walk(node: Node, database: str, foreign: set[str], parent: Node | None) -> None:
    if node.kind == "Set":
        raise QueryRefused("SETTINGS clauses are not allowed: limits are fixed by the API")
    # ``FROM system.one``, ``x IN system.one`` (an Identifier), ``system.one.name``
    if node.kind in ("TableIdentifier", "Identifier") and "." in node.arg:
        first = node.arg.split(".", 1)[0].strip("`\"").lower()
        if first in foreign:
            raise QueryRefused(f"only the {database} database can be read, not {node.arg}")
    if node.kind == "Function":
        name = node.arg.lower()
        if parent is not None and parent.kind == "TableExpression":
            # a call in FROM is a table function, unless it is one of the project's
            # parameterized views (schemas/clickhouse), by name or qualified with the database
            view = name.split(".", 1)[1] if name.startswith(database.lower() + ".") else name
            if view not in PARAMETERIZED_VIEWS:
                raise QueryRefused(f"table functions are not allowed: {node.arg}()")
        if name in DENIED_FUNCTIONS or name.startswith(DENIED_PREFIXES):
            raise QueryRefused(f"function {node.arg}() is not allowed: it reads outside the database")
    for child in node.children:
        _walk(child, database, foreign, node)


PARAMETERIZED_VIEWS = frozenset({"stories_active"})  # views taking parameters, e.g. stories_active(since=…)


@dataclass(frozen=True)
class ReadLimits:
    """Per-query limits of the read API (applied to its read handles before readonly=1)."""

    max_execution_s: float = 30.0
    max_memory_bytes: int = 1 << 30
    max_result_rows: int = 100_000
    max_result_bytes: int = 64 << 20

    @classmethod
    def from_settings(cls, settings: Settings) -> ReadLimits:
        """The configured limits (``WIRESTREAM_API_*``): the read API's and every direct read's."""
        return cls(max_execution_s=settings.api_query_timeout_s,
                   max_memory_bytes=settings.api_max_memory_bytes,
                   max_result_rows=settings.api_max_result_rows)

    def describe(self) -> str:
        return (f"reads are limited to {self.max_execution_s:g} s, {self.max_memory_bytes >> 20} MiB "
                f"of memory and {self.max_result_rows} rows")

    def settings(self) -> dict[str, str | int | float]:
        """In order: ``readonly`` last, because after it no setting can change."""
        return {
            "max_execution_time": self.max_execution_s,
            "timeout_overflow_mode": "throw",
            "max_memory_usage": self.max_memory_bytes,
            "max_result_rows": self.max_result_rows,
            "max_result_bytes": self.max_result_bytes,
            "result_overflow_mode": "throw",
            "allow_introspection_functions": 0,
            "readonly": 1,
        }
