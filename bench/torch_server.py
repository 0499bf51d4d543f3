# PyTorch as one of a benchmark's interleaved contenders (see isolated() in bench/harness.ts).
# usage: python3 torch_server.py CODE
#
# CODE is Python source that defines the contender: setup() (returns None, or a reason not to time it), before()
# (untimed, at the start of each rep), run() (one rep) and result() (anything JSON can carry, for the report).
# Requests arrive one per line on stdin as JSON {"id": n, "cmd": "setup" | "run" | "result"}; each gets one line
# on stdout, {"id": n, "value": ...} or {"id": n, "error": "..."}. A "run" is before() and then run(), timed, in
# milliseconds. The first line out, {"id": -1}, says the server is listening. End of input ends it.
import json
import sys
import time
import traceback

contender = {}
exec(sys.argv[1], contender)
# Anything CODE prints would be taken for a reply: its output goes to stderr.
out, sys.stdout = sys.stdout, sys.stderr


def reply(message):
    out.write(json.dumps(message) + "\n")
    out.flush()


reply({"id": -1})
for line in sys.stdin:
    request = json.loads(line)
    try:
        if request["cmd"] == "setup":
            value = contender["setup"]()
        elif request["cmd"] == "run":
            contender["before"]()
            t0 = time.perf_counter()
            contender["run"]()
            value = (time.perf_counter() - t0) * 1000.0
        else:
            value = contender["result"]()
        reply({"id": request["id"], "value": value})
    except Exception:
        reply({"id": request["id"], "error": traceback.format_exc()})
