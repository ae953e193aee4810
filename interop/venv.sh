#!/usr/bin/env bash
# Makes the Python virtualenv with the article's programs' dependencies
# (requirements.txt beside this script) in DIR:
#
#   interop/venv.sh DIR      then   DIR/bin/python interop/article/ws_server.py
#
# Used by interop/run.sh and bench/peers.sh, which share the one in their
# cache. Running it again does nothing while requirements.txt is unchanged;
# when it changes, the virtualenv is made again.
set -euo pipefail

dir=${1:?usage: venv.sh DIR}
requirements=$(cd "$(dirname "$0")" && pwd)/requirements.txt
stamp=$(sha256sum "$requirements" | cut -d' ' -f1)
if [[ -x $dir/bin/python && $(cat "$dir/stamp" 2> /dev/null) == "$stamp" ]]; then
    exit 0
fi
echo "installing the article's Python dependencies" >&2
python3 -m venv "$dir"
"$dir/bin/pip" install -q --disable-pip-version-check -r "$requirements"
echo "$stamp" > "$dir/stamp"
