#!/usr/bin/env python3
"""Row-by-row fidelity of two `record-client` recordings (rcmp's side against OpenSSL's side).

`record-client` (in <shared>/conformance/openssl-cmp/) keeps, per client invocation N of a
conformance run, its argv, exit code, stdout, stderr and the certificates of every output file.
Two recordings of the same corpus line up row by row. A row is *identical* when, after
canonicalisation, these agree:

  - the exit code;
  - every `CMP info:` / `CMP warning:` line, in order, together with the stream it went to;
  - which stream(s) carried `CMP error:` lines (their wording may differ);
  - the output files: which exist, how many certificates each holds, and its size.

Canonicalisation: OpenSSL's `func:file:line:` prefix is dropped, the temporary corpus folder,
port numbers and transaction IDs are replaced by placeholders, trailing blanks are cut. This is
the comparison of the shared `compare-records` (whose summary line calls the figure "identical
except error wording"), re-implemented here so CI can report every difference of a row.

Usage: .ci/fidelity.py REFERENCE CANDIDATE [-v]   (prints the summary; -v also each differing row)
Exit status 0, or 2 when a folder is not a recording. Python 3 standard library only.
"""

import difflib
import os
import re
import sys

PREFIX = re.compile(r"^[A-Za-z_0-9]+:[^:]*:[0-9]+:")
ASPECTS = ("rc", "info", "error_stream", "files")


def canon(line):
    line = PREFIX.sub("", line).rstrip()
    line = re.sub(r"/tmp/cmp-conformance-[a-z0-9_]+", "TMP", line)
    line = re.sub(r"([A-Za-z0-9.\]-]):\d{4,5}\b", r"\1:PORT", line)
    return re.sub(r"(ID=|transactionID=)[0-9A-F:]+", r"\1X", line)


def read(folder, n, name):
    path = os.path.join(folder, str(n), name)
    if not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def row(folder, n):
    """The comparable facts of invocation n of a recording."""
    out = [canon(ln) for ln in read(folder, n, "out").splitlines()]
    err = [canon(ln) for ln in read(folder, n, "err").splitlines()]
    kinds = ("CMP info:", "CMP warning:")
    info = ["stdout " + ln for ln in out if ln.startswith(kinds)]
    info += ["stderr " + ln for ln in err if ln.startswith(kinds)]
    streams = [s for s, lines in (("stdout", out), ("stderr", err))
               if any(ln.startswith("CMP error:") for ln in lines)]
    args = [canon(a) for a in read(folder, n, "argv").splitlines()]
    first_opt = next((i for i, a in enumerate(args) if a.startswith("-")), len(args))
    return {
        "args": args[first_opt:],
        "rc": read(folder, n, "rc").strip(),
        "info": info,
        "error_stream": "+".join(streams) or "none",
        "files": read(folder, n, "files").splitlines(),
        "errors": [ln for ln in out + err if ln.startswith("CMP error:")],
    }


def count(folder):
    try:
        with open(os.path.join(folder, "counter"), encoding="utf-8") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def describe(n, a, b):
    """The differences of one row, as text lines."""
    lines = ["row %d: %s" % (n, " ".join(a["args"])[:400])]
    if a["rc"] != b["rc"]:
        lines.append("  exit code: OpenSSL %s, rcmp side %s" % (a["rc"], b["rc"]))
    if a["info"] != b["info"]:
        lines.append("  info/warning lines (- OpenSSL, + rcmp side):")
        for d in difflib.unified_diff(a["info"], b["info"], lineterm="", n=0):
            if not d.startswith(("---", "+++", "@@")):
                lines.append("    " + d)
    if a["error_stream"] != b["error_stream"]:
        lines.append("  CMP error lines on: OpenSSL %s, rcmp side %s"
                     % (a["error_stream"], b["error_stream"]))
        lines.append("    OpenSSL: %s" % a["errors"][:3])
        lines.append("    rcmp side: %s" % b["errors"][:3])
    if a["files"] != b["files"]:
        lines.append("  files: OpenSSL %s, rcmp side %s" % (a["files"], b["files"]))
    return lines


def compare(ref, cand):
    """{'rows', 'identical', 'same': {aspect: n}, 'misaligned', 'diffs': [text lines per row]}."""
    na, nb = count(ref), count(cand)
    if na is None or nb is None:
        raise ValueError("not a record-client folder: %s" % (ref if na is None else cand))
    res = {"rows": max(na, nb), "identical": 0, "same": dict.fromkeys(ASPECTS, 0),
           "misaligned": 0, "diffs": []}
    for n in range(1, min(na, nb) + 1):
        a, b = row(ref, n), row(cand, n)
        if a["args"] != b["args"]:
            res["misaligned"] += 1
        same = [k for k in ASPECTS if a[k] == b[k]]
        for k in same:
            res["same"][k] += 1
        if len(same) == len(ASPECTS) and a["args"] == b["args"]:
            res["identical"] += 1
        else:
            res["diffs"].append(describe(n, a, b))
    return res


def summary(res):
    s = res["same"]
    return ("rows %d: identical except error wording %d; same exit %d, same info/warning lines %d, "
            "same error stream %d, same files %d; misaligned %d"
            % (res["rows"], res["identical"], s["rc"], s["info"], s["error_stream"], s["files"],
               res["misaligned"]))


def main(argv):
    args = [a for a in argv if a != "-v"]
    if len(args) != 2:
        print(next(ln for ln in __doc__.splitlines() if ln.startswith("Usage:")))
        return 2
    try:
        res = compare(args[0], args[1])
    except ValueError as e:
        print("fidelity: %s" % e)
        return 2
    if "-v" in argv:
        for d in res["diffs"]:
            print("\n".join(d))
    print(summary(res))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
