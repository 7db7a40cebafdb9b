"""The runner inside the sandbox: runs a submission's cells, then answers calls with plain data.

Started by ``exercises/grading/sandbox.py`` inside bubblewrap as::

    python -I /run/grader/runner.py LIMITS_JSON REQUEST_FD REPLY_FD

It sets its own resource limits first (before any student code exists in the process), then
reads requests, one JSON line each, from the pipe REQUEST_FD and writes one JSON line per request
to the pipe REPLY_FD:

``{"op": "cell", "source": "..."}``
    run the code of one notebook cell in the notebook's namespace;
``{"op": "define", "source": "...", "names": [...]}``
    run trusted code (a stand-in for an earlier part) in a fresh namespace and copy ``names``
    into the notebook's namespace;
``{"op": "call", "name": "softmax", "args": [...]}``
    call a function of the notebook on decoded arguments and send back its encoded result.

``{"op": "setup", "source": "..."}``
    run the instructor's setup cell statement by statement;

with ``"errors": "raise"`` a call runs under ``numpy.errstate(over, invalid, divide = "raise")``.
Replies are ``{"ok": true, ...}`` or ``{"ok": false, "error": "ExceptionName", "message": ...}``. The student's
code runs in this process and can change anything in it, including this file's functions: that
only changes what the sandbox answers, and every answer is checked outside, on inputs the
student's code sees only as they arrive. Nothing here decides a point.
"""

import ast
import builtins
import json
import os
import resource
import sys

LIMITS = {"as": resource.RLIMIT_AS, "cpu": resource.RLIMIT_CPU, "nproc": resource.RLIMIT_NPROC,
          "nofile": resource.RLIMIT_NOFILE, "fsize": resource.RLIMIT_FSIZE, "core": resource.RLIMIT_CORE}


def set_limits(limits: dict) -> None:
    for name, value in limits.items():
        if name in LIMITS:
            resource.setrlimit(LIMITS[name], (value, value))


def drop_privileges(uid: int, gid: int) -> None:
    """Become ``uid``/``gid`` for good, with no supplementary groups and no capabilities.

    Only when the grader is root: bubblewrap then starts the runner as uid 0 with just the
    capabilities to change its uid (no user namespace, so the uid is a real, unprivileged host uid).
    """
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    with open("/proc/self/status") as status:
        caps = dict(line.split(":", 1) for line in status if line.startswith("Cap"))
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid) or os.getgroups() \
            or int(caps["CapEff"], 16) or int(caps["CapPrm"], 16) or int(caps["CapAmb"], 16):
        raise SystemExit("the runner could not drop its privileges")


def strip_magics(source: str) -> str:
    """IPython magics and shell escapes are not Python: each such line becomes ``pass``."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        lines.append(line[: len(line) - len(stripped)] + "pass" if stripped[:1] in ("%", "!") else line)
    return "\n".join(lines)


def main() -> None:
    limits = json.loads(sys.argv[1])
    if "uid" in limits:
        drop_privileges(limits["uid"], limits["gid"])
    set_limits(limits)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import wire

    request_fd, reply_fd = int(sys.argv[2]), int(sys.argv[3])
    os.set_inheritable(request_fd, False)  # the student's child processes do not get them
    os.set_inheritable(reply_fd, False)
    requests = os.fdopen(request_fd, "rb", buffering=0)
    replies = os.fdopen(reply_fd, "wb", buffering=0)
    import numpy

    errstate = numpy.errstate  # taken before any student code runs
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    reply = {"ok": True, "ready": True}
    cell_number = 0
    while True:
        replies.write(wire.dumps(reply))
        line = requests.readline()
        if not line:
            return
        request = json.loads(line)
        try:
            if request["op"] == "cell":
                cell_number += 1
                exec(compile(strip_magics(request["source"]), f"<cell {cell_number}>", "exec"), namespace)
                reply = {"ok": True}
            elif request["op"] == "setup":
                # The instructor's setup cell, one statement at a time: a statement that needs a
                # library this part's sandbox does not have fails alone.
                failed = []
                for statement in ast.parse(request["source"]).body:
                    try:
                        exec(compile(ast.Module([statement], []), "<setup>", "exec"), namespace)
                    except Exception as error:
                        failed.append(type(error).__name__)
                reply = {"ok": True, "failed": failed}
            elif request["op"] == "define":
                trusted = {"__name__": "stand_in", "__builtins__": builtins}
                exec(compile(request["source"], "<stand-in>", "exec"), trusted)
                for name in request["names"]:
                    namespace[name] = trusted[name]
                reply = {"ok": True}
            else:
                if request["name"] not in namespace:
                    raise NameError(f"name {request['name']!r} is not defined")
                function = namespace[request["name"]]
                args = [wire.decode(a, max_items=10**8) for a in request["args"]]
                errors = request.get("errors") or "warn"
                with errstate(over=errors, invalid=errors, divide=errors):
                    result = function(*args)
                reply = {"ok": True, "value": wire.encode(result)}
        except BaseException as error:  # noqa: B036 (SystemExit and KeyboardInterrupt are answers too)
            try:
                message = str(error)[:500]
            except BaseException:  # noqa: B036 (a student's exception whose __str__ fails)
                message = ""
            reply = {"ok": False, "error": type(error).__name__[:100], "message": message}


if __name__ == "__main__":
    main()
