#!/usr/bin/env bash
# Median wall time (curl time_total) of N uploads, N compares and N lists against a running
# service: URL=http://127.0.0.1:5056 N=15 scripts/time-endpoints.sh (run from the project root).
set -euo pipefail
URL=${URL:-http://127.0.0.1:5056}; N=${N:-15}; F=test/fixtures
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
KEY=$(curl -s -F image=@$F/person-a-1.jpg $URL/upload_reference | sed 's/.*"key":"\([0-9a-f]*\)".*/\1/')
for img in person-a-1.jpg person-a-2.jpg; do
  up=$(for i in $(seq $N); do curl -s -o /dev/null -w '%{time_total}\n' -F image=@$F/$img $URL/upload_reference; done | median)
  cmp=$(for i in $(seq $N); do curl -s -o /dev/null -w '%{time_total}\n' -F image=@$F/$img -F reference_key=$KEY $URL/compare_with_reference; done | median)
  echo "$img upload_median_s=$up compare_median_s=$cmp"
done
lst=$(for i in $(seq $N); do curl -s -o /dev/null -w '%{time_total}\n' $URL/list_references; done | median)
echo "list_median_s=$lst"
