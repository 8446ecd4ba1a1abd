#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# The page-offline files take no lock C does not take.  While a writer
# offlines a block (held in offline_pages() by a pinned page, holding
# device_hotplug_lock, mem_hotplug_lock and the zone's pcp lock;
# offline-stack.sh), a write to hard_offline_page for a free page of
# another block, then one to soft_offline_page, each wait inside the mm
# function (memory_failure(), soft_offline_page()) for what it needs, as
# C's stores do, instead of being restarted every few milliseconds by
# lock_device_hotplug_sysfs() (the store runs again each time: the
# served-by kprobes count its runs), and go through once the offline is
# gone (OK, or EBUSY for a page the retrying offline had in flux: what
# memory_failure() answers then); under the built-in driver, then under
# rust_memory_block (served-by results).  The pages are unpoisoned after.
#
# usage: page-offline.sh                 the test
#        page-offline.sh --in-flight TMP N
#                                        (offline-stack.sh's IN_FLIGHT)
. "$(dirname "$0")/lib.sh"
DIR=$(cd "$(dirname "$0")" && pwd)
DRV=rust_memory_block
UNPOISON=/sys/kernel/debug/hwpoison/unpoison-pfn

# write_at FILE ADDRESS OUT &: write ADDRESS to FILE, then the result
# (OK or the errno's name) to OUT, atomically; $! is the writing process.
write_at() {
	exec /usr/bin/python3 - "$@" <<'PY'
import errno, os, sys
path, addr, out = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    fd = os.open(path, os.O_WRONLY)
    os.write(fd, addr.encode() + b"\n")
    os.close(fd)
    res = "OK"
except OSError as e:
    res = errno.errorcode.get(e.errno, str(e.errno))
with open(out + ".tmp", "w") as f:
    f.write(res + "\n")
os.rename(out + ".tmp", out)
PY
}

# switches PID: its voluntary and involuntary context switches, summed.
switches() {
	awk '/ctxt_switches/ { n += $2 } END { print n + 0 }' /proc/$1/status 2> /dev/null
}

# stack PID: its kernel stack's functions, on one line.
stack() {
	sed -n 's/^\[<[0-9a-f]*>\] \([^+]*\)+.*/\1/p' /proc/$1/stack 2> /dev/null | paste -sd ' '
}

# watch NAME PID OUT: "NAME: done RESULT" if the write finished within
# half a second of entering the kernel, else "NAME: pending switches=N
# stack=FUNCTIONS|FUNCTIONS": its context switches in two seconds, and its
# kernel stack at their start and at their end.
watch() {
	local s0 s1 k0 k1 i
	# Until the writer is in the kernel's write (python starts slowly).
	for i in $(seq 100); do
		[ ! -e "$3" ] && ! grep -q kernfs_fop_write_iter /proc/$2/stack 2> /dev/null || break
		sleep 0.1
	done
	sleep 0.5
	if [ ! -e "$3" ]; then
		s0=$(switches $2) k0=$(stack $2)
		sleep 2
		s1=$(switches $2) k1=$(stack $2)
	fi
	if [ -e "$3" ]; then
		echo "$1: done $(cat "$3")"
	else
		echo "$1: pending switches=$((s1 - s0)) stack=$k0|$k1"
	fi
}

# free_page N SKIP...: a free page (buddy, KPF_BUDDY) of block N, from its
# middle, not one of SKIP.
free_page() {
	/usr/bin/python3 - "$(( $(block_size) / 4096 ))" "$@" <<'PY'
import struct, sys
per, n, skip = int(sys.argv[1]), int(sys.argv[2]), {int(s, 0) for s in sys.argv[3:]}
with open("/proc/kpageflags", "rb") as f:
    for pfn in range(n * per + per // 2, (n + 1) * per):
        f.seek(pfn * 8)
        if struct.unpack("<Q", f.read(8))[0] & (1 << 10) and pfn not in skip:
            print(pfn)
            break
PY
}

if [ "${1:-}" = --in-flight ]; then
	# The pages: free ones of block N, picked now that offline-stack.sh's
	# helper holds only its pinned page (it allocated on the blocks' nodes
	# until it had one), written to TMP.pages for the unpoison.
	tmp=$2
	soft=$(free_page "$3")
	hard=$(free_page "$3" "${soft:-0}")
	echo "$soft $hard" > "$tmp.pages"
	if [ -z "$soft" ] || [ -z "$hard" ]; then
		echo "pages: not two free pages in memory$3"
		exit 0
	fi
	soft=$(printf '0x%x' $((soft * 4096))) hard=$(printf '0x%x' $((hard * 4096)))
	write_at $MEM/hard_offline_page "$hard" "$tmp.hard" > /dev/null 2>&1 &
	watch hard $! "$tmp.hard"
	write_at $MEM/soft_offline_page "$soft" "$tmp.soft" > /dev/null 2>&1 &
	watch soft $! "$tmp.soft"
	exit 0
fi

progress "page-offline: soft and hard offline of a page while an offline is in flight"
modprobe hwpoison_inject 2> /dev/null
served_setup
hwc0=$(hw_corrupted_kb)
bs=$(block_size)
range=$(seq $((0x100000000 / bs)) $((0x13fffffff / bs)))

# Two blocks of the probe range online movable: one to offline, one for the
# pages (left online movable by the tests before, or onlined movable now,
# or probed and onlined movable).
blocks=($(movable_blocks $(for i in $range; do [ -e "$MEM/memory$i" ] && echo "memory$i"; done)))
for i in $range; do
	[ ${#blocks[@]} -ge 2 ] && break
	case " ${blocks[*]} " in *" memory$i "*) continue ;; esac
	[ -e "$MEM/memory$i" ] || sysfs_write $MEM/probe $(printf '0x%x' $((i * bs))) > /dev/null
	[ "$(cat $MEM/memory$i/state 2>/dev/null)" = offline ] &&
		[ "$(sysfs_write $MEM/memory$i/state online_movable)" = OK ] && blocks+=("memory$i")
done
if [ ${#blocks[@]} -lt 2 ]; then
	tap_not_ok "page-offline: two blocks of the probe range online movable" \
		"$(block_files state valid_zones)"
	exit 0
fi
off=${blocks[0]#memory} pages=${blocks[1]#memory}

run() {
	local who=$1 label=$2 tmp soft hard out w line k0 k1 r
	tmp=$(mktemp -u /tmp/page-offline.XXXXXX)
	served_mark
	out=$(IN_FLIGHT="bash '$DIR/page-offline.sh' --in-flight '$tmp' $pages" \
		bash "$DIR/offline-stack.sh" "$off")
	# Both go through once the offline is gone, if not before.
	wait_for 30 test -e "$tmp.soft" -a -e "$tmp.hard"
	for w in hard:memory_failure soft:soft_offline_page; do
		line=$(grep "^in-flight: ${w%%:*}: " <<< "$out")
		k0=$(sed -n 's/.* stack=\([^|]*\)|.*/\1/p' <<< "$line")
		k1=$(sed -n 's/.* stack=[^|]*|\(.*\)/\1/p' <<< "$line")
		if grep -qw "${w#*:}" <<< "$k0" && grep -qw "${w#*:}" <<< "$k1" &&
			! grep -q lock_device_hotplug <<< "$k0 $k1"; then
			tap_ok "page-offline ($label): ${w%%:*}_offline_page, memory$off's offline in flight: waits in ${w#*:}() ($(sed -n 's/.*\(switches=[0-9]*\).*/\1/p' <<< "$line") in 2 s; stack: ${k1%% *})"
		else
			tap_not_ok "page-offline ($label): ${w%%:*}_offline_page, memory$off's offline in flight: waits in ${w#*:}(), not in lock_device_hotplug_sysfs()" \
				"${line:-no result}"
		fi
		# Its answer: OK, or EBUSY if the page was in flux just then
		# (a migration target of the offline that was retrying;
		# memory_failure() logs "get hwpoison page: Ignored"), as C
		# would answer; not "none" (still waiting or restarting).
		r=$(cat "$tmp.${w%%:*}" 2> /dev/null || echo none)
		case "$r" in
		OK | EBUSY) tap_ok "page-offline ($label): ${w%%:*}_offline_page went through once the offline was gone ($r)" ;;
		*) tap_not_ok "page-offline ($label): ${w%%:*}_offline_page went through once the offline was gone (OK, or EBUSY for a page in flux)" "got '$r'" ;;
		esac
	done
	expect "page-offline ($label): memory$off's offline still in flight after both writes" \
		"$(grep -c '^in-flight: writer still in flight' <<< "$out")" 1
	# A restarted write runs the store again (the kprobes count its runs).
	expect "page-offline ($label): each store ran once for its one write (no restart)" \
		"$(served_since | awk '$1 ~ /^(c|rs)_(hard|soft)_offline_page_store$/ { print $1 "=" $2 }' | sort | paste -sd ' ')" \
		"$(for f in hard soft; do printf '%s_%s_offline_page_store=1\n' "${who/rust/rs}" $f; done | paste -sd ' ')"
	[ "$who" = c ] || served "page-offline ($label)" rust soft_offline_page_store hard_offline_page_store
	read -r soft hard < "$tmp.pages" 2> /dev/null
	for p in ${soft:-} ${hard:-}; do
		{ printf '0x%x' "$p" > $UNPOISON; } 2> /dev/null
	done
	rm -f "$tmp".*
}

run c "built-in"
expect "page-offline: modprobe $DRV" "$(modprobe $DRV 2>&1; echo "rc=$?")" rc=0
run rust "$DRV"
expect "page-offline: rmmod $DRV" "$(rmmod_retry $DRV 2>&1; echo "rc=$?")" rc=0
expect "page-offline: HardwareCorrupted back to its value (every page unpoisoned)" "$(( $(hw_corrupted_kb) - hwc0 ))" 0
