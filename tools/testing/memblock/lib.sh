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
    # Python's errno module has no EHWPOISON (133 on x86).
    print(errno.errorcode.get(e.errno) or {133: "EHWPOISON"}.get(e.errno, str(e.errno)))
PY
}

# The memory block devices present, one name a line, sorted by number.
memory_blocks() {
	ls "$MEM" | grep -E '^memory[0-9]+$' | sort -V
}

# movable_blocks N...: of the blocks memoryN..., those present and online in
# ZONE_MOVABLE (valid_zones "Movable"), one name a line.
movable_blocks() {
	local b
	for b in "$@"; do
		b=memory${b#memory}
		[ -e $MEM/$b ] && [ "$(cat $MEM/$b/state)" = online ] &&
			[ "$(cat $MEM/$b/valid_zones)" = Movable ] && echo $b
	done
}

# blocks_added BEFORE: the blocks present now that are not in the list
# BEFORE (one name a line, as memory_blocks printed it).
blocks_added() {
	memory_blocks | grep -vxF -f <(printf '%s\n' "$1")
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
	echo "[guest] $*  (at ${SECONDS} s)" >&2
}

# qmp JSON: have the host run one QMP command on this guest's QEMU (through
# host/qmp-relay.py and the shared folder $QMP_DIR); prints the reply.
qmp() {
	local dir=${QMP_DIR:?QMP_DIR is not set: this guest has no QMP relay}
	local id=$(date +%s%N) i
	printf '%s\n' "$1" > "$dir/$id.tmp" && mv "$dir/$id.tmp" "$dir/$id.req"
	for i in $(seq 600); do
		if [ -f "$dir/$id.resp" ]; then
			cat "$dir/$id.resp"
			rm -f "$dir/$id.resp"
			return 0
		fi
		sleep 0.1
	done
	echo '{"error": "no reply from the QMP relay in 60 s"}'
	return 1
}

# wait_for SECONDS COMMAND...: poll COMMAND every 0.2 s until it succeeds.
wait_for() {
	local end=$(( $(date +%s) + $1 ))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# dmesg_since MARK: the kernel log after its first MARK lines (MARK taken
# with "dmesg | wc -l" before the step whose messages are wanted).
dmesg_since() {
	dmesg | tail -n +$(($1 + 1))
}

# detector_reports NAME WANT [SPLAT-SCAN OPTION...]: the splat detector,
# run on the kernel log after its first $mark lines, says "not ok" and
# shows a line matching the regular expression WANT (the detector's own
# tests: the splat self-test, the lockdep negative control).
detector_reports() {
	local name=$1 want=$2 out
	shift 2
	out=$(bash "$(dirname "${BASH_SOURCE[0]}")/splat-scan.sh" --since "$mark" "$@" "a splat")
	if grep -q '^not ok - ' <<< "$out" && grep -qE -- "$want" <<< "$out"; then
		tap_ok "$name ($(grep -m1 -oE -- "$want.{0,50}" <<< "$out"))"
	else
		tap_not_ok "$name (a line matching '$want')" "the detector said:" "$out" \
			"the log since then:" "$(dmesg_since "$mark" | tail -n 30)"
	fi
}

# provider_count KEY [show|store]: a count of test_memory_block_provider
# (its debugfs counts file): "online", "offline", or a file's shows or
# stores.
provider_count() {
	awk -v k="$1" -v c="${2:-}" '$1 == k {
		if (c == "") print $2
		else for (i = 2; i < NF; i += 2) if ($i == c) print $(i + 1)
	}' /sys/kernel/debug/test_memory_block_provider/counts 2>/dev/null
}
