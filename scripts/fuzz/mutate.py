"""Structured mutations: what a damaged download, a bad disk or a hostile user does to a file.

Binary files (HDF5, safetensors, gzip) get byte-level damage aimed where it hurts: bit flips,
runs of 0x00/0xFF, integers overwritten with extreme values, truncation, duplicated and
deleted spans, with a bias towards the first kilobytes where headers and metadata live.
Text files get line-level damage (dropped, duplicated, swapped, truncated lines, extreme
numbers, stray separators, invalid UTF-8). JSON files get value-level damage: each mutation
walks the parsed document and replaces one value with a hostile one (huge, negative, NaN-like,
wrong type, deeply nested, empty), removes a key or adds a long string.
"""

import copy
import json
import random
import struct

EXTREME_INTS = [0, -1, 1, 2, 3, 255, 256, 65535, 65536, 2**31 - 1, 2**31, 2**32, 2**53, 2**63 - 1, -(2**31), -(2**63)]
HOSTILE_JSON = [0, -1, 1, 2**31, 2**63 - 1, -(2**63), 10**30, 1e308, -1e308, 1e-320, 0.5, -0.5, 4, "", "x" * 5000,
                None, True, False, [], {}, [[[[[[[[[[[]]]]]]]]]]], "NaN", "\u0000", "é\udcff"[:1], [1] * 1000]


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """One to four byte-level edits, most of them in the first 4 KiB (headers, object headers,
    B-tree roots) and the rest anywhere."""
    b = bytearray(data)
    for _ in range(rng.choice([1, 1, 1, 2, 3, 4])):
        if not b:
            break
        head = min(len(b), 4096)
        pos = rng.randrange(head) if rng.random() < 0.5 else rng.randrange(len(b))
        kind = rng.randrange(8)
        if kind == 0:  # one bit
            b[pos] ^= 1 << rng.randrange(8)
        elif kind == 1:  # one byte
            b[pos] = rng.randrange(256)
        elif kind == 2:  # an integer field set to an extreme value
            width = rng.choice([2, 4, 8])
            value = rng.choice(EXTREME_INTS) & ((1 << (8 * width)) - 1)
            b[pos:pos + width] = value.to_bytes(width, "little")
        elif kind == 3:  # a run of 0x00 or 0xFF
            n = rng.choice([2, 4, 8, 16, 64])
            b[pos:pos + n] = bytes([rng.choice([0, 255])]) * n
        elif kind == 4:  # truncate
            del b[max(1, pos):]
        elif kind == 5:  # delete a span
            del b[pos:pos + rng.choice([1, 8, 64, 512])]
        elif kind == 6:  # duplicate a span
            n = rng.choice([8, 64, 512])
            b[pos:pos] = b[pos:pos + n]
        else:  # a float field set to NaN/Inf/huge
            b[pos:pos + 4] = struct.pack("<f", rng.choice([float("nan"), float("inf"), -float("inf"), 3e38, -1.0]))
    return bytes(b)


def mutate_text(text: bytes, rng: random.Random) -> bytes:
    """One to three line-level edits of a text file (CSV, Matrix Market, TSV, JSONL)."""
    lines = text.split(b"\n")
    for _ in range(rng.choice([1, 1, 2, 3])):
        if not lines:
            lines = [b""]
        i = rng.randrange(len(lines))
        kind = rng.randrange(10)
        line = lines[i]
        if kind == 0:
            del lines[i]
        elif kind == 1:
            lines.insert(i, line)
        elif kind == 2:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == 3:
            lines[i] = line[: rng.randrange(len(line) + 1)]
        elif kind == 4:  # a number replaced by an extreme one
            fields = line.replace(b"\t", b" ").replace(b",", b" ").split(b" ")
            numeric = [k for k, f in enumerate(fields) if f.strip().lstrip(b"-").replace(b".", b"").isdigit()]
            if numeric:
                k = rng.choice(numeric)
                old = fields[k]
                new = rng.choice([b"-1", b"0", b"1e308", b"-1e308", b"nan", b"inf", b"99999999999999999999", b"2147483648",
                                  b"4294967296", b"-2147483649", b"1.5", b"0x10", b""])
                lines[i] = line.replace(old, new, 1)
        elif kind == 5:  # stray separators or quotes
            pos = rng.randrange(len(line) + 1)
            lines[i] = line[:pos] + rng.choice([b",", b"\t", b'"', b"\r", b",,,,", b" ", b"%", b"\\"]) + line[pos:]
        elif kind == 6:  # invalid UTF-8 or NUL
            pos = rng.randrange(len(line) + 1)
            lines[i] = line[:pos] + rng.choice([b"\xff\xfe", b"\x00", b"\xc3", b"\xed\xa0\x80"]) + line[pos:]
        elif kind == 7:  # a very long line
            lines[i] = line + b"x" * rng.choice([1000, 100000])
        elif kind == 8:  # many copies of a line
            lines[i:i] = [line] * rng.choice([10, 1000])
        else:  # byte damage inside the line
            lines[i] = mutate_bytes(line, rng) if line else b"\x00"
    return b"\n".join(lines)


def _paths(value, prefix=()):
    """Every path to a value in a parsed JSON document (down to 32 levels)."""
    yield prefix
    if len(prefix) >= 32:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        # Long lists (vocabularies, merges): a sample of positions is enough.
        for k in range(min(len(value), 50)):
            yield from _paths(value[k], prefix + (k,))


def _set(doc, path, value):
    if not path:
        return value
    target = doc
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = value
    return doc


def _get(doc, path):
    for k in path:
        doc = doc[k]
    return doc


def mutate_json_document(doc, rng: random.Random):
    """One to three value-level edits of a parsed JSON document."""
    for _ in range(rng.choice([1, 1, 2, 3])):
        paths = list(_paths(doc))
        path = rng.choice(paths)
        kind = rng.randrange(6)
        if kind <= 2:  # a hostile value
            # A copy: the shared constants must not be edited by later mutations (a list
            # nested into itself made the document cyclic).
            doc = _set(doc, path, copy.deepcopy(rng.choice(HOSTILE_JSON)))
        elif kind == 3 and path:  # a key or element removed
            parent = _get(doc, path[:-1])
            try:
                del parent[path[-1]]
            except (KeyError, IndexError, TypeError):
                pass
        elif kind == 4:  # a number scaled or negated
            old = _get(doc, path)
            if isinstance(old, (int, float)) and not isinstance(old, bool):
                doc = _set(doc, path, rng.choice([-old, old * 1000, old * 2**20, old + 1, old - 1, old // 2 if isinstance(old, int) else old / 2]))
        else:  # a list emptied or multiplied
            old = _get(doc, path)
            if isinstance(old, list):
                doc = _set(doc, path, rng.choice([[], old * 3, old[::-1]]))
    return doc


def mutate_json(data: bytes, rng: random.Random) -> bytes:
    """A JSON file: value-level edits most of the time, byte damage otherwise."""
    if rng.random() < 0.2:
        return mutate_bytes(data, rng)
    try:
        doc = json.loads(data)
    except ValueError:
        return mutate_bytes(data, rng)
    return json.dumps(mutate_json_document(doc, rng), allow_nan=True).encode("utf-8", "surrogatepass")


def mutate_jsonl(data: bytes, rng: random.Random) -> bytes:
    """A JSON-lines file: one line's document edited, or line-level damage."""
    lines = data.split(b"\n")
    candidates = [i for i, l in enumerate(lines) if l.strip()]
    if rng.random() < 0.6 and candidates:
        for _ in range(rng.choice([1, 1, 2])):
            i = rng.choice(candidates)
            lines[i] = mutate_json(lines[i], rng)
        return b"\n".join(lines)
    return mutate_text(data, rng)
