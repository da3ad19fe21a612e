"""A prepared set of ITACA's size made by tiling a smaller prepared set (no demo rebuild).

`bench/scale_itaca.py` builds a 13,600-record archive with the demo generator and prepares it
(about 13 minutes on 2 cores). To measure one step at that size (e.g. `seisgan evaluate`),
this script repeats the records of an existing prepared set instead, in the same layout
(docs/contracts.md, section 2): ``waveforms.npy`` float32 (N, 3, 8000) z-scored,
``records.parquet`` with unique ``record_id`` / ``event_id`` (copy k gets the suffix ``~k``),
``row`` 0..N-1, the ``split`` of the source record, ``manifest.json``; and the noise windows
likewise. Copy k scales each record's amplitude (its ``mean_*``, ``std_*`` and
``log10_pga_*``) by 1 + k/100 so the copies are not bit-identical records; the z-scored
waveforms are the source's.

    python bench/tile_prepared.py data/processed/demo /tmp/itaca-tiled --records 13600

The waveforms are written block by block (never the whole array in memory), to a temporary
folder renamed into place at the end.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seisgan_core.preparation import load_prepared  # noqa: E402


def _tile_table(table: pd.DataFrame, n: int) -> pd.DataFrame:
    """Rows 0..n-1 of the source table repeated, ids made unique, amplitudes scaled."""
    table = table.sort_values("row").reset_index(drop=True)
    m = len(table)
    copy = np.arange(n) // m
    out = table.iloc[np.arange(n) % m].reset_index(drop=True)
    suffix = pd.Series([f"~{k}" if k else "" for k in copy], dtype="string")
    for col in ("record_id", "event_id"):
        if col in out:
            out[col] = out[col].astype("string") + suffix
    scale = 1.0 + copy / 100.0
    for c in "enz":
        for name in (f"mean_{c}", f"std_{c}"):
            if name in out:
                out[name] = out[name] * scale
        if f"log10_pga_{c}" in out:
            out[f"log10_pga_{c}"] = out[f"log10_pga_{c}"] + np.log10(scale)
    out["row"] = np.arange(n, dtype=np.int64)
    return out


def _tile_array(source: np.ndarray, rows: np.ndarray, path: Path, block: int = 512) -> None:
    """Write ``source[rows]`` to ``path`` as a .npy file, one block of records at a time."""
    shape = (rows.size, *source.shape[1:])
    header = {"descr": np.lib.format.dtype_to_descr(source.dtype), "fortran_order": False,
              "shape": shape}  # fmt: skip
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, header)
        for i in range(0, rows.size, block):
            fh.write(np.ascontiguousarray(source[rows[i : i + block]]).tobytes())


def tile(source: Path, out: Path, records: int, noise: int | None = None) -> Path:
    """Tile the prepared set ``source`` into ``out`` with ``records`` records (and noise)."""
    prepared = load_prepared(source)
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    m = len(prepared.waveforms)
    # Rows in order: copy k of source row r is row k * m + r (the source's rows are 0..m-1).
    _tile_array(prepared.waveforms, np.arange(records) % m, tmp / "waveforms.npy")
    _tile_table(prepared.records, records).to_parquet(tmp / "records.parquet", index=False)
    manifest = dict(prepared.manifest)
    counts = dict(manifest.get("counts", {}))
    counts["records"] = records
    n_noise = 0
    if prepared.noise is not None and prepared.noise_records is not None:
        n_noise = len(prepared.noise) if noise is None else noise
        if n_noise:
            k = len(prepared.noise)
            _tile_array(prepared.noise, np.arange(n_noise) % k, tmp / "noise.npy")
            _tile_table(prepared.noise_records, n_noise).to_parquet(
                tmp / "noise.parquet", index=False
            )
    counts["noise"] = n_noise
    manifest["counts"] = counts
    table = pd.read_parquet(tmp / "records.parquet", columns=["split"])
    manifest["split_counts"] = table["split"].value_counts().to_dict()
    manifest["tiled_from"] = {"path": str(source), "records": m, "tool": "bench/tile_prepared.py"}
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path, help="a prepared set (seisgan prepare)")
    parser.add_argument("out", type=Path, help="the tiled prepared set to write")
    parser.add_argument("--records", type=int, default=13600)
    parser.add_argument("--noise", type=int, default=500, help="noise windows (tiled too)")
    args = parser.parse_args(argv)
    out = tile(args.source, args.out, args.records, args.noise)
    print(f"wrote {out}: {args.records} records, {args.noise} noise windows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
