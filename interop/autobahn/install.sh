#!/usr/bin/env bash
# Installs the Autobahn|Testsuite (`wstest`) into DIR, without Docker:
#
#   interop/autobahn/install.sh DIR      then   DIR/bin/wstest --help
#
# wstest is Python 2 only, and Debian 12 has no Python 2. Debian 11 has PyPy
# 2.7, so we fetch its packages from the machine's own Debian mirror with a
# private apt configuration (the system's apt state is not touched), unpack
# them into DIR/sysroot, make a PyPy virtualenv and pip-install wstest into
# it. Running it again with the same DIR does nothing once `DIR/bin/wstest`
# exists.
set -euo pipefail

dir=${1:?usage: install.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [[ -x $dir/bin/wstest ]]; then
    exit 0
fi

sysroot=$dir/sysroot
apt_dir=$dir/apt
mkdir -p "$sysroot" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs" "$dir/bin"

# The mirror this machine already uses (first URIs: line of its sources).
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
mirror=${mirror:-http://deb.debian.org/debian}
cat > "$apt_dir/sources.list" <<SOURCES
deb [signed-by=/usr/share/keyrings/debian-archive-bullseye-stable.gpg] $mirror bullseye main
deb [signed-by=/usr/share/keyrings/debian-archive-bullseye-security-automatic.gpg] ${mirror%/debian}/debian-security bullseye-security main
SOURCES
: > "$apt_dir/status"
apt_options=(
    -o "Dir::Etc::SourceList=$apt_dir/sources.list"
    -o "Dir::Etc::SourceParts=/nonexistent"
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::State::status=$apt_dir/status"
    -o "Dir::Cache=$apt_dir/cache"
    -o "Debug::NoLocking=1"
    -o "APT::Sandbox::User=root"
)
echo "autobahn: fetching PyPy 2.7 from Debian 11 ($mirror)"
apt-get "${apt_options[@]}" -qq update
(cd "$apt_dir/debs" && apt-get "${apt_options[@]}" -qq download \
    pypy pypy-lib pypy-dev libffi7 libssl1.1 libssl-dev)
for deb in "$apt_dir"/debs/*.deb; do
    dpkg -x "$deb" "$sysroot"
done

libs=$sysroot/usr/lib/x86_64-linux-gnu
pypy=$sysroot/usr/lib/pypy/bin/pypy-c
export LD_LIBRARY_PATH=$libs

# Debian disables `pypy -m ensurepip`; an older virtualenv still makes a
# PyPy 2 environment, with pip 20.3.4 in it.
echo "autobahn: making a PyPy 2.7 virtualenv"
python3 -m venv "$dir/venv3"
"$dir/venv3/bin/pip" install -q 'virtualenv<20.22'
"$dir/venv3/bin/virtualenv" -q -p "$pypy" "$dir/pypy"

# pip 20.3.4 on PyPy 2 fails to byte-compile without this.
export PIP_NO_COMPILE=0
# Pinned first, so Twisted's setup does not pull a Python-3-only incremental.
"$dir/pypy/bin/pip" install -q --disable-pip-version-check \
    incremental==16.10.1 setuptools==44.0.0 six==1.16.0
# cryptography 3.3.2 builds from source against OpenSSL 1.1 (the system has 3).
echo "autobahn: installing autobahntestsuite (builds cryptography, about a minute)"
CFLAGS="-I$sysroot/usr/include -I$sysroot/usr/include/x86_64-linux-gnu" \
LDFLAGS="-L$libs" \
    "$dir/pypy/bin/pip" install -q --disable-pip-version-check autobahntestsuite==25.10.1

cat > "$dir/bin/wstest" <<WSTEST
#!/usr/bin/env bash
export LD_LIBRARY_PATH=$libs
exec $dir/pypy/bin/wstest "\$@"
WSTEST
chmod +x "$dir/bin/wstest"
"$dir/bin/wstest" --help > /dev/null
echo "autobahn: installed $dir/bin/wstest"
