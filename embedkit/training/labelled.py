"""Reading labelled texts: TSV/CSV (header with ``text``/``label`` detected), JSON lines, fastText ``__label__``.

>>> rows = ["text\\tlabel", "good film\\tpos", "dull\\tneg"]
>>> parse_labelled(rows)
(['good film', 'dull'], ['pos', 'neg'])
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

from embedkit.errors import InputError
from embedkit.io import STDIN, iter_lines, require_file, resolve_data_path

FASTTEXT_PREFIX = "__label__"
TEXT, LABEL = "text", "label"


def _kind(first: str, name: str) -> str:
    if first.startswith(FASTTEXT_PREFIX):
        return "fasttext"
    if name.endswith(".jsonl") or first.lstrip().startswith("{"):
        return "jsonl"
    if name.endswith(".tsv") or "\t" in first:
        return "tsv"
    return "csv"


def _rows(lines: Sequence[str], kind: str) -> list[list[str]]:
    if kind == "tsv":
        return [line.split("\t") for line in lines]
    return [row for row in csv.reader(lines)]


def _column(spec: str | None, default: str, header: list[str] | None, what: str, where: str) -> int | None:
    """Index of a column given by name or 0-based number; ``None`` when unknown without a header."""
    if spec is not None and spec.strip().lstrip("-").isdigit():
        return int(spec)
    name = (spec or default).strip().lower()
    if header is None:
        if spec is not None:
            raise InputError(f"{where}: {what} column '{spec}' given by name, but the file has no header row")
        return None
    if name not in header:
        raise InputError(f"{where}: no {what} column '{name}' (columns: {', '.join(header)}); use --{what}-col")
    return header.index(name)


def _infer(width: int, t: int | None, y: int | None, body: list[list[str]], need_label: bool,
           where: str) -> tuple[int, int | None]:
    """Columns of a headerless table: a two-column table's label is the column with fewer distinct values."""
    if not need_label:
        if t is None and width != 1:
            raise InputError(f"{where}: {width} columns and no 'text' header; use --text-col")
        return t or 0, None
    if width < 2:
        raise InputError(f"{where}: no label column (one column only); give a 'label' column or fastText "
                         "'__label__' lines")
    if t is not None and y is not None:
        return t, y
    if width != 2:
        raise InputError(f"{where}: {width} columns and no 'text'/'label' header; use --text-col and --label-col")
    if t is None and y is None:
        distinct = [len({r[i] for r in body if len(r) == 2}) for i in (0, 1)]
        y = 0 if distinct[0] < distinct[1] else 1
    return (1 - y, y) if t is None else (t, 1 - t)  # type: ignore[operator]


def _table(lines: list[str], kind: str, text_col: str | None, label_col: str | None,
           where: str, need_label: bool) -> tuple[list[str], list[str]]:
    rows = _rows(lines, kind)
    first = [cell.strip().lower() for cell in rows[0]]
    named = [(spec or default).lower() for spec, default in ((text_col, TEXT), (label_col, LABEL))
             if not (spec and spec.isdigit())]
    header = first if any(name in first for name in named) else None
    body = rows[1:] if header else rows
    t = _column(text_col, TEXT, header, "text", where)
    y = _column(label_col, LABEL, header, "label", where) if need_label else None
    width = len(rows[0])
    for what, index in (("text", t), ("label", y)):
        if index is not None and not -width <= index < width:
            raise InputError(f"{where}: --{what}-col {index} is out of range: the file has {width} "
                             f"column{'s' if width != 1 else ''} (numbered from 0)")
    if header is None:
        t, y = _infer(width, t, y, body, need_label, where)
    assert t is not None
    texts, labels = [], []
    for i, row in enumerate(body, start=2 if header else 1):
        if max(t, y or 0) >= len(row):
            raise InputError(f"{where}, line {i}: {len(row)} columns, expected {len(rows[0])}")
        texts.append(row[t])
        if y is not None:
            labels.append(row[y].strip())
    return texts, labels


def _json_string(obj: dict, key: str, where: str, whole_numbers: bool = False) -> str:
    """A JSON field as text: a string, or (for labels) a whole number such as HF datasets' class ids."""
    value = obj[key]
    if isinstance(value, str):
        return value
    if whole_numbers and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    allowed = "a string or a whole number" if whole_numbers else "a string"
    raise InputError(f"{where}: field '{key}' must be {allowed}, got {json.dumps(value)[:40]}")


def _jsonl(lines: list[str], text_col: str | None, label_col: str | None, where: str,
           need_label: bool) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    tkey, ykey = text_col or TEXT, label_col or LABEL
    for i, line in enumerate(lines, start=1):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}, line {i}: not valid JSON ({exc.msg})") from None
        if not isinstance(obj, dict) or tkey not in obj:
            raise InputError(f"{where}, line {i}: no '{tkey}' field")
        texts.append(_json_string(obj, tkey, f"{where}, line {i}"))
        if need_label:
            if ykey not in obj:
                raise InputError(f"{where}, line {i}: no label field '{ykey}'; use --label-col")
            labels.append(_json_string(obj, ykey, f"{where}, line {i}", whole_numbers=True))
    return texts, labels


def _fasttext(lines: list[str], where: str) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for i, line in enumerate(lines, start=1):
        parts = line.split()
        tags = [p for p in parts if p.startswith(FASTTEXT_PREFIX)]
        if not tags:
            raise InputError(f"{where}, line {i}: no '{FASTTEXT_PREFIX}' label")
        labels.append(tags[0][len(FASTTEXT_PREFIX):])
        texts.append(" ".join(p for p in parts if not p.startswith(FASTTEXT_PREFIX)))
    return texts, labels


def parse_labelled(lines: Sequence[str], name: str = "<input>", text_col: str | None = None,
                   label_col: str | None = None, need_label: bool = True) -> tuple[list[str], list[str]]:
    """Texts and labels from the lines of a table, JSON-lines or fastText file (format detected)."""
    kept = [line for line in lines if line.strip()]
    if not kept:
        raise InputError(f"{name}: no texts in the input")
    kind = _kind(kept[0], name.lower())
    if kind == "fasttext":
        texts, labels = _fasttext(kept, name)
        labels = labels if need_label else []
    elif kind == "jsonl":
        texts, labels = _jsonl(kept, text_col, label_col, name, need_label)
    else:
        texts, labels = _table(kept, kind, text_col, label_col, name, need_label)
    if not texts:
        raise InputError(f"{name}: no texts in the input (a header row only)")
    return texts, labels


def read_labelled(source: str | Path, text_col: str | None = None, label_col: str | None = None,
                  encoding: str = "utf-8", need_label: bool = True) -> tuple[list[str], list[str]]:
    """Read a labelled file (or ``-``); with ``need_label=False`` the labels come back empty.

    Without a header and without column options, a two-column table takes the column with fewer
    distinct values as the label; a file of plain lines (``need_label=False``) is one text per line.
    """
    path = resolve_data_path(source)
    if path != STDIN:
        require_file(path)
    name = "<stdin>" if path == STDIN else str(path)
    return parse_labelled(list(iter_lines([path], encoding)), name, text_col, label_col, need_label)


def read_texts(source: str | Path, text_col: str | None = None, encoding: str = "utf-8") -> list[str]:
    """Texts to classify: a table's text column when it has a ``text`` header, else one text per line."""
    path = resolve_data_path(source)
    if path != STDIN:
        require_file(path)
    name = "<stdin>" if path == STDIN else str(path)
    lines = [line for line in iter_lines([path], encoding) if line.strip()]
    if not lines:
        raise InputError(f"{name}: no texts in the input")
    kind = _kind(lines[0], name.lower())
    header = [c.strip().lower() for c in _rows(lines[:1], kind)[0]] if kind in ("tsv", "csv") else []
    if kind in ("fasttext", "jsonl") or text_col is not None or TEXT in header:
        return parse_labelled(lines, name, text_col, None, need_label=False)[0]
    return lines


def read_label_files(files: dict[str, str | Path], encoding: str = "utf-8") -> tuple[list[str], list[str]]:
    """Texts and labels from one plain file per label, one text a line (the MR and SST layout)."""
    if len(files) < 2:
        raise InputError("labelled files: give at least two labels, one file each")
    texts: list[str] = []
    labels: list[str] = []
    for label, source in files.items():
        lines = [line for line in iter_lines([resolve_data_path(source)], encoding) if line.strip()]
        if not lines:
            raise InputError(f"{source}: no texts for label '{label}'")
        texts.extend(lines)
        labels.extend([label] * len(lines))
    return texts, labels


def split_holdout(texts: Sequence[str], labels: Sequence[str], fraction: float,
                  seed: int = 0) -> tuple[tuple[list[str], list[str]], tuple[list[str], list[str]]]:
    """A seeded shuffle split into (kept, held out), ``fraction`` of the rows held out."""
    import random

    if not 0 < fraction < 1:
        raise InputError(f"held-out fraction must be between 0 and 1, got {fraction}")
    order = list(range(len(texts)))
    random.Random(seed).shuffle(order)
    cut = len(order) - max(1, int(len(order) * fraction))
    pick = lambda idx: ([texts[i] for i in idx], [labels[i] for i in idx])  # noqa: E731
    return pick(order[:cut]), pick(order[cut:])
