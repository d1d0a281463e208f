#!/usr/bin/env python3
"""tb_check.py RUN_DIR - reads RUN_DIR/tb/events.out.tfevents.* as TensorBoard
does, with no TensorBoard: every TFRecord frame's two masked CRC-32Cs, the
protobuf Event of each (file_version first, then scalars), and every figure
of RUN_DIR/metrics.jsonl found among the scalars at its step (the newest
file's value where a resumed run logged a step again).  Prints what it
matched; exits 1 on the first mismatch or damaged record."""
import glob, json, math, os, struct, sys


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 & -(c & 1))
    return c ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def varint(b, i):
    v = s = 0
    while True:
        x = b[i]; i += 1
        v |= (x & 0x7F) << s; s += 7
        if x < 0x80:
            return v, i


def fields(b):
    """(field, wire, value) of one protobuf message."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        f, w = key >> 3, key & 7
        if w == 0:
            v, i = varint(b, i)
        elif w == 1:
            v = struct.unpack_from("<d", b, i)[0]; i += 8
        elif w == 5:
            v = struct.unpack_from("<f", b, i)[0]; i += 4
        elif w == 2:
            n, i = varint(b, i); v = b[i:i + n]; i += n
        else:
            raise ValueError(f"wire type {w}")
        yield f, w, v


def fail(msg):
    print("tb_check: " + msg)
    sys.exit(1)


def read(path, scalars):
    data = open(path, "rb").read()
    i = n = 0
    while i < len(data):
        if i + 12 > len(data):
            fail(f"{path}: a truncated record at byte {i}")
        hdr = data[i:i + 8]
        (length,) = struct.unpack("<Q", hdr)
        (lc,) = struct.unpack_from("<I", data, i + 8)
        if lc != masked(hdr):
            fail(f"{path}: record {n}: the length's CRC does not match")
        body = data[i + 12:i + 12 + length]
        (dc,) = struct.unpack_from("<I", data, i + 12 + length)
        if len(body) != length or dc != masked(body):
            fail(f"{path}: record {n}: the data's CRC does not match")
        ev = {f: v for f, _, v in fields(body)}
        if n == 0:
            if ev.get(3) != b"brain.Event:2":
                fail(f"{path}: the first record is not the file version: {ev}")
        else:
            if 1 not in ev or 5 not in ev:
                fail(f"{path}: record {n} has no wall_time or summary")
            for f, _, val in fields(ev[5]):
                v = {ff: vv for ff, _, vv in fields(val)}
                scalars[(v[1].decode(), ev.get(2, 0))] = v[2]
        i += 12 + length + 4
        n += 1
    return n


def main():
    run = sys.argv[1]
    files = sorted(glob.glob(os.path.join(run, "tb", "events.out.tfevents.*")),
                   key=os.path.getmtime)
    if not files:
        fail(f"{run}/tb: no event files")
    scalars = {}
    records = sum(read(f, scalars) for f in files)
    want = []
    for line in open(os.path.join(run, "metrics.jsonl")):
        o = json.loads(line)
        if o.get("event") == "checkpoint":
            want.append(("checkpoint/stall_ms", o["step"], o["stall_ms"]))
        elif "split" in o:
            want += [(o["split"] + "/loss", o["step"], o["loss"]), (o["split"] + "/ppl", o["step"], o["ppl"])]
        elif "loss" in o and "event" not in o:
            want += [("train/" + k, o["step"], o[m]) for k, m in
                     (("loss", "loss"), ("ppl", "ppl"), ("lr", "lr"), ("grad_norm", "grad_norm"),
                      ("tok_per_s", "tok_per_s"))]
    for tag, step, v in want:
        got = scalars.get((tag, step))
        if got is None:
            fail(f"{tag} at step {step} is in metrics.jsonl ({v}) but in no event file")
        if not math.isclose(got, v, rel_tol=1e-5, abs_tol=1e-3):
            fail(f"{tag} at step {step}: {got} in the events, {v} in metrics.jsonl")
    print(f"tb_check: {len(files)} files, {records} records, every CRC good; "
          f"{len(want)} figures of metrics.jsonl equal")


main()
