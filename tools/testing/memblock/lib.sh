# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest-side tests of the memory block driver.
#
# Each test script prints TAP result lines without numbers ("ok - NAME" or
# "not ok - NAME" followed by "# " diagnostics); the host runner numbers
# them and prints the totals.

MEM=/sys/devices/system/memory

tap_ok() {
	echo "ok - $*"
}

# tap_not_ok NAME [DIAGNOSTIC...]
tap_not_ok() {
	local name=$1
	shift
	echo "not ok - $name"
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/# /'
	done
}

# expect NAME ACTUAL WANTED: one TAP line comparing two strings.
expect() {
	if [ "$2" = "$3" ]; then
		tap_ok "$1"
	else
		tap_not_ok "$1" "got '$2', want '$3'"
	fi
}

# sysfs_write FILE VALUE: write VALUE (one write(2), newline added as echo
# does) and print OK or the errno's symbolic name (EINVAL, EEXIST, ...).
sysfs_write() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import errno, os, sys
try:
    fd = os.open(sys.argv[1], os.O_WRONLY)
    try:
        os.write(fd, (sys.argv[2] + "\n").encode())
    finally:
        os.close(fd)
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
PY
}

# The memory block devices present, one name a line, sorted by number.
memory_blocks() {
	ls "$MEM" | grep -E '^memory[0-9]+$' | sort -V
}

mem_total_kb() {
	awk '/^MemTotal:/ { print $2 }' /proc/meminfo
}

block_size() {
	echo $((16#$(cat "$MEM/block_size_bytes")))
}

ensure_debugfs() {
	grep -q ' /sys/kernel/debug debugfs ' /proc/mounts ||
		mount -t debugfs none /sys/kernel/debug
}

progress() {
	echo "[guest] $*" >&2
}
