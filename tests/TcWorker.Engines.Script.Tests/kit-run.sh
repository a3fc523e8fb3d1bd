#!/bin/sh
# The script behind the engine conformance kit: the payload's "mode" picks a behaviour, "text" is its input.
payload=$(cat)
field() { echo "$payload" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
text=$(field text)
case "$(field mode)" in
  log) echo "$text" ;;
  fail) echo "$text"; exit 1 ;;
  sleep) echo kit-sleeping; exec sleep 600 ;;
  write-then-sleep) mkdir -p artifacts && printf 'kit text' > artifacts/a.txt && echo kit-sleeping; exec sleep 600 ;;
  env) eval "echo \"\$$text\"" ;;
  artifacts)
    mkdir -p artifacts/out/nested && printf 'kit text' > artifacts/a.txt
    echo x > artifacts/out/x.txt && echo y > artifacts/out/nested/y.txt
    ln -s /etc/passwd artifacts/leak ;;
esac
