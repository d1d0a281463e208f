#!/usr/bin/env bash
# slurm.sh ENGRAM MPIEXEC - scripts/slurm-example.sbatch on a real Slurm
# cluster: munged, slurmctld and one slurmd with 2 CPUs, brought up here in
# a scratch directory with their own slurm.conf, ports on loopback and all
# state inside it.  The job's 2 tasks (srun --mpi=pmix) must train what
# plain mpirun trains (the same checkpoint, bit for bit, and the same
# validation loss); `scancel --signal=USR1` must make the job checkpoint
# and exit 75, and its requeue must continue from that checkpoint to the
# same result.  Skips (exit 77) only where Slurm or munge is not installed
# or the daemons do not start; brings everything down afterwards.
set -u
engram=$(readlink -f "$1")
mpiexec=$2
example=$(readlink -f "$(dirname "$0")/../scripts/slurm-example.sbatch")
. "$(dirname "$0")/lib.sh"
t_start=$(date +%s)

for b in munged slurmctld slurmd sbatch srun scontrol scancel sinfo; do
	command -v "$b" > /dev/null || { echo "SKIP: $b is not installed (apt-get install slurmctld slurmd slurm-client munge)"; exit 77; }
done

cleanup() {
	[ "${up:-0}" -eq 1 ] && scancel --full --quiet -u root 2> /dev/null
	for f in "$dir"/slurmd.pid "$dir"/slurmctld.pid "$dir"/munge/pid; do
		[ -s "$f" ] && kill "$(cat "$f" 2> /dev/null)" 2> /dev/null
	done
	for f in "$dir"/slurmd.pid "$dir"/slurmctld.pid "$dir"/munge/pid; do
		p=$(cat "$f" 2> /dev/null) || continue
		for _ in $(seq 50); do kill -0 "$p" 2> /dev/null || break; sleep 0.1; done
		kill -9 "$p" 2> /dev/null
	done
	# the job steps' slurmstepd end a moment after their slurmd
	for _ in $(seq 50); do pgrep -x slurmstepd > /dev/null || break; sleep 0.1; done
	rm -rf "$dir"
}
trap cleanup EXIT
skip() { echo "SKIP: $*"; for f in "$dir"/log/*.log; do echo "--- $f"; tail -5 "$f"; done; exit 77; }

# munge: its own key and socket, no system files touched
mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log" "$dir/work"
chmod 700 "$dir/munge"
head -c 1024 /dev/urandom > "$dir/munge/key" && chmod 600 "$dir/munge/key"
munged --force --socket="$dir/munge/sock" --key-file="$dir/munge/key" \
	--log-file="$dir/log/munged.log" --pid-file="$dir/munge/pid" \
	--seed-file="$dir/munge/seed" || skip "munged does not start"

# ports from the pid, so that two test runs do not meet
port=$(( 20000 + ($$ % 5000) * 2 ))
export SLURM_CONF=$dir/slurm.conf
cat > "$SLURM_CONF" <<EOF
ClusterName=engramtest
SlurmctldHost=$(hostname)(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/sock
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
JobRequeue=1
MinJobAge=600
KillWait=5
NodeName=n1 NodeHostname=$(hostname) NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=test Nodes=n1 Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -f "$SLURM_CONF" || skip "slurmctld does not start"
slurmd -f "$SLURM_CONF" -N n1 || skip "slurmd does not start"
up=0
for _ in $(seq 100); do
	sinfo -h -o %T 2> /dev/null | grep -q '^idle' && { up=1; break; }
	sleep 0.2
done
[ "$up" -eq 1 ] || skip "the node did not come up: $(sinfo 2>&1 | tail -1)"
t_up=$(date +%s)

# a small character data set (lib.sh's grammar); a run of a few seconds
grammar_text 1400 . > "$dir/t.txt"
"$engram" prepare --quiet --tokenizer char -o "$dir/t.h5" "$dir/t.txt" || bad "prepare"
args="--layers 2 --hidden 96 --embed 16 --bptt 16 --batch 4 --epochs 2 --optimizer adam
	--lr 0.003 --dropout 0.1 --seed 5 --ckpt-every 40 --keep 50 --log-every 20 --quiet"

# job ID: the job's state, its exit code and its restart count
job_field() { scontrol show job "$1" 2> /dev/null | grep -o "$2=[^ ]*" | head -1 | cut -d= -f2; }
wait_job() { # ID SECONDS: until the job has ended for good
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		case $(job_field "$1" JobState) in
		COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) return 0 ;;
		esac
		sleep 0.2
	done
	return 1
}
submit() { # RUN_DIR: the job id; 2 tasks on the one node
	ENGRAM=$engram ENGRAM_DATA=$dir/t.h5 ENGRAM_RUN_DIR=$1 ENGRAM_ARGS=$args \
		sbatch --parsable --chdir="$dir/work" --nodes=1 --ntasks-per-node=2 --cpus-per-task=1 \
		--time=10 --output="$1.out" "$example" 2> "$1.sbatch.err"
}
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
valid_loss() { grep '"split":"valid"' "$1/metrics.jsonl" | tail -1 | grep -o '"loss":[0-9.e+-]*' | cut -d: -f2; }

# 1. the job trains what mpirun trains
read -r -d '' -a a <<<"$args"
"$mpiexec" -n 2 "$engram" train --data "$dir/t.h5" --run-dir "$dir/plain" "${a[@]}" --threads 1 \
	> "$dir/plain.log" 2>&1 || bad "plain mpirun: $(tail -2 "$dir/plain.log")"
t0=$(date +%s.%N)
id=$(submit "$dir/slurm")
[ -n "$id" ] || bad "sbatch: $(cat "$dir/slurm.sbatch.err")"
wait_job "$id" 120 || bad "job $id did not end in 120 s: $(scontrol show job "$id" | head -5)"
t_job=$(since "$t0")
[ "$(job_field "$id" JobState)" = COMPLETED ] && [ "$(job_field "$id" ExitCode)" = 0:0 ] &&
	ok || bad "job $id: $(job_field "$id" JobState) $(job_field "$id" ExitCode): $(tail -3 "$dir/slurm.out")"
grep -q '2 ranks x 1 thread' "$dir/slurm.out" && ok || bad "the job did not run 2 ranks: $(head -3 "$dir/slurm.out")"
"$engram" ckpt diff "$dir/plain" "$dir/slurm" > "$dir/diff.log" 2>&1 &&
	ok || bad "the Slurm job's checkpoint differs from mpirun's: $(tail -3 "$dir/diff.log")"
vp=$(valid_loss "$dir/plain") vs=$(valid_loss "$dir/slurm")
awk -v a="$vp" -v b="$vs" 'BEGIN { d = a - b; exit !(a != "" && (d < 0 ? -d : d) <= 1e-4) }' &&
	ok || bad "validation loss: mpirun $vp, Slurm $vs"

# 2. preemption: once the job has written a checkpoint, SIGUSR1 to its
# ranks; it checkpoints, exits 75 and requeues itself, and the second start
# resumes there and ends where the uninterrupted run ended
id=$(submit "$dir/pre")
for _ in $(seq 600); do
	ls "$dir"/pre/ckpt-s*.h5 > /dev/null 2>&1 && break
	sleep 0.1
done
scancel --signal=USR1 "$id" || bad "scancel --signal=USR1 $id"
t0=$(date +%s.%N)
# slurmctld holds a requeued batch job back for a while (BeginTime, two
# minutes here) before it may start again; a test need not wait for it
for _ in $(seq 300); do
	[ "$(job_field "$id" Restarts)" = 1 ] && [ "$(job_field "$id" JobState)" = PENDING ] && {
		scontrol update JobId="$id" StartTime=now; break; }
	sleep 0.1
done
wait_job "$id" 180 || bad "preempted job $id did not end in 180 s: $(tail -3 "$dir/pre.out")"
t_pre=$(since "$t0")
grep -q 'engram: exit 75 (stopped on a signal, checkpoint written): requeued' "$dir/pre.out" &&
	grep -q 'stopped on a signal' "$dir/pre.out" && ok ||
	bad "no exit 75 on SIGUSR1: $(grep -v '^ ' "$dir/pre.out" | tail -4)"
[ "$(job_field "$id" Restarts)" = 1 ] && [ "$(job_field "$id" JobState)" = COMPLETED ] &&
	ok || bad "requeue: restarts $(job_field "$id" Restarts), $(job_field "$id" JobState)"
at=$(grep -o 'stopped on a signal[^;]*step [0-9]*' "$dir/pre.out" | grep -o '[0-9]*$' | head -1)
grep -q "resumed from .*step ${at:-x}\b" "$dir/pre.out" &&
	ok || bad "the requeued job did not resume at step ${at:-?}: $(grep resumed "$dir/pre.out")"
"$engram" ckpt diff "$dir/plain" "$dir/pre" > "$dir/diff2.log" 2>&1 &&
	ok || bad "preempted and requeued: differs from the uninterrupted run: $(tail -3 "$dir/diff2.log")"

echo "slurm: cluster up in $((t_up - t_start)) s; job of 2 tasks in $t_job s; val loss mpirun $vp, Slurm $vs;" \
	"SIGUSR1 at step ${at:-?}, requeued and finished in $t_pre s"
grep -h '^engram: \|stopped on a signal\|resumed from' "$dir/pre.out" | sed 's/^/  /'
echo "slurm: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
