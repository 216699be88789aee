#!/usr/bin/env bash
# Wall time, events/s and peak memory of one run at each machine size, plus a run at 4x the duration on the
# largest machine to show memory does not grow with simulated time. Writes bench/scale.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
./tlbsim check bench/scale.yaml >/dev/null
out=$(mktemp -d)
echo "cpus,duration_ms,wall_s,events,events_per_s,peak_rss_mib" > bench/scale.csv
run() {
  local cpus=$1 ms=$2
  /usr/bin/time -v dotnet Scenarios/bin/Release/net10.0/tlbsim.dll run bench/scale.yaml --quiet --jobs 1 \
      --set machine.cpus=$cpus --set duration=${ms}ms --out "$out/r$cpus-$ms" > "$out/log" 2> "$out/time"
  local events wall rss
  events=$(python3 -c "import json;print(json.load(open('$out/r$cpus-$ms/run.json'))['events_simulated'])")
  wall=$(python3 -c "import json;print(json.load(open('$out/r$cpus-$ms/run.json'))['wall_seconds'])")
  rss=$(awk '/Maximum resident/ {printf "%.0f", $6/1024}' "$out/time")
  echo "$cpus,$ms,$wall,$events,$(python3 -c "print(round($events/max($wall,1e-9)))"),$rss" | tee -a bench/scale.csv
}
for cpus in 4 16 64 256 1024; do run $cpus 5; done
run 1024 20
rm -rf "$out"
