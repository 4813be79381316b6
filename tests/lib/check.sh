# Sourced by the shell suites: counted checks and a JSON field reader.
pass=0
fail=0

check() { # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then
    pass=$((pass + 1)); echo "ok   $1"
  else
    fail=$((fail + 1)); echo "FAIL $1: expected $2, got $3"
  fi
}

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
