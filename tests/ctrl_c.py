#!/usr/bin/env python3
# ctrl_c.py SECONDS CMD... - a terminal's Ctrl-C, for the fault suite: runs CMD in a
# session of its own with SIGINT at its default (a shell started in the
# background ignores it, and a script cannot trap what it inherited
# ignored), then sends SIGINT to its process group after SECONDS; exits
# with its status (killing the group if it runs 120 s more).
import os, signal, subprocess, sys, time
delay = float(sys.argv[1])
p = subprocess.Popen(sys.argv[2:], start_new_session=True,
                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
time.sleep(delay)
os.killpg(p.pid, signal.SIGINT)
try:
    sys.exit(p.wait(timeout=120))
except subprocess.TimeoutExpired:
    os.killpg(p.pid, signal.SIGKILL)
    sys.exit(p.wait())
