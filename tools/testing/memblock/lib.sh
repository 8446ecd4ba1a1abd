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
    # Python's errno module has no EHWPOISON (133 on x86), and names 35
    # EDEADLOCK, the alias, rather than the kernel's EDEADLK.
    names = {133: "EHWPOISON", 35: "EDEADLK"}
    print(names.get(e.errno) or errno.errorcode.get(e.errno, str(e.errno)))
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

hw_corrupted_kb() {
	awk '/^HardwareCorrupted:/ { print $2 }' /proc/meminfo
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

# rmmod_retry MODULE: rmmod, again while it fails because the module is in
# use (a memory block provider's module is, while one of its operations or
# file callbacks runs: udevd or lsmem reading a file is enough), for up to
# 30 s; prints rmmod's message for the last attempt's error.  The attempts
# after the first are delete_module(O_NONBLOCK) calls back to back, as
# rmmod makes one:
# under a writer that keeps a callback in flight nearly all the time (the
# rust-lifecycle test), an rmmod process every 50 ms could miss every gap
# between two callbacks for the whole 10 s (seen once, 2026-12-07).
rmmod_retry() {
	local out
	# rmmod first: it is quicker to start than Python, and it is all a
	# module that nothing is using needs (provider.sh's load/unload loop
	# counts cycles against time).
	out=$(rmmod "$1" 2>&1) && return 0
	case "$out" in
	*"in use"*|*"temporarily unavailable"*) ;;
	*) printf '%s\n' "$out"; return 1 ;;
	esac
	/usr/bin/python3 - "$1" <<'PY'
import ctypes, errno, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
name = sys.argv[1].replace("-", "_")
end = time.monotonic() + 30
while libc.syscall(176, name.encode(), os.O_NONBLOCK) != 0:  # delete_module
    e = ctypes.get_errno()
    if e in (errno.EWOULDBLOCK, errno.EBUSY) and time.monotonic() < end:
        continue
    why = {errno.EWOULDBLOCK: "is in use", errno.EBUSY: "is in use",
           errno.ENOENT: "is not currently loaded"}.get(e, "could not be removed: " + os.strerror(e))
    print("rmmod: ERROR: Module %s %s" % (name, why))
    sys.exit(1)
PY
}

# The virtio-mem device QEMU was started with (host/guest.sh).
VIRTIO_MEM_DEV=${VIRTIO_MEM_ID:-vm0}
# virtio_mem_request BYTES: ask QEMU for BYTES of the virtio-mem device
# plugged (its requested-size); prints QMP's reply.
virtio_mem_request() {
	qmp '{"execute": "qom-set", "arguments": {"path": "/machine/peripheral/'$VIRTIO_MEM_DEV'", "property": "requested-size", "value": '$1'}}'
}
# ACPI DIMMs over QMP: memory-backend-ram ID of SIZE bytes, the pc-dimm
# IDdev on it in NODE; each prints QMP's reply.
qmp_ram_backend_add() {
	qmp '{"execute": "object-add", "arguments": {"qom-type": "memory-backend-ram", "id": "'$1'", "size": '$2'}}'
}
qmp_dimm_add() {
	qmp '{"execute": "device_add", "arguments": {"driver": "pc-dimm", "id": "'$1'dev", "memdev": "'$1'", "node": '$2'}}'
}
qmp_dimm_del() {
	qmp '{"execute": "device_del", "arguments": {"id": "'$1'dev"}}'
}
qmp_object_del() {
	qmp '{"execute": "object-del", "arguments": {"id": "'$1'"}}'
}

# lockdep_report LOG: the locks of the first lockdep report in LOG (kernel
# log lines without timestamps), in three variables: wanted (the lock the
# task was trying to take), held (the one it held) and chain (the locks of
# the dependency chain, sorted, each followed by a space).
lockdep_report() {
	local log=$1
	lock_after() { awk -v h="$1" 'found { if (match($0, /\([^)]*\)/)) { print substr($0, RSTART + 1, RLENGTH - 2); exit } } index($0, h) { found = 1 }' <<< "$log"; }
	wanted=$(lock_after "is trying to acquire lock:")
	held=$(lock_after "but task is already holding lock:")
	chain=$(sed -nE 's/^[[:space:]]*-> #[0-9]+ \(([^)]*)\).*/\1/p' <<< "$log" | LC_ALL=C sort -u | tr '\n' ' ')
}

# debug_locks: 1 while lockdep is on, 0 once a report turned it off.
debug_locks() {
	awk '/debug_locks:/ { print $2 }' /proc/lockdep_stats
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

# --- Who served a measurement: kprobe hit counts ---------------------------
#
# Every file the Rust driver (rust_memory_block) serves, and its online and
# offline operations, have a kprobe event on the function of the Rust
# driver that serves them (rs_NAME, in the module: the sysfs, root file and
# operation callbacks monomorphized for the driver's types) and one on the built-in
# driver's function (c_NAME, in drivers/base/memory.c).  The kernel counts
# each event's hits (kprobe_profile, whether or not tracing is on).  Around
# a measurement: served_mark before it, then "served NAME rust|c FUNC...":
# one TAP result, ok if each FUNC of that driver ran and no function of the
# other driver did.  Kprobes need no instrumentation of the code they count
# (no function tracer): the module is the one built, unchanged.
TRACEFS=/sys/kernel/tracing
SERVED_GROUP=memblock
# Events whose function could not be found: "rs_NAME" or "c_NAME", a line each.
SERVED_MISSING=/tmp/memblock-served-missing
# The probed symbols: "rs_NAME rust_memory_block:MANGLED" or "c_NAME SYMBOL".
SERVED_SYMS=/tmp/memblock-served-syms
served_table() {
	# NAME                   C event           built-in function         the Rust driver's function
	cat <<'EOT'
phys_index_show          c_phys_index_show          phys_index_show          kernel::sysfs::show_callback::<rust_memory_block::PhysIndex>
state_show               c_state_show               state_show               kernel::sysfs::show_callback::<rust_memory_block::BlockState>
state_store              c_state_store              state_store              kernel::sysfs::store_callback::<rust_memory_block::BlockState>
phys_device_show         c_phys_device_show         phys_device_show         kernel::sysfs::show_callback::<rust_memory_block::PhysDevice>
removable_show           c_removable_show           removable_show           kernel::sysfs::show_callback::<rust_memory_block::Removable>
valid_zones_show         c_valid_zones_show         valid_zones_show         kernel::sysfs::show_callback::<rust_memory_block::ValidZones>
probe_store              c_probe_store              probe_store              kernel::memory::block::probe_store::<rust_memory_block::RustMemoryBlock>
auto_online_blocks_show  c_auto_online_blocks_show  auto_online_blocks_show  kernel::memory::block::auto_online_show::<rust_memory_block::RustMemoryBlock>
auto_online_blocks_store c_auto_online_blocks_store auto_online_blocks_store kernel::memory::block::auto_online_store::<rust_memory_block::RustMemoryBlock>
soft_offline_page_store  c_soft_offline_page_store  soft_offline_page_store  kernel::memory::block::soft_offline_store::<rust_memory_block::RustMemoryBlock>
hard_offline_page_store  c_hard_offline_page_store  hard_offline_page_store  kernel::memory::block::hard_offline_store::<rust_memory_block::RustMemoryBlock>
online                   c_change_state             memory_block_change_state kernel::memory::block::online_callback::<rust_memory_block::RustMemoryBlock>
offline                  c_change_state             memory_block_change_state kernel::memory::block::offline_callback::<rust_memory_block::RustMemoryBlock>
builtin_online           c_builtin_online           memory_block_builtin_online  -
builtin_offline          c_builtin_offline          memory_block_builtin_offline -
builtin_show             c_builtin_show             memory_block_builtin_show    -
builtin_store            c_builtin_store            memory_block_builtin_store   -
EOT
}
# The built-in online and offline are one function, memory_block_change_state()
# (memory_block_online() and the rest are inlined into it; the provider's
# dispatch, memory_subsys_online() and memory_block_online_op(), runs for
# both drivers): one C event, c_change_state, stands for both.  The
# exported memory_block_builtin_*(), the built-in driver offered to a
# provider, have events of their own: a provider calling them runs C.

# c_address SYMBOL: the address of memory.c's SYMBOL (state_show and
# removable_show have namesakes elsewhere: the one nearest to
# phys_index_show, in the same object file, is memory.c's).
c_address() {
	local ref
	ref=$(awk '$3 == "phys_index_show" { print $1; exit }' <<< "$KALLSYMS")
	awk -v s="$1" '$3 == s && NF == 3 { print $1 }' <<< "$KALLSYMS" | while read -r a; do
		d=$(( 0x$a - 0x$ref ))
		echo "${d#-} $a"
	done | sort -n | awk 'NR == 1 && $1 < 65536 { print "0x" $2 }'
}
# (Within 64 KiB of phys_index_show: memory.c's text.  A namesake farther
# away is not taken: the event is then missing, and a proof needing it fails.)

# served_setup: the kprobe events, once per boot (the module's are armed
# whenever it is loaded, and again after each modprobe).
served_setup() {
	local ko syms name cev c rs mangled addr KALLSYMS
	grep -q " $TRACEFS tracefs " /proc/mounts || mount -t tracefs nodev $TRACEFS
	[ -d "$TRACEFS/events/$SERVED_GROUP" ] && return 0
	: > "$SERVED_MISSING"
	: > "$SERVED_SYMS"
	# The built-in functions' lines of /proc/kallsyms (read once: it is long).
	KALLSYMS=$(grep -wF -f <(served_table | awk '{ print $3 }'; echo phys_index_show) /proc/kallsyms)
	ko=$(modinfo -n rust_memory_block 2>/dev/null)
	# The module's functions, mangled and demangled, a tab between.
	syms=$(llvm-nm --defined-only -j "$ko" 2>/dev/null)
	syms=$(paste <(printf '%s\n' "$syms") <(printf '%s\n' "$syms" | llvm-cxxfilt))
	while read -r name cev c rs; do
		if ! grep -q "^$cev " "$SERVED_SYMS"; then
			addr=$(c_address "$c")
			if [ -n "$addr" ] && echo "p:$SERVED_GROUP/$cev $addr" >> $TRACEFS/kprobe_events 2>/dev/null; then
				echo "$cev $addr $c" >> "$SERVED_SYMS"
			else
				echo "$cev" >> "$SERVED_MISSING"
			fi
		fi
		[ "$rs" != - ] || continue
		mangled=$(awk -F '\t' -v want="$rs" '$2 == want { print $1; exit }' <<< "$syms")
		if [ -n "$mangled" ] &&
			echo "p:$SERVED_GROUP/rs_$name rust_memory_block:$mangled" >> $TRACEFS/kprobe_events 2>/dev/null; then
			echo "rs_$name rust_memory_block:$mangled" >> "$SERVED_SYMS"
		else
			echo "rs_$name" >> "$SERVED_MISSING"
		fi
	done < <(served_table)
	# The hits are counted while the events are enabled; the trace buffer
	# records them only while tracing is on (rust-race turns it on).
	echo 0 > $TRACEFS/tracing_on
	echo 1 > "$TRACEFS/events/$SERVED_GROUP/enable"
}

# served_hits: "EVENT HITS MISSED" for every served-by event of the group
# (kprobe_profile names events without their group: only names listed in
# the group's folder are taken).
served_hits() {
	awk 'NR == FNR { ours[$1] = 1; next } ($1 in ours) && $1 ~ /^(c|rs)_/ { print $1, $2, $3 }' \
		<(ls $TRACEFS/events/$SERVED_GROUP) $TRACEFS/kprobe_profile
}

# The files of the served_table that dump.sh reads (the dumps' proofs).
SERVED_DUMP="phys_index_show state_show phys_device_show removable_show valid_zones_show auto_online_blocks_show"

served_mark() {
	SERVED_MARK=$(served_hits)
}

# served_since: "EVENT HITS" for the events that fired since served_mark;
# "missed EVENT N" for a probe that missed hits (kprobe reentry).
served_since() {
	awk 'NR == FNR { m[$1] = $2; x[$1] = $3; next }
		$2 - m[$1] > 0 { print $1, $2 - m[$1] }
		$3 - x[$1] > 0 { print "missed", $1, $3 - x[$1] }' \
		<(printf '%s\n' "${SERVED_MARK:-}") <(served_hits)
}

# rust_ran NAME FUNC...: one result: since served_mark, each FUNC (a NAME
# of served_table) of the Rust driver ran; the built-in driver's may have
# run too (the tests that load and unload the module).
rust_ran() {
	local name=$1 since f missing=
	shift
	since=$(served_since)
	for f in "$@"; do
		grep -q "^rs_$f " <<< "$since" || missing="$missing rs_$f"
	done
	if [ -z "$missing" ]; then
		tap_ok "$name ($(grep '^rs_' <<< "$since" | sed 's/ /: /' | paste -sd ' '))"
	else
		tap_not_ok "$name" "did not run:$missing" "ran: $(tr '\n' ' ' <<< "$since")"
	fi
}

# served NAME rust|c FUNC...: one result: since served_mark, each FUNC
# (a NAME of served_table) of that driver ran, and no function of the other.
served() {
	local name=$1 who=$2 own other label since f ev why=()
	shift 2
	case "$who" in
	rust) own=rs other=c label="the Rust driver" ;;
	*) own=c other=rs label="the built-in driver" ;;
	esac
	since=$(served_since)
	for f in "$@"; do
		ev=${own}_$f
		[ "$own" = rs ] || ev=$(served_table | awk -v f="$f" '$1 == f { print $2 }')
		if grep -qx "$ev" "$SERVED_MISSING" 2>/dev/null; then
			why+=("$ev: no such function to probe (the driver does not have it)")
		elif ! grep -q "^$ev " <<< "$since"; then
			why+=("$ev did not run")
		fi
	done
	grep -q "^${other}_" <<< "$since" &&
		why+=("the other driver ran: $(grep "^${other}_" <<< "$since" | tr '\n' ' ')")
	grep -q "^missed " <<< "$since" &&
		why+=("probes missed hits: $(grep "^missed " <<< "$since" | tr '\n' ' ')")
	if [ ${#why[@]} = 0 ]; then
		tap_ok "$name: served by $label ($(grep "^${own}_" <<< "$since" | sed 's/ /: /' | paste -sd ' '))"
	else
		tap_not_ok "$name: served by $label ($*)" "${why[@]}" \
			"functions that ran: $(tr '\n' ' ' <<< "${since:-none}")"
	fi
}
