"""Sub-command: warehouse — init (a DuckLake catalog, once), migrate, compact, copy (file → DuckLake)."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from ..cli import UserError
from ..console import plural
from .common import add_safety_args, confirm, db_from, declined, optional_config, print_json


def _args(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init",
        help="create the warehouse once (a DuckLake catalog: its tables, data path and schema)",
        description="create the warehouse once: a DuckLake catalog (tables, data path, schema) or a DuckDB file",
    )
    _data_path_arg(init)
    init.set_defaults(handler=cmd_init, database="create")

    migrate = actions.add_parser(
        "migrate",
        help="apply the pending schema migrations (writers also do on first use)",
        description="apply the pending schema migrations (writers also do on first use)",
    )
    migrate.add_argument("--dry-run", action="store_true", help="list the pending migrations, apply nothing")
    migrate.set_defaults(handler=cmd_migrate)

    compact = actions.add_parser(
        "compact",
        help="DuckLake upkeep: merge small files, expire old snapshots, delete unreferenced files",
        description="DuckLake upkeep: merge small files, expire old snapshots, delete unreferenced files",
    )
    compact.add_argument(
        "--keep-days",
        type=int,
        metavar="N",
        help="expire snapshots older than N days (default [warehouse] keep_snapshots_days)",
    )
    add_safety_args(compact, "the snapshots and files that would be removed")
    compact.add_argument("--json", action="store_true", help="print the result as JSON")
    compact.set_defaults(handler=cmd_compact)

    copy = actions.add_parser(
        "copy",
        help="copy the warehouse (e.g. the DuckDB file) into another one (a DuckLake), verified table by table",
        description="copy the warehouse (e.g. the DuckDB file) into another one (a DuckLake); "
        "row counts and a content hash of every table are verified",
    )
    copy.add_argument("--to", required=True, metavar="TARGET", help="`ducklake:CATALOG` (or a DuckDB file)")
    _data_path_arg(copy, "a target not initialised yet")
    copy.add_argument(
        "--force", action="store_true", help="replace the rows of a target that is not empty (asks first)"
    )
    add_safety_args(copy, "what would be copied")
    copy.add_argument("--json", action="store_true", help="print the result as JSON")
    copy.set_defaults(handler=cmd_copy)


def _data_path_arg(p: argparse.ArgumentParser, which: str = "a new DuckLake") -> None:
    p.add_argument(
        "--data-path",
        metavar="PATH",
        help=f"DuckLake data files of {which} (default [warehouse] data_path)",
    )


def _warehouse(args: argparse.Namespace):
    from warehouse.target import Warehouse

    cfg = optional_config(args)
    db = db_from(args, cfg)
    data_path = getattr(args, "data_path", None)
    if data_path and db.is_lake and getattr(args, "action", "") == "init":
        db = Warehouse.lake(db.location, data_path)
    return cfg, db


def cmd_init(args: argparse.Namespace) -> int:
    from warehouse.admin import AlreadyInitialised, init_warehouse
    from warehouse.db import DatabaseMissing

    _, db = _warehouse(args)
    try:
        result = init_warehouse(db)
    except AlreadyInitialised as exc:
        raise UserError(str(exc)) from None
    except DatabaseMissing as exc:  # no data path for a new DuckLake
        raise UserError(str(exc)) from None
    version = result.applied[-1][:4] if result.applied else "-"
    where = f"; data files under {result.data_path}" if result.data_path else ""
    print(
        f"initialised {db.name}: {plural(len(result.applied), 'migration')} applied (schema {version}){where}"
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from warehouse.admin import migrate_warehouse

    _, db = _warehouse(args)
    result = migrate_warehouse(db, dry_run=args.dry_run)
    if not result.pending:
        print(f"{db.name} is up to date: no pending migrations")
        return 0
    verb = "would apply" if args.dry_run else "applied"
    names = result.pending if args.dry_run else result.applied
    print(f"{db.name}: {verb} {plural(len(names), 'migration')}:")
    for name in names:
        print(f"  {name}")
    return 0


def cmd_compact(args: argparse.Namespace) -> int:
    from warehouse.admin import compact

    cfg, db = _warehouse(args)
    if not db.is_lake:
        print(f"{db.name} is a DuckDB file: nothing to compact (compaction is for a DuckLake)")
        return 0
    keep = args.keep_days if args.keep_days is not None else (cfg.warehouse.keep_snapshots_days if cfg else 7)
    if keep < 0:
        raise UserError("--keep-days must be 0 or more")
    preview = compact(db, keep, dry_run=True)
    text = (
        f"{db.name}: would expire {plural(len(preview.expired_snapshots), 'snapshot')} older than "
        f"{plural(keep, 'day')} and delete {plural(len(preview.deleted_files), 'unreferenced file')}; "
        f"then merge adjacent small files ({plural(preview.data_files, 'data file')} now)"
    )
    if not confirm(args, text, "Compact now?"):
        if args.json and args.dry_run:
            print_json(asdict(preview))
        return declined(args) if not args.json else 0
    result = compact(db, keep)
    if args.json:
        print_json(asdict(result))
        return 0
    merged_in = sum(n for n, _ in result.merged.values()) + sum(n for n, _ in result.rewritten.values())
    merged_out = sum(n for _, n in result.merged.values()) + sum(n for _, n in result.rewritten.values())
    print(
        f"compacted {db.name}: {plural(sum(result.flushed_rows.values()), 'inlined row')} written to files, "
        f"{plural(merged_in, 'file')} merged into {merged_out}, "
        f"{plural(len(result.expired_snapshots), 'snapshot')} expired (older than {plural(keep, 'day')}), "
        f"{plural(len(result.deleted_files), 'unreferenced file')} deleted; "
        f"{plural(result.data_files, 'data file')} now"
    )
    return 0


def cmd_copy(args: argparse.Namespace) -> int:
    from warehouse.target import Warehouse, as_warehouse
    from warehouse.transfer import CopyError, copy_warehouse, plan_copy

    _, source = _warehouse(args)
    target = as_warehouse(args.to)
    if args.data_path and target.is_lake:
        target = Warehouse.lake(target.location, args.data_path)
    try:
        plan = plan_copy(source, target)
    except CopyError as exc:
        raise UserError(str(exc)) from None
    rows = sum(plan.source_rows.values())
    what = f"{plural(rows, 'row')} in {plural(len(plan.source_rows), 'table')} from {source.name} to {target.name}"
    if plan.target_total and not args.force:
        raise UserError(
            f"{target.name} is not empty ({plural(plan.target_total, 'row')}): "
            "copy into an empty warehouse, or pass --force to replace its rows"
        )
    if plan.target_total:
        preview = f"would delete {plural(plan.target_total, 'row')} in {target.name} and copy {what}"
    else:
        preview = f"would copy {what}" + ("" if plan.target_exists else f" (initialising {target.name})")
    if args.dry_run and args.json:
        print_json(asdict(plan))
        return 0
    asks = args.dry_run or plan.target_total  # only replacing rows asks first
    if asks and not confirm(args, preview, f"Replace the rows of {target.name}?"):
        return declined(args)
    try:
        result = copy_warehouse(source, target, replace=args.force)
    except CopyError as exc:
        raise UserError(str(exc)) from None
    if args.json:
        print_json({**asdict(result), "rows": result.rows})
        return 0
    print(
        f"copied {plural(result.rows, 'row')} in {plural(len(result.tables), 'table')} from {source.name} "
        f"to {target.name}; row counts and content hashes verified"
        + (f" ({plural(result.replaced_rows, 'row')} replaced)" if result.replaced_rows else "")
    )
    return 0


COMMANDS = {
    "warehouse": (
        "warehouse administration: init (a DuckLake catalog, once), migrate, compact, copy",
        _args,
        None,
        True,
    ),
}
