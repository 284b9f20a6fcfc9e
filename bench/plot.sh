#!/usr/bin/env bash
# Plots throughput against batch size from the committed JSON results into bench/results/throughput.png.
#   bench/plot.sh [micro.json] [engine.json]     (defaults: bench/results/micro-full.json, bench/results/engine-full.json)
# Needs gnuplot (with the pngcairo terminal) and jq, both Debian packages that work offline once installed:
#   sudo apt-get install -y --no-install-recommends gnuplot-nox jq
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
micro="${1:-$here/results/micro-full.json}"
engine="${2:-$here/results/engine-full.json}"
out="$here/results/throughput.png"
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT

# One file per series: "batch_size ops_per_second".
jq -r '.results[] | select(.class == "CounterBatchBenchmarks" and (.method | startswith("Increment_Batch"))) | "\(.batchSize) \(.opsPerSecond)"' "$micro" > "$data/counter"
for buckets in 10 100 1000; do
  jq -r --arg b "$buckets" '.results[] | select(.class == "RateLimiterBatchBenchmarks" and .params.Buckets == $b and (.method | startswith("Check_Batch"))) | "\(.batchSize) \(.opsPerSecond)"' "$micro" > "$data/check$buckets"
done
baseline="$(jq -r '[.results[] | select(.isBaseline)] | .[0].opsPerSecond // empty' "$micro")"
for entities in 1 16; do
  jq -r --argjson e "$entities" '.signals[] | select(.mode == "backlog" and .entities == $e) | "\(.batchSize) \(.applyPerSecond)"' "$engine" | sort -n > "$data/engine$entities"
done

gnuplot <<GNUPLOT
set terminal pngcairo size 1200,500 font "sans,10"
set output "$out"
set multiplot layout 1,2 title "ServerlessGenServer throughput against entity batch size ($(jq -r '.machine.cores' "$micro") cores, $(jq -r '.machine.cpu' "$micro"))"
set logscale xy
set grid
set key left top
set xlabel "operations per batch (maxEntityOperationBatchSize)"
set ylabel "operations per second"
set xrange [0.7:8000]
set title "In process: GrpcEntityRunner batches, one core"
plot "$data/counter" using 1:2 with linespoints lw 2 title "counter increment", \
     "$data/check10" using 1:2 with linespoints lw 2 title "rate-limit check, 10 buckets", \
     "$data/check100" using 1:2 with linespoints lw 2 title "rate-limit check, 100 buckets", \
     "$data/check1000" using 1:2 with linespoints lw 2 title "rate-limit check, 1,000 buckets", \
     ${baseline:-1} with lines dt 2 lw 2 title "in-memory partitioned token bucket (baseline)", \
     1000000 with lines dt 3 lc rgb "black" title "goal: 1,000,000 checks/s"
set title "Engine: DTFx + Azure Storage provider on Azurite, backlog drained"
set yrange [10:1000]
plot "$data/engine1" using 1:2 with linespoints lw 2 title "into 1 entity", \
     "$data/engine16" using 1:2 with linespoints lw 2 title "into 16 entities", \
     500 with lines dt 3 lc rgb "black" title "goal: 500 signals/s into one entity"
unset multiplot
GNUPLOT
echo "Wrote $out"
