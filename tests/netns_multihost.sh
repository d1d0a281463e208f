#!/usr/bin/env bash
# netns_multihost.sh ENGRAM - a real multi-host run on one machine: three
# network namespaces are three hosts, each with its own address on a veth +
# bridge test network made here; Open MPI's rsh launcher reaches the other
# hosts through an agent that runs the command inside their namespace
# instead of ssh, and the ranks talk over TCP (shared memory cannot cross
# namespaces).  Two ranks with batch B must match one rank with batch 2B,
# and three ranks training the adaptive softmax on words (its sparse
# embedding exchange included) one rank with batch 3B.
# Skips (exit 77) only where namespaces cannot be made; cleans up after.
set -u
engram=$(readlink -f "$1")
tag=eg$$
dir=$(mktemp -d)
net=10.77.$(( $$ % 200 + 20 ))
hosts=("$net.2" "$net.3" "$net.4")
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

cleanup() {
	for n in 1 2 3 br; do
		for p in $(ip netns pids "$tag-$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$tag-$n" 2>/dev/null
	done
	rm -rf "$dir"
}
trap cleanup EXIT

command -v ip >/dev/null || { echo "SKIP: ip (iproute2) is not installed"; exit 77; }
if ! ip netns add "$tag-br" 2>/dev/null; then
	echo "SKIP: cannot create network namespaces here (needs root and CAP_SYS_ADMIN)"
	exit 77
fi
setup() {
	ip -n "$tag-br" link add br0 type bridge && ip -n "$tag-br" link set br0 up &&
	for i in 1 2 3; do
		ip netns add "$tag-$i" &&
		ip link add "${tag}v$i" type veth peer name "${tag}b$i" &&
		ip link set "${tag}v$i" netns "$tag-$i" &&
		ip link set "${tag}b$i" netns "$tag-br" &&
		ip -n "$tag-br" link set "${tag}b$i" master br0 &&
		ip -n "$tag-br" link set "${tag}b$i" up &&
		ip netns exec "$tag-$i" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 &&
		ip -n "$tag-$i" link set lo up &&
		ip -n "$tag-$i" addr add "${hosts[$((i - 1))]}/24" dev "${tag}v$i" &&
		ip -n "$tag-$i" link set "${tag}v$i" up || return 1
	done
}
if ! setup 2>"$dir/setup.err"; then
	echo "SKIP: cannot build the veth/bridge test network: $(head -1 "$dir/setup.err")"
	exit 77
fi

# The "ssh" of this cluster: agent [opts] HOST CMD... runs CMD in HOST's namespace.
cat > "$dir/agent" <<AGENT
#!/usr/bin/env bash
while [ "\${1#-}" != "\$1" ]; do shift; done
host=\$1; shift
case \$host in
${hosts[0]}) ns=$tag-1 ;;
${hosts[1]}) ns=$tag-2 ;;
${hosts[2]}) ns=$tag-3 ;;
*) echo "agent: unknown host \$host" >&2; exit 255 ;;
esac
exec ip netns exec "\$ns" unshare --uts sh -c "hostname node-\${ns##*-}; \$*"
AGENT
chmod +x "$dir/agent"
printf '%s slots=1\n' "${hosts[@]}" > "$dir/hostfile"

awk 'BEGIN { x = 3; for (i = 0; i < 20000; i++) { x = (x * 1103515245 + 12345) % 2147483648;
	printf "%c", 97 + int(x / 65536) % 16; if (i % 50 == 49) printf "\n" } }' > "$dir/t.txt"
"$engram" prepare --quiet --tokenizer char -o "$dir/t.h5" "$dir/t.txt"
flags=(--data "$dir/t.h5" --layers 1 --hidden 16 --embed 8 --bptt 10 --steps 6 --epochs 1
	--optimizer adam --lr 0.01 --seed 3 --threads 1 --quiet)

"$engram" train "${flags[@]}" --batch 8 --run-dir "$dir/one" > "$dir/one.log" 2>&1 ||
	bad "1-rank run: $(tail -2 "$dir/one.log")"

timeout 120 ip netns exec "$tag-1" mpirun --allow-run-as-root -np 2 --hostfile "$dir/hostfile" \
	--mca plm_rsh_agent "$dir/agent" --mca plm_rsh_no_tree_spawn 1 \
	--mca oob_tcp_if_include "$net.0/24" --mca btl tcp,self \
	--mca btl_tcp_if_include "$net.0/24" --mca mpi_yield_when_idle 1 \
	"$engram" train "${flags[@]}" --batch 4 --run-dir "$dir/two" > "$dir/two.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok || bad "2 hosts: exit $rc: $(tail -5 "$dir/two.log")"
grep -q '2 ranks' "$dir/two.log" && ok || bad "the run did not have 2 ranks"
"$engram" ckpt diff --tol 1e-5 "$dir/one" "$dir/two" > "$dir/diff.log" 2>&1 &&
	ok || bad "2 hosts differ from 1 rank: $(tail -3 "$dir/diff.log")"

mpi() { # RUN [FLAGS...]: the 2-host job (NP=3: 3 hosts), output to RUN.log
	local run=$1
	shift
	timeout 120 ip netns exec "$tag-1" mpirun --allow-run-as-root -np "${NP:-2}" --hostfile "$dir/hostfile" \
		--mca plm_rsh_agent "$dir/agent" --mca plm_rsh_no_tree_spawn 1 \
		--mca oob_tcp_if_include "$net.0/24" --mca btl tcp,self \
		--mca btl_tcp_if_include "$net.0/24" --mca mpi_yield_when_idle 1 \
		"$engram" train "${flags[@]}" --batch 4 --run-dir "$dir/$run" "$@" > "$dir/$run.log" 2>&1
}

# three hosts, the adaptive softmax on a 300-word vocabulary: the head,
# the clusters and the sparse embedding rows summed over TCP equal one rank
awk 'BEGIN { x = 5; for (i = 0; i < 8000; i++) { x = (x * 1103515245 + 12345) % 2147483648;
	u = x / 2147483648; printf "w%d%s", int(300 * u * u * u), (i % 12 == 11) ? "\n" : " " } }' > "$dir/w.txt"
"$engram" prepare --quiet --tokenizer word -o "$dir/w.h5" "$dir/w.txt"
ad=(--data "$dir/w.h5" --softmax adaptive --cutoffs 10,60 --div-value 2)
"$engram" train "${flags[@]}" "${ad[@]}" --batch 12 --run-dir "$dir/ad1" > "$dir/ad1.log" 2>&1 ||
	bad "1-rank adaptive run: $(tail -2 "$dir/ad1.log")"
NP=3 mpi ad3 "${ad[@]}" --overlap on && ok || bad "3 hosts, adaptive: $(tail -5 "$dir/ad3.log")"
grep -q '3 ranks' "$dir/ad3.log" && grep -q 'embedding sparse' "$dir/ad3.log" && ok ||
	bad "the adaptive run did not have 3 ranks and a sparse embedding"
"$engram" ckpt diff --tol 1e-5 "$dir/ad1" "$dir/ad3" > "$dir/diff.log" 2>&1 &&
	ok || bad "3 hosts (adaptive) differ from 1 rank: $(tail -3 "$dir/diff.log")"

# a slow link (a 2 Mbit/s token bucket on host 2's side) changes nothing
# but the time
if ip netns exec "$tag-2" tc qdisc add dev "${tag}v2" root tbf rate 2mbit burst 16kb latency 500ms 2>/dev/null; then
	mpi slow && ok || bad "slow link: $(tail -3 "$dir/slow.log")"
	"$engram" ckpt diff --tol 1e-5 "$dir/one" "$dir/slow" > "$dir/diff.log" 2>&1 &&
		ok || bad "slow link: differs from 1 rank"
	ip netns exec "$tag-2" tc qdisc del dev "${tag}v2" root
else
	echo "SKIP: tc tbf is not available here"
fi

# a link cut for good: Open MPI alone would hang; the watchdog ends the job
mpi cut --steps 100000 --epochs 1000 --comm-timeout 4 &
jp=$!
until grep -q 'model:' "$dir/cut.log" 2>/dev/null || ! kill -0 $jp 2>/dev/null; do sleep 0.1; done
sleep 1
ip -n "$tag-2" link set "${tag}v2" down
t0=$(date +%s)
wait $jp
rc=$?
secs=$(( $(date +%s) - t0 ))
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$secs" -le 25 ] &&
	grep -q 'did not complete within 4 s (--comm-timeout): no answer in 2 s from rank 1 (host node-2)' "$dir/cut.log" && ok ||
	bad "cut link: exit $rc after $secs s: $(grep -m2 engram "$dir/cut.log")"
echo "netns_multihost: cut link ended the job in $secs s (exit $rc)"

echo "netns_multihost: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
