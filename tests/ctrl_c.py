import os, signal, subprocess, sys, time
# run argv in a new session with SIGINT at its default, then send SIGINT to
# its process group after the given seconds, as a terminal's Ctrl-C does
delay = float(sys.argv[1])
p = subprocess.Popen(sys.argv[2:], start_new_session=True,
                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
time.sleep(delay)
os.killpg(p.pid, signal.SIGINT)
sys.exit(p.wait())
