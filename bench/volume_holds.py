"""Files held by the volume gate, before and after the count model (issue 14), on the detection bench's worlds.

    .venv/bin/python bench/volume_holds.py --old-src DIR [--days 30] [--scale 1] [--worlds a b c d] [--work DIR]

Each world of bench/detection.py is simulated into a scratch folder (in pieces as the bench runs it: world c
in three runs), and after each piece only the extract+validate step of the file sources runs (no dbt), once
with the code in ``--old-src`` (an unpacked earlier commit: ``git archive <commit> | tar -x -C DIR``) and once
with this checkout, each on its own work directory. Held files are counted from each ledger.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def extract(landing: str, work: str) -> dict:
    """Take every pending file batch of telecom and finance (extract + validate only); the ledger's holds."""
    from flows import workdb
    from flows.ingest.extract.files import load_file_batch, pending_batches
    from flows.ingest.validate import open_context
    from flows.settings import Settings

    settings = Settings(landing=landing, work_dir=Path(work))
    with workdb.connect(settings) as con:
        ctx = open_context(settings)
        for source in ("telecom", "finance"):
            for b in pending_batches(con, settings, source):
                load_file_batch(con, settings, b, "bench", ctx)
        rows = con.execute(
            "select source, batch, file, status, message from audit.load_ledger "
            "where status in ('held', 'held_file') order by 1, 2, 3"
        ).fetchall()
        batches = con.execute("select status, count(*) from audit.batches group by 1 order by 1").fetchall()
    return {"held": [list(r) for r in rows], "batches": dict(batches)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--old-src", type=Path, required=True)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--worlds", nargs="*", default=None)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()))
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    from bench.detection import WORLDS, split_days

    out = {}
    for w in WORLDS:
        if args.worlds and w.key not in args.worlds:
            continue
        root = Path(tempfile.mkdtemp(prefix=f"volume-holds-{w.key}-", dir=args.work))
        env = {k: v for k, v in os.environ.items() if not k.startswith("FRAUDBRAIN_")}
        env.update(PREFECT_HOME=str(root / "prefect"), GX_ANALYTICS_ENABLED="false", NO_COLOR="1")
        result = {}
        for piece in split_days(args.days, w.runs):
            cmd = [str(Path(sys.executable).parent / "fraudbrain"), "simulate", "--landing", str(root / "landing")]
            cmd += ["--police-url", f"sqlite:///{root / 'police.db'}", "--truth", str(root / "truth")]
            cmd += ["--days", str(piece), "--scale", str(args.scale), "--seed", str(w.seed), "--no-progress"]
            for k, v in w.knobs.items():
                cmd += ["--set", f"{k}={v}"]
            subprocess.run(cmd, env=env, check=True, capture_output=True, cwd=REPO)
            for label, path in (("before", str(args.old_src)), ("after", str(REPO))):
                run_env = {**env, "PYTHONPATH": path}
                code = f"import json,sys; sys.path.insert(0, {str(REPO / 'bench')!r}); import volume_holds as v; "
                code += f"print(json.dumps(v.extract({str(root / 'landing')!r}, {str(root / ('work-' + label))!r})))"
                done = subprocess.run(
                    [sys.executable, "-c", code], env=run_env, check=True, capture_output=True, text=True, cwd=root
                )
                result[label] = json.loads(done.stdout.strip().splitlines()[-1])
        out[w.key] = {"name": w.name, "knobs": w.knobs, **result}
        print(json.dumps({w.key: out[w.key]}, ensure_ascii=False), flush=True)
    print("world  before  after")
    for key, r in out.items():
        print(f"{key:5}  {len(r['before']['held']):6}  {len(r['after']['held']):5}")


if __name__ == "__main__":
    main()
