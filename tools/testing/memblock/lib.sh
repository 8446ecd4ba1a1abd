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

# The helpers below that run often use only shell builtins: a process
# costs 50 to 80 ms under TCG with this kernel's debugging (2026-12-08: 100
# runs of /bin/true took 8.2 s in the guest), and the suite started about
# 7,000 of them.

# sysfs_write FILE VALUE: write VALUE (one write(2), newline added as echo
# does) and print OK or the errno's symbolic name (EINVAL, EEXIST, ...).
# The shell's printf writes a one-line value shorter than 512 bytes: one
# write(2), and the shell names a failed write by strerror() (in the C
# locale), which ERRNO_NAMES turns back into the errno's name.  Python
# writes the others (a newline inside would make the shell write twice),
# and where the shell could not open the file (its open has O_CREAT,
# Python's has not: the errno could differ).  Unlike Python's one
# os.write(), the C library writes the rest again after a short write,
# and again after a write that returned 0: the drivers' stores take the
# whole value or fail.
# (The shell's message goes to a file of the writing shell's own: writers
# run in parallel subshells.)
sysfs_write() {
	local err= errf=/tmp/memblock-sysfs-write.$BASHPID LC_ALL=C
	if [ ${#2} -lt 512 ] && [[ $2 != *$'\n'* ]] && [ -e "$1" ]; then
		: > "$errf"
		if printf '%s\n' "$2" 2> "$errf" > "$1"; then
			echo OK
			return
		fi
		read -r err < "$errf"
		if [[ $err == *": write error: "* ]]; then
			# Written, and refused: never written again.
			err=${err##*: write error: }
			if [ -n "${ERRNO_NAMES[$err]:-}" ]; then
				echo "${ERRNO_NAMES[$err]}"
			elif [[ $err =~ ^Unknown\ error\ ([0-9]+)$ ]]; then
				# An errno without a name (Python: its number).
				echo "${BASH_REMATCH[1]}"
			else
				echo "(unknown error text: $err)"
			fi
			return
		fi
	fi
	sysfs_write_py "$1" "$2"
}

# errno_names: ERRNO_NAMES, the errno names by their strerror() text, as
# sysfs_write_py names them (made by Python once a boot, in /tmp), loaded
# when lib.sh is sourced: sysfs_write mostly runs in a command
# substitution's subshell, which could not keep what it loaded.
errno_names() {
	local table=/tmp/memblock-errno-names msg name tmp=/tmp/memblock-errno-names.$BASHPID
	[ -s $table ] || { /usr/bin/python3 -c '
import errno, os
names = {133: "EHWPOISON", 35: "EDEADLK"}
for n in range(1, 134):
    print(os.strerror(n) + "\t" + (names.get(n) or errno.errorcode.get(n, str(n))))
' > $tmp && mv $tmp $table; }
	while IFS=$'\t' read -r msg name; do
		ERRNO_NAMES[$msg]=$name
	done < $table
}

declare -A ERRNO_NAMES=()
errno_names

# sysfs_write_py FILE VALUE: sysfs_write's result, with one os.write().
sysfs_write_py() {
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
	local f n nums=()
	for f in "$MEM"/memory[0-9]*; do
		n=${f##*/memory}
		[[ $n =~ ^[0-9]+$ ]] && nums[n]=1
	done
	# An indexed array's indices come in ascending order.
	for n in "${!nums[@]}"; do
		echo "memory$n"
	done
}

# unreadable_files FILE...: of the regular files FILE... with a read bit
# (root reads write-only ones too, with EIO), those whose read fails, a
# line each; one process for them all.  A sweep that did not finish (its
# process killed in a read) is a line too.
unreadable_files() {
	local out rc
	out=$(unreadable_sweep "$@")
	rc=$?
	if [ $rc = 0 ] && [[ $out == DONE || $out == *$'\n'DONE ]]; then
		out=${out%DONE}
		printf '%s' "$out"
	else
		printf '%s\n' "$out" "(the sweep did not finish: exit status $rc)"
	fi
}
unreadable_sweep() {
	/usr/bin/python3 - "$@" <<'PY'
import os, stat, sys
for f in sys.argv[1:]:
    try:
        st = os.stat(f)
    except OSError:
        continue
    if not stat.S_ISREG(st.st_mode) or not st.st_mode & 0o444:
        continue
    try:
        with open(f, "rb", buffering=0) as fh:
            while fh.read(131072):
                pass
    except OSError:
        print(f, flush=True)
print("DONE")
PY
}

# read_text VAR FILE: VAR (a name, an array element too) set to FILE's
# whole text without its trailing newlines, as $(cat FILE) gives it, read
# by the shell; "(read failed: MESSAGE)" if it cannot be read.
read_text() {
	local text= err errf=/tmp/memblock-read-text.$BASHPID
	: > "$errf"
	{ IFS= read -r -d '' text; } 2> "$errf" < "$2"
	read -r err < "$errf"
	if [ -n "$err" ]; then
		text="(read failed: ${err##*: })"
	else
		while [[ $text == *$'\n' ]]; do
			text=${text%$'\n'}
		done
	fi
	printf -v "$1" '%s' "$text"
}

# block_files FILE...: "memoryN VALUE..." for every block present, in
# order, VALUE the first line of each of its files FILE... ("?" where it
# cannot be read, the shell's message on stderr, as cat's was).
block_files() {
	local b f v line
	for b in $(memory_blocks); do
		line=$b
		for f in "$@"; do
			read -r v < "$MEM/$b/$f" || v="?"
			line+=" $v"
		done
		echo "$line"
	done
}

# movable_blocks N...: of the blocks memoryN..., those present and online in
# ZONE_MOVABLE (valid_zones "Movable"), one name a line.
movable_blocks() {
	local b state zones
	for b in "$@"; do
		b=memory${b#memory}
		[ -e $MEM/$b ] || continue
		state= zones=
		read -r state < $MEM/$b/state
		read -r zones < $MEM/$b/valid_zones
		[ "$state" = online ] && [ "$zones" = Movable ] && echo $b
	done
}

# blocks_added BEFORE: the blocks present now that are not in the list
# BEFORE (one name a line, as memory_blocks printed it).
blocks_added() {
	local b
	local -A before=()
	while read -r b; do
		[ -z "$b" ] || before[$b]=1
	done <<< "$1"
	while read -r b; do
		[ -n "${before[$b]:-}" ] || echo "$b"
	done < <(memory_blocks)
}

# meminfo_kb FIELD: a /proc/meminfo field, in kB.
meminfo_kb() {
	local key value unit
	while read -r key value unit; do
		[ "$key" != "$1:" ] || { echo "$value"; return; }
	done < /proc/meminfo
}

hw_corrupted_kb() {
	meminfo_kb HardwareCorrupted
}

mem_total_kb() {
	meminfo_kb MemTotal
}

block_size() {
	local hex
	read -r hex < "$MEM/block_size_bytes"
	echo $((16#$hex))
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
	local id=${EPOCHREALTIME/./}000$BASHPID i
	printf '%s\n' "$1" > "$dir/$id.tmp" && mv "$dir/$id.tmp" "$dir/$id.req"
	for ((i = 0; i < 600; i++)); do
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
	local now end
	printf -v end '%(%s)T' -1
	end=$((end + $1))
	shift
	until "$@"; do
		printf -v now '%(%s)T' -1
		[ "$now" -lt "$end" ] || return 1
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
	printf '%s\n' "$SERVED_TABLE"
}
# NAME                   C event           built-in function         the Rust driver's function
SERVED_TABLE=$(cat <<'EOT'
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
)
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
	local f ev hits missed
	local -A ours=()
	for f in "$TRACEFS/events/$SERVED_GROUP"/*; do
		ours[${f##*/}]=1
	done
	while read -r ev hits missed; do
		[[ $ev == c_* || $ev == rs_* ]] && [ -n "${ours[$ev]:-}" ] &&
			echo "$ev $hits $missed"
	done < $TRACEFS/kprobe_profile
}

# The files of the served_table that dump.sh reads (the dumps' proofs).
SERVED_DUMP="phys_index_show state_show phys_device_show removable_show valid_zones_show auto_online_blocks_show"

served_mark() {
	SERVED_MARK=$(served_hits)
}

# served_since: "EVENT HITS" for the events that fired since served_mark;
# "missed EVENT N" for a probe that missed hits (kprobe reentry).
served_since() {
	local ev hits missed
	local -A m=() x=()
	while read -r ev hits missed; do
		[ -z "$ev" ] || { m[$ev]=$hits; x[$ev]=$missed; }
	done <<< "${SERVED_MARK:-}"
	while read -r ev hits missed; do
		((hits - ${m[$ev]:-0} <= 0)) || echo "$ev $((hits - ${m[$ev]:-0}))"
		((missed - ${x[$ev]:-0} <= 0)) || echo "missed $ev $((missed - ${x[$ev]:-0}))"
	done < <(served_hits)
}

# served_parse SINCE: from served_since's lines, SERVED_RAN (the events
# that ran, with their hits), SERVED_RUN_LIST ("EVENT: HITS ...", for rs_
# and c_ apart) and SERVED_MISSED ("missed EVENT N" lines, on one line).
served_parse() {
	local a b c
	SERVED_RAN=()
	SERVED_RUN_LIST=([rs]= [c]=)
	SERVED_MISSED=
	while read -r a b c; do
		case "$a" in
		'') ;;
		missed) SERVED_MISSED+="missed $b $c " ;;
		*)
			SERVED_RAN[$a]=$b
			SERVED_RUN_LIST[${a%%_*}]+="${SERVED_RUN_LIST[${a%%_*}]:+ }$a: $b"
			;;
		esac
	done <<< "$1"
}
declare -A SERVED_RAN=() SERVED_RUN_LIST=()
# served_missing EVENT: true if served_setup found no function for EVENT.
served_missing() {
	local ev
	[ -f "$SERVED_MISSING" ] || return 1
	while read -r ev; do
		[ "$ev" != "$1" ] || return 0
	done < "$SERVED_MISSING"
	return 1
}

# rust_ran NAME FUNC...: one result: since served_mark, each FUNC (a NAME
# of served_table) of the Rust driver ran; the built-in driver's may have
# run too (the tests that load and unload the module).
rust_ran() {
	local name=$1 since f missing=
	shift
	since=$(served_since)
	served_parse "$since"
	for f in "$@"; do
		[ -n "${SERVED_RAN[rs_$f]:-}" ] || missing="$missing rs_$f"
	done
	if [ -z "$missing" ]; then
		tap_ok "$name (${SERVED_RUN_LIST[rs]})"
	else
		tap_not_ok "$name" "did not run:$missing" "ran: $(tr '\n' ' ' <<< "$since")"
	fi
}

# served_c_event NAME: the C event of a NAME of served_table.
served_c_event() {
	local name cev rest
	while read -r name cev rest; do
		[ "$name" != "$1" ] || { echo "$cev"; return; }
	done <<< "$SERVED_TABLE"
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
	served_parse "$since"
	for f in "$@"; do
		ev=${own}_$f
		[ "$own" = rs ] || ev=$(served_c_event "$f")
		if served_missing "$ev"; then
			why+=("$ev: no such function to probe (the driver does not have it)")
		elif [ -z "${SERVED_RAN[$ev]:-}" ]; then
			why+=("$ev did not run")
		fi
	done
	[ -z "${SERVED_RUN_LIST[$other]}" ] ||
		why+=("the other driver ran: ${SERVED_RUN_LIST[$other]}")
	[ -z "$SERVED_MISSED" ] ||
		why+=("probes missed hits: $SERVED_MISSED")
	if [ ${#why[@]} = 0 ]; then
		tap_ok "$name: served by $label (${SERVED_RUN_LIST[$own]})"
	else
		tap_not_ok "$name: served by $label ($*)" "${why[@]}" \
			"functions that ran: $(tr '\n' ' ' <<< "${since:-none}")"
	fi
}
