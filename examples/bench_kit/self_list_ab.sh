#!/bin/sh
# One run of the wrk benchmark of `GET /api/task/self` (BENCHMARKS.md,
# "Lists under sustained load (issue 15 item 4)"); alternate two binaries
# for an A/B:
#
#   examples/bench_kit/self_list_ab.sh <label> <taskcenter binary> [seconds] [db] [port]
#
# Starts `<binary> serve` on the database `seed_tasks` filled (its tokens
# file next to it), warms up for 3 s, runs wrk (2 threads, 8 keep-alive
# connections, examples/bench_kit/self_list.lua) for <seconds> (15), stops
# the server. Prints req/s, wrk's latency percentiles, the load average
# before and after, and the CPU time (user + system) the server and wrk
# spent per request: on a shared machine that figure moves less than req/s.
# The server's log goes to $LOGS/<label>.log (/tmp). `serve` has no switch
# for the worker: its first pass settles the seeded tasks in flight (they
# carry no charge); the lists are read-only after that.
# Needs wrk and /usr/bin/time (Debian: apt-get install -y wrk time).
label=$1; bin=$2; secs=${3:-15}; db=${4:-/tmp/selflist/tasks.db}; port=${5:-38471}
lua=$(dirname "$0")/self_list.lua
logs=${LOGS:-/tmp}
$bin serve --listen 127.0.0.1:$port --db $db > $logs/$label.out 2> $logs/$label.log &
pid=$!
sleep 1.5
TOKENS=$db.tokens.json wrk -t2 -c8 -d3s -s $lua http://127.0.0.1:$port > /dev/null
cpu() { awk '{print $14+$15}' /proc/$pid/stat; }
l0=$(cut -d' ' -f1-3 /proc/loadavg)
c0=$(cpu)
out=$(TOKENS=$db.tokens.json /usr/bin/time -f "wrkcpu %U %S" wrk -t2 -c8 -d${secs}s -s $lua http://127.0.0.1:$port 2>&1)
c1=$(cpu)
l1=$(cut -d' ' -f1-3 /proc/loadavg)
kill $pid; wait $pid 2>/dev/null
tck=$(getconf CLK_TCK)
reqs=$(echo "$out" | grep 'requests in' | awk '{print $1}')
rps=$(echo "$out" | grep Requests/sec | awk '{print $2}')
lat=$(echo "$out" | grep '^p50')
non=$(echo "$out" | grep -i 'non-2xx' || echo "non-2xx: 0")
srv_us=$(echo "$c0 $c1 $tck $reqs" | awk '{printf "%.0f", ($2-$1)/$3*1e6/$4}')
wrk_us=$(echo "$out" | grep wrkcpu | awk -v r=$reqs '{printf "%.0f", ($2+$3)*1e6/r}')
echo "$label rps=$rps reqs=$reqs; $lat; $non; server ${srv_us} us CPU/req, wrk ${wrk_us} us CPU/req; load $l0 -> $l1"
