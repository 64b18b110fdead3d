#!/bin/sh
# A failure on one rank ends the whole MPI job, with an error, within seconds (not a hang).
#   mpi_failure.sh MPIEXEC CHECK_BINARY throw|kill EXPECTED_TEXT
mpiexec=$1 check=$2 how=$3 expected=$4
start=$(date +%s)
out=$(timeout 120 "$mpiexec" -n 2 --oversubscribe --mca btl self,vader "$check" "$how" 2>&1)
rc=$?
elapsed=$(($(date +%s) - start))
printf '%s\n' "$out"
echo "mpi_failure: '$how' on rank 1: mpirun exited with $rc after ${elapsed} s"
if [ "$rc" -eq 0 ]; then echo "FAILED: the job succeeded although rank 1 failed"; exit 1; fi
if [ "$rc" -eq 124 ]; then echo "FAILED: the job hung (killed after 120 s)"; exit 1; fi
if [ "$elapsed" -gt 30 ]; then echo "FAILED: the job took ${elapsed} s to end"; exit 1; fi
case $out in
  *"$expected"*) ;;
  *) echo "FAILED: the output does not say '$expected'"; exit 1 ;;
esac
case $out in
  *"fit returned"*) echo "FAILED: a rank carried on past the failure"; exit 1 ;;
esac
echo "ok"
