# Sourced by the benchmark scripts: defines `timed OUTFILE COMMAND...`, which runs COMMAND and
# writes its wall time and peak RSS (GNU time -v format) to OUTFILE. Installs GNU time when
# possible, else falls back to bench/convert/measure.py. Expects ROOT and PYTHON.
if [[ ! -x /usr/bin/time ]] && [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  apt-get install -y -qq time >/dev/null 2>&1 || true
fi
if [[ -x /usr/bin/time ]] && /usr/bin/time -v true >/dev/null 2>&1; then
  timed() { local out="$1"; shift; /usr/bin/time -v -o "$out" "$@"; }
else
  timed() { local out="$1"; shift; "$PYTHON" "$ROOT/bench/convert/measure.py" -o "$out" -- "$@"; }
fi
