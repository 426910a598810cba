"""Benchmark: region subtree queries on a national-scale region tree (行政区划).

    .venv/bin/python bench/regions.py [--regions 700000] [--backend sqlite|postgres|both]

For each backend it builds a fresh database through the real migrations, loads a synthetic
tree shaped like China's (31 provinces, ~340 cities, ~2,850 counties, ~38,000 townships,
~660,000 villages) and times, for random township, county and city roots:

- subtree:    ``Region.objects.filter(subtree_q(path))``, the query the app runs; also the same
              fetch with ``.defer("created_at", "updated_at")``, and the same SQL sent through a
              bare cursor (what the database and driver cost without the ORM)
- walk:       a naive level-by-level walk over ``parent`` (one query per level)
- cte:        one ``WITH RECURSIVE`` query over ``parent_id`` (raw SQL)
- full scan:  ``Region.objects.annotate(p=Substr("path", 1, n)).filter(p=path)``, the same
              answer with no usable index: the baseline every other figure is divided by

each as a count and as a fetch of model instances, and prints EXPLAIN output for the subtree
query. PostgreSQL is reached through BENCH_PG_URL (default
postgres://postgres@127.0.0.1:5432/renda_bench); the database is created if missing and its
public schema is dropped and recreated, so the name must contain "bench".
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import prepare_bench_database, setup_product_django  # noqa: E402
from bench.harness import BENCH_VAR, banner, env_url, load_line, markdown_table, parse_args, percentile, ratio  # noqa: E402

SQLITE_FILE = BENCH_VAR / "regions.sqlite3"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/renda_bench"

# Level -> (path length, digits added at this level, how many China has).
PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE = 1, 2, 3, 4, 5
LEVELS = {
    PROVINCE: (2, 2, 31),
    CITY: (4, 2, 340),
    COUNTY: (6, 2, 2_850),
    TOWNSHIP: (9, 3, 38_000),
    VILLAGE: (12, 3, 660_000),
}
REAL_TOTAL = sum(count for _, _, count in LEVELS.values())
# The real province codes (11 北京 … 65 新疆); more provinces than this only for --regions far above 700k.
PROVINCE_CODES = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53]
PROVINCE_CODES += [54, 61, 62, 63, 64, 65]
PROVINCE_CODES += [c for c in range(10, 99) if c not in PROVINCE_CODES]
SPREAD_SIGMA = 0.5  # lognormal spread of children per parent: a township has 5 to 50 villages, most 10 to 30
NAME_CHARS = "东南西北中新安平和兴华阳山河湖江海林石桥口城镇庄家王李张刘陈杨黄赵周吴徐孙马朱胡高"
SUFFIX = {
    "province": "省",
    "city": "市",
    "county": "县",
    "district": "区",
    "county_city": "市",
    "town": "镇",
    "township": "乡",
    "street": "街道",
    "village": "村民委员会",
    "community": "社区居民委员会",
}

Row = tuple[int, str, str, str, int, str, int | None]  # id, code, path, name, level, kind, parent_id


# ---------------------------------------------------------------------------------------------
# The synthetic tree (pure Python, identical for both backends for a given seed and size)


def level_counts(total: int) -> dict[int, int]:
    """Regions per level for a tree of about ``total`` regions, keeping China's proportions."""
    scale = total / REAL_TOTAL
    counts: dict[int, int] = {}
    parents = 1
    for level, (_, digits, real) in LEVELS.items():
        n = max(parents, round(real * scale))  # every parent gets at least one child
        capacity = len(PROVINCE_CODES) if level == PROVINCE else parents * (10**digits - 1)
        if n > capacity:
            raise SystemExit(f"--regions {total} does not fit the code scheme at level {level}")
        counts[level] = parents = n
    return counts


def allocate(total: int, parents: int, cap: int, rng: random.Random) -> list[int]:
    """Split ``total`` children over ``parents`` (each at least one, at most ``cap``), unevenly."""
    weights = [rng.lognormvariate(0.0, SPREAD_SIGMA) for _ in range(parents)]
    wsum = sum(weights)
    counts = [1] * parents
    spare = total - parents
    for i, w in enumerate(weights):
        counts[i] = min(cap, 1 + int(spare * w / wsum))
    left = total - sum(counts)
    while left > 0:
        for i in rng.choices(range(parents), weights=weights, k=left):
            if counts[i] < cap and left > 0:
                counts[i] += 1
                left -= 1
    return counts


def pick_kind(level: int, parent_kind: str, rng: random.Random) -> str:
    if level == PROVINCE:
        return "province"
    if level == CITY:
        return "city"
    if level == COUNTY:
        return rng.choices(["district", "county", "county_city"], weights=[34, 47, 14])[0]
    if level == TOWNSHIP:
        weights = [60, 30, 10] if parent_kind == "district" else [10, 55, 35]
        return rng.choices(["street", "town", "township"], weights=weights)[0]
    return "community" if parent_kind == "street" or rng.random() < 0.1 else "village"


def build_tree(total: int, seed: int) -> list[list[Row]]:
    """Rows level by level, ids in insertion order (a real import also goes level by level)."""
    rng = random.Random(seed)
    counts = level_counts(total)
    levels: list[list[Row]] = []
    next_id = 1
    parents: list[Row] = []
    for level, (length, digits, _) in LEVELS.items():
        rows: list[Row] = []
        if level == PROVINCE:
            plan: list[tuple[Row | None, int]] = [(None, counts[level])]
        else:
            cap = 10**digits - 1
            plan = list(zip(parents, allocate(counts[level], len(parents), cap, rng), strict=True))
        for parent, n in plan:
            for k in range(1, n + 1):
                if parent is None:
                    path, parent_id, parent_kind = str(PROVINCE_CODES[k - 1]), None, ""
                else:
                    path, parent_id, parent_kind = parent[2] + str(k).zfill(digits), parent[0], parent[5]
                kind = pick_kind(level, parent_kind, rng)
                name = "".join(rng.choices(NAME_CHARS, k=rng.choice((2, 2, 3)))) + SUFFIX[kind]
                rows.append((next_id, path.ljust(12, "0"), path, name, level, kind, parent_id))
                next_id += 1
        assert all(len(r[2]) == length for r in rows)
        levels.append(rows)
        parents = rows
    return levels


def subtree_sizes(levels: list[list[Row]]) -> Counter[str]:
    """Expected rows in each region's subtree (itself included), to check every method's answer."""
    sizes: Counter[str] = Counter()
    lengths = [length for length, _, _ in LEVELS.values()]
    for rows in levels:
        for row in rows:
            path = row[2]
            for n in lengths:
                if n > len(path):
                    break
                sizes[path[:n]] += 1
    return sizes


# ---------------------------------------------------------------------------------------------
# Databases


def pg_url() -> str:
    return env_url("BENCH_PG_URL", DEFAULT_PG_URL)


def prepare_sqlite() -> str:
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{SQLITE_FILE}"


def load(levels: list[list[Row]]) -> None:
    """Insert every row with ids set by us, so parent ids are known without reading back."""
    from django.db import connection, transaction

    from renda.regions.models import Region

    now = datetime.now(UTC)
    if connection.vendor == "postgresql":
        columns = "id, created_at, updated_at, code, path, name, level, kind, parent_id"
        with connection.cursor() as cursor:
            pg = cursor.cursor  # the psycopg cursor under Django's wrapper
            with pg.copy(f"COPY regions_region ({columns}) FROM STDIN") as copy:
                for rows in levels:
                    for rid, code, path, name, level, kind, parent_id in rows:
                        copy.write_row((rid, now, now, code, path, name, level, kind, parent_id))
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('regions_region', 'id'), (SELECT max(id) FROM regions_region))"
            )
        # What autovacuum does shortly after a bulk load: statistics for the planner and a visibility
        # map, without which a count could not be answered from the index alone.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE regions_region")
        return

    def objects(rows: list[Row]) -> Iterator[Region]:
        for rid, code, path, name, level, kind, parent_id in rows:
            yield Region(id=rid, code=code, path=path, name=name, level=level, kind=kind, parent_id=parent_id)

    batch = 5_000
    with transaction.atomic():
        for rows in levels:
            for start in range(0, len(rows), batch):
                Region.objects.bulk_create(objects(rows[start : start + batch]), batch_size=batch)
    # No ANALYZE on SQLite: the app never runs one, so the planner works without statistics here too.


# ---------------------------------------------------------------------------------------------
# Measurements


@dataclass
class Root:
    id: int
    path: str
    size: int


@dataclass
class Series:
    kind: str  # township / county / city
    op: str  # count / fetch
    method: str
    samples_ms: list[float] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)

    def pct(self, p: float, values: list[float] | None = None) -> float:
        """Nearest-rank percentile of the timings (or of ``values``)."""
        return percentile(self.samples_ms if values is None else values, p)


def subtree_count(root: Root) -> int:
    from renda.regions.models import Region
    from renda.regions.paths import subtree_q

    return Region.objects.filter(subtree_q(root.path)).count()


def subtree_fetch(root: Root) -> int:
    from renda.regions.models import Region
    from renda.regions.paths import subtree_q

    return len(list(Region.objects.filter(subtree_q(root.path))))


SUBTREE_SQL = "FROM regions_region WHERE path >= %s AND path < %s"


def _bounds(root: Root) -> list[str]:
    from renda.regions.paths import subtree_q

    bounds = dict(subtree_q(root.path).children)  # type: ignore[arg-type]
    return [bounds["path__gte"], bounds["path__lt"]]


def sql_count(root: Root) -> int:
    """The subtree count with Django's query building taken out: what the database itself costs."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) " + SUBTREE_SQL, _bounds(root))
        return int(cursor.fetchone()[0])


def sql_fetch(root: Root) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT * " + SUBTREE_SQL + " ORDER BY path", _bounds(root))
        return len(cursor.fetchall())


def subtree_fetch_defer(root: Root) -> int:
    """The same fetch without the two timestamps, which the psycopg 3 backend decodes slowly."""
    from renda.regions.models import Region
    from renda.regions.paths import subtree_q

    return len(list(Region.objects.filter(subtree_q(root.path)).defer("created_at", "updated_at")))


def _scan_qs(root: Root) -> Any:
    from django.db.models.functions import Substr

    from renda.regions.models import Region

    return Region.objects.annotate(p=Substr("path", 1, len(root.path))).filter(p=root.path)


def scan_count(root: Root) -> int:
    return int(_scan_qs(root).count())


def scan_fetch(root: Root) -> int:
    return len(list(_scan_qs(root)))


def walk_count(root: Root) -> int:
    from renda.regions.models import Region

    total, ids = 1, [root.id]
    while ids:
        ids = list(Region.objects.filter(parent_id__in=ids).order_by().values_list("id", flat=True))
        total += len(ids)
    return total


def walk_fetch(root: Root) -> int:
    from renda.regions.models import Region

    total, ids = 1, [root.id]  # the root itself is already in hand, as in a view
    while ids:
        children = list(Region.objects.filter(parent_id__in=ids))
        total += len(children)
        ids = [c.id for c in children]
    return total


CTE = (
    "WITH RECURSIVE t(id) AS (SELECT id FROM regions_region WHERE id = %s "
    "UNION ALL SELECT r.id FROM regions_region r JOIN t ON r.parent_id = t.id) "
)


def cte_count(root: Root) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(CTE + "SELECT count(*) FROM t", [root.id])
        return int(cursor.fetchone()[0])


def cte_fetch(root: Root) -> int:
    from renda.regions.models import Region

    sql = CTE + "SELECT r.* FROM regions_region r JOIN t ON r.id = t.id ORDER BY r.path"
    return len(list(Region.objects.raw(sql, [root.id])))


METHODS: dict[str, tuple[Callable[[Root], int] | None, Callable[[Root], int]]] = {
    "subtree": (subtree_count, subtree_fetch),
    "subtree, .defer(timestamps)": (None, subtree_fetch_defer),
    "subtree, raw SQL": (sql_count, sql_fetch),
    "walk": (walk_count, walk_fetch),
    "cte": (cte_count, cte_fetch),
    "full scan": (scan_count, scan_fetch),
}


def measure(kind: str, roots: list[Root], args: argparse.Namespace) -> list[Series]:
    """Time every method on every root, interleaved root by root so that load from elsewhere on
    the machine falls on all methods alike. The full scan runs on the first ``--scan-samples``."""
    plan = [(method, op, fn) for method, fns in METHODS.items() for op, fn in zip(("count", "fetch"), fns, strict=True)]
    plan = [(method, op, fn) for method, op, fn in plan if fn is not None]
    for method, _, fn in plan:
        for root in roots[: min(args.warmup, args.scan_samples if method == "full scan" else len(roots))]:
            fn(root)
    series = {(method, op): Series(kind, op, method) for method, op, _ in plan}
    for i, root in enumerate(roots):
        for method, op, fn in plan:
            if method == "full scan" and i >= args.scan_samples:
                continue
            t0 = time.perf_counter_ns()
            n = fn(root)
            elapsed = (time.perf_counter_ns() - t0) / 1e6
            if n != root.size:
                raise AssertionError(f"{method} {op} of {root.path}: {n} rows, expected {root.size}")
            series[(method, op)].samples_ms.append(elapsed)
            series[(method, op)].rows.append(n)
    return list(series.values())


def pick_roots(levels: list[list[Row]], sizes: Counter[str], level: int, n: int, rng: random.Random) -> list[Root]:
    rows = levels[level - 1]
    chosen = rng.sample(rows, n) if n <= len(rows) else rng.choices(rows, k=n)
    return [Root(id=r[0], path=r[2], size=sizes[r[2]]) for r in chosen]


def explain(fn: Callable[[Root], int], root: Root) -> str:
    """The plan of the one query ``fn`` runs, taken from the SQL Django actually sent."""
    from django.db import connection

    captured: list[tuple[str, Any]] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        fn(root)
    sql, params = captured[0]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
            lines = [r[0] for r in cursor.fetchall()]
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            lines = [r[3] for r in cursor.fetchall()]
    if connection.vendor == "postgresql":
        text = connection.ops.compose_sql(sql, params)
    else:
        text = connection.ops.last_executed_query(cursor, sql, params)
    return "\n".join([f"  {text}", *(f"    {line}" for line in lines)])


def sizes_report() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c "
                "WHERE c.oid = 'regions_region'::regclass OR c.oid IN "
                "(SELECT indexrelid FROM pg_index WHERE indrelid = 'regions_region'::regclass) ORDER BY 1"
            )
            return "\n".join(f"  {name}: {size / 2**20:.1f} MiB" for name, size in cursor.fetchall())
    return f"  {SQLITE_FILE.relative_to(ROOT)}: {SQLITE_FILE.stat().st_size / 2**20:.1f} MiB (whole database)"


def run_backend(args: argparse.Namespace) -> None:
    url = prepare_sqlite() if args.backend == "sqlite" else pg_url()
    if args.backend == "postgres":
        prepare_bench_database(url, own="renda_bench", reset=True)  # every run builds the tree afresh
    setup_product_django(url, debug=False)  # DEBUG would keep every query in memory
    from django.core.management import call_command
    from django.db import connection

    t0 = time.perf_counter()
    levels = build_tree(args.regions, args.seed)
    t_gen = time.perf_counter() - t0
    call_command("migrate", verbosity=0, interactive=False)
    t1 = time.perf_counter()
    load(levels)
    t_load = time.perf_counter() - t1
    sizes = subtree_sizes(levels)
    total = sum(len(rows) for rows in levels)
    from renda.regions.models import Region

    assert Region.objects.count() == total
    vendor = connection.vendor
    version = connection.Database.sqlite_version if vendor == "sqlite" else connection.pg_version
    per_level = ", ".join(f"{len(rows):,}" for rows in levels)
    print(f"\n## {vendor} {version}: {total:,} regions ({per_level} per level)", flush=True)
    print(
        f"generated in {t_gen:.1f} s, loaded in {t_load:.1f} s ({'COPY' if vendor == 'postgresql' else 'bulk_create'})"
    )
    load_before = os.getloadavg()

    rng = random.Random(args.seed + 1)
    kinds = {"township": TOWNSHIP, "county": COUNTY, "city": CITY}
    roots = {kind: pick_roots(levels, sizes, level, args.samples, rng) for kind, level in kinds.items()}
    county = pick_roots(levels, sizes, COUNTY, 1, random.Random(args.seed + 2))[0]
    # Keep the generator's 700k tuples out of the timings: left to the cyclic GC they would make
    # every full collection walk them, a pause the app's processes never have.
    del levels, sizes
    gc.collect()
    gc.freeze()

    results: list[Series] = []
    for kind in kinds:
        t2 = time.perf_counter()
        order = list(METHODS)
        results += sorted(measure(kind, roots[kind], args), key=lambda s: (s.op, order.index(s.method)))
        print(f"  measured {kind} roots in {time.perf_counter() - t2:.0f} s", file=sys.stderr, flush=True)

    load_after = os.getloadavg()
    print(load_line(load_before, load_after, " the timings"))
    baseline = {(s.kind, s.op): s.pct(0.5) for s in results if s.method == "full scan"}
    rows = [
        [
            f"{s.kind} subtree {s.op}",
            s.method,
            len(s.samples_ms),
            f"{s.pct(0.5, s.rows):,.0f}/{s.pct(0.95, s.rows):,.0f}",
            f"{s.pct(0.5):.2f}",
            f"{s.pct(0.95):.2f}",
            f"{ratio(s.pct(0.5), baseline[(s.kind, s.op)]):.4f}×",
        ]
        for s in results
    ]
    headers = ["query", "method", "roots", "rows p50/p95", "p50 ms", "p95 ms", "p50 vs full scan"]
    print("\n" + markdown_table(headers, rows, "llrrrrr"))
    print("\nsummary (the app's query, p50/p95 against the full-scan p50 of the same question):")
    for s in results:
        if s.method == "subtree":
            print(
                f"  {vendor} {s.kind} subtree {s.op}: p50 {s.pct(0.5):.2f} ms, p95 {s.pct(0.95):.2f} ms "
                f"= {ratio(s.pct(0.5), baseline[(s.kind, s.op)]):.4f}× full scan ({baseline[(s.kind, s.op)]:.1f} ms)"
            )

    print(f"\nplans for county {county.path} ({county.size} rows):")
    for label, fn in (
        ("subtree count", subtree_count),
        ("subtree fetch", subtree_fetch),
        ("full scan count", scan_count),
    ):
        print(f" {label}:")
        print(explain(fn, county))
    print("\nstorage:")
    print(sizes_report(), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--regions", type=int, default=700_000, help="about how many regions to build (default 700000)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--samples", type=int, default=200, help="random roots per kind (default 200)")
    parser.add_argument("--scan-samples", type=int, default=20, help="roots per kind for the full-scan baseline")
    parser.add_argument("--warmup", type=int, default=20, help="untimed runs before each series")
    parser.add_argument("--seed", type=int, default=20261123)
    args = parse_args(parser, {"regions": 20_000, "samples": 20, "scan_samples": 5, "warmup": 3}, "20,000 regions")
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    if args.backend != "both":
        run_backend(args)
        return
    # Django reads DATABASE_URL once per process, so each backend runs in its own.
    print(banner("regions.py"), flush=True)
    for backend in ("sqlite", "postgres"):
        options = ["--regions", args.regions, "--samples", args.samples, "--scan-samples", args.scan_samples]
        options += ["--warmup", args.warmup, "--seed", args.seed, "--backend", backend]
        subprocess.run([sys.executable, __file__, *map(str, options)], check=True)  # noqa: S603


if __name__ == "__main__":
    main()
