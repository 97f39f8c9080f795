"""A columnar snapshot of one served data version, so a worker loads a version in milliseconds.

Loading a version from the store streams every observation row through SQLAlchemy and pandas
(~7 s at 1M rows). A snapshot is the served frame itself, column by column, in numpy's .npy
format: each text column (a Categorical) as its codes plus its categories, each number or date
column as its array. A worker maps the files (copy-on-write: the workers of a host share the
pages, and nothing can write through to the file) and wraps them in a DataFrame.

    folder = snapshot_folder(instance / "snapshots", key)
    write(folder, dataset)        # at publish (before head moves) or after a load from the store
    dataset = read(folder, version, updated)   # None when there is none (or it is not whole)

Keyed by the version AND what identifies it in its store (the database, the version's creation
time, the file's sha256: snapshot_key), so two stores sharing an INSTANCE_PATH, a store recreated
from scratch, or several hosts on one PostgreSQL never read each other's snapshot: a host that has
none rebuilds it from the store. A snapshot is written into a temporary folder and renamed into
place whole, and its manifest names its version: a reader sees a whole snapshot of the version it
asked for, or none. numpy only (no pyarrow: see bench/README.md).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from data.domain.dataset import Dataset

FORMAT = 1
MANIFEST = "manifest.json"
KEEP = 4  # snapshots kept per folder (the newest); older ones are removed when a new one is written


def snapshot_key(database: str, version: int, created_at: str, sha256: str | None, action: str) -> str:
    """A folder name that only this version of this store can have."""
    digest = hashlib.sha256("\x1f".join([database, str(version), created_at, sha256 or "", action]).encode()).hexdigest()
    return f"v{int(version)}-{digest[:20]}"


def snapshot_folder(root: Path, key: str) -> Path:
    return Path(root) / key


def _column_spec(name: str, column: pd.Series, folder: Path, index: int) -> dict | None:
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = dtype.categories
        if not all(isinstance(c, str) for c in categories):
            return None
        file = f"c{index}.npy"
        np.save(folder / file, np.ascontiguousarray(column.cat.codes.to_numpy()), allow_pickle=False)
        return {"name": name, "kind": "categorical", "file": file, "categories": list(categories),
                "categories_dtype": str(categories.dtype), "ordered": bool(dtype.ordered)}
    array = column.to_numpy()
    if array.dtype == object or not isinstance(dtype, np.dtype):
        return None  # only plain numpy columns (numbers, datetimes) are written as arrays
    file = f"c{index}.npy"
    np.save(folder / file, np.ascontiguousarray(array), allow_pickle=False)
    return {"name": name, "kind": "array", "file": file, "dtype": str(array.dtype)}


def _catalogue_spec(catalogue: pd.DataFrame) -> dict | None:
    if not all(pd.api.types.is_string_dtype(t) and not isinstance(t, pd.CategoricalDtype) for t in catalogue.dtypes):
        return None
    if catalogue.isna().any().any() or catalogue.index.name != "id":
        return None
    return {"columns": list(catalogue.columns), "dtypes": [str(t) for t in catalogue.dtypes],
            "rows": catalogue.to_numpy(dtype=object).tolist(), "index_dtype": str(catalogue.index.dtype)}


def write(folder: Path, dataset: Dataset) -> bool:
    """Write the dataset's snapshot at `folder`, whole or not at all. False when this dataset's columns
    cannot be snapshotted (then the store stays the only source) or another process wrote it first."""
    folder = Path(folder)
    if (folder / MANIFEST).exists():
        return False
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    placed = False
    try:
        obs = dataset.observations
        if not isinstance(obs.index, pd.RangeIndex) or obs.index.start != 0 or obs.index.step != 1:
            return False
        columns = []
        for i, name in enumerate(obs.columns):
            spec = _column_spec(str(name), obs[name], tmp, i)
            if spec is None:
                return False
            columns.append(spec)
        catalogue = _catalogue_spec(dataset.indicators)
        if catalogue is None:
            return False
        manifest = {"format": FORMAT, "version": int(dataset.version), "rows": len(obs), "columns": columns, "catalogue": catalogue}
        (tmp / MANIFEST).write_text(json.dumps(manifest))
        for path in tmp.iterdir():  # on disk before the folder is renamed into place
            with open(path, "rb") as f:
                os.fsync(f.fileno())
        try:
            os.rename(tmp, folder)  # atomic: readers see the whole folder or nothing
        except OSError:
            return False  # another worker renamed its copy into place first
        placed = True
        _prune(folder.parent, keep=folder.name)
        return True
    finally:
        if not placed:
            shutil.rmtree(tmp, ignore_errors=True)


def _prune(root: Path, keep: str) -> None:
    """Remove all but the newest KEEP snapshots (a worker that maps a removed one keeps its pages)."""
    with contextlib.suppress(OSError):
        found = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).exists()),
                       key=lambda p: p.stat().st_mtime, reverse=True)
        for old in found[KEEP:]:
            if old.name != keep:
                shutil.rmtree(old, ignore_errors=True)


def read(folder: Path, version: int, updated: str = "") -> Dataset | None:
    """The snapshot at `folder` as a Dataset, or None when there is none, it is of another version or
    format, or a file is missing or the wrong length (the caller then loads from the store)."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("format") != FORMAT or manifest.get("version") != int(version):
        return None
    rows = manifest["rows"]
    try:
        data = {}
        for spec in manifest["columns"]:
            array = np.load(folder / spec["file"], mmap_mode="c", allow_pickle=False).view(np.ndarray)  # mapped, plain type
            if array.shape != (rows,):
                return None
            if spec["kind"] == "categorical":
                categories = pd.Index(spec["categories"], dtype=spec["categories_dtype"])
                if rows and (array.min() < -1 or array.max() >= len(categories)):
                    return None
                dtype = pd.CategoricalDtype(categories, ordered=spec["ordered"])
                data[spec["name"]] = pd.Categorical.from_codes(array, dtype=dtype, validate=False)
            else:
                if str(array.dtype) != spec["dtype"]:
                    return None
                data[spec["name"]] = array
        obs = pd.DataFrame(data, index=pd.RangeIndex(rows), copy=False)
        cat = manifest["catalogue"]
        catalogue = pd.DataFrame(cat["rows"], columns=cat["columns"], dtype=object)
        catalogue = catalogue.astype(dict(zip(cat["columns"], cat["dtypes"], strict=True)))
        catalogue = catalogue.set_index("id", drop=False)
        catalogue.index = catalogue.index.astype(cat["index_dtype"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Dataset(catalogue, obs, int(version), updated)
