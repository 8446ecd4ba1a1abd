#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# A fuzzer nobody here wrote: Debian's trinity, aimed at the memory block
# files (--victims /sys/devices/system/memory) with the read/write family,
# for SECONDS under one driver (c: the built-in one; rust:
# rust_memory_block, loaded here and unloaded at the end).
#
# Confinement.  trinity's victim list is made by nftw(3), which follows
# symbolic links when a victim path is given, and it hands descriptors of
# those files to the syscalls.  From /sys/devices/system/memory the links
# lead everywhere: memoryN/node0 to the node's and the CPUs' files
# (cpuN/online among them), subsystem to /sys/bus/memory.  So trinity runs
# in a mount namespace of its own in which an empty read-only directory
# covers the boot blocks memory0-31 (not ours to offline), any block a
# probe adds outside memory32-39, every power/ directory (runtime PM, the
# driver core's) and the target of every link left.  nftw does not cross
# into another file system (FTW_MOUNT), so the list is the root's files
# and memory32-39's; find -L -xdev, which walks the same way, shows it
# before each round.  probe and auto_online_blocks are never open in the
# same round (see the rounds below).
#
# Results: the list is confined; trinity ran its rounds, each stopped by
# SIGINT (no hang) with its syscalls counted; its calls reached the files
# (the driver's functions behind every file ran: per-file counts, and they
# were this driver's, none of the other's); afterwards every block is
# accounted for (the same blocks, each online or offline, MemTotal moved by
# exactly the blocks onlined and offlined, HardwareCorrupted equal to the
# poisoned pages of /proc/kpageflags).  run_test scans the kernel log.
#
# usage: trinity.sh c|rust OUT RUST_MODULES [SECONDS]
#   RUST_MODULES: where memblock_unprobe.ko was built
. "$(dirname "$0")/lib.sh"
DIR=$(cd "$(dirname "$0")" && pwd)
WHO=${1:?usage: trinity.sh c|rust OUT RUST_MODULES [SECONDS]}
OUT=${2:?}
MODS=${3:?}
SECS=${4:-60}
DRV=rust_memory_block
case "$WHO" in
c) label="the built-in driver" ;;
rust) label=$DRV ;;
*) echo "trinity.sh: no driver '$WHO' (c or rust)" >&2; exit 2 ;;
esac
T="trinity ($label)"
progress "$T: $SECS s"

if ! command -v trinity > /dev/null; then
	tap_not_ok "$T: trinity is installed" "not found: make trinity installs Debian's trinity (host/deps.sh trinity)"
	exit 0
fi
ensure_debugfs
served_setup
modprobe hwpoison_inject
bs=$(block_size)
first=$((0x100000000 / bs))

# The layout, the same for both drivers: memory32 offline, memory33 online
# movable, memory34 online in ZONE_NORMAL, memory35 online movable,
# memory36-39 absent (a write to probe may add them).
auto=$(cat $MEM/auto_online_blocks)
echo offline > $MEM/auto_online_blocks
setup=
for i in 0 1 2 3; do
	b=$((first + i))
	[ -e $MEM/memory$b ] || setup+="$(sysfs_write $MEM/probe "$(printf '0x%x' $((b * bs)))") "
done
want=(offline online_movable online_kernel online_movable)
zone=(offline Movable Normal Movable)
got=
for i in 0 1 2 3; do
	b=$((first + i))
	if [ "$(cat $MEM/memory$b/state)" = online ] && [ "$(cat $MEM/memory$b/valid_zones)" != "${zone[$i]}" ]; then
		setup+="$(sysfs_write $MEM/memory$b/state offline) "
	fi
	[ "${want[$i]}" = offline ] || [ "$(cat $MEM/memory$b/state)" = online ] ||
		setup+="$(sysfs_write $MEM/memory$b/state "${want[$i]}") "
	[ "${want[$i]}" != offline ] || [ "$(cat $MEM/memory$b/state)" = offline ] ||
		setup+="$(sysfs_write $MEM/memory$b/state offline) "
	if [ "${want[$i]}" = offline ]; then
		got+="$(cat $MEM/memory$b/state) "
	else
		got+="$(cat $MEM/memory$b/valid_zones) "
	fi
done
expect "$T: the layout (memory$first offline, memory$((first + 1)) movable, memory$((first + 2)) Normal, memory$((first + 3)) movable)" \
	"$(sed 's/OK //g' <<< "$setup")${got% }" "offline Movable Normal Movable"

if [ "$WHO" = rust ]; then
	mark=$(dmesg | wc -l)
	expect "$T: modprobe $DRV" "$(modprobe $DRV 2>&1; echo "rc=$?")" "rc=0"
	expect "$T: $DRV serves the memory blocks" \
		"$(dmesg_since "$mark" | grep -c "memory: memory block devices served by $DRV")" 1
fi

# accounting: the blocks, their states, MemTotal, HardwareCorrupted and the
# poisoned pages, one line each.
online_blocks() {
	grep -lx online $MEM/memory*/state | wc -l
}
poisoned_kb() {
	/usr/bin/python3 - <<'PY'
import struct
n = 0
with open("/proc/kpageflags", "rb") as f:
    while True:
        buf = f.read(1 << 20)
        if not buf:
            break
        for (v,) in struct.iter_unpack("<Q", buf):
            n += v >> 19 & 1        # KPF_HWPOISON
print(n * 4)
PY
}
blocks0=$(memory_blocks | tr '\n' ' ')
online0=$(online_blocks)
total0=$(mem_total_kb)

# The victims, in a namespace of trinity's own (see above); the script
# below runs in it: it covers, lists the files (find -L -xdev, as nftw with
# FTW_MOUNT and links followed), then runs trinity in rounds of ROUND
# seconds: trinity opens one descriptor per file of its list, drawn at
# random with repeats (40 draws for 40 files), so a file has none in a
# third of the rounds; each round draws anew.  No -s: with a seed given,
# trinity 2023.01 leaves its parent's rand() unseeded (init_seed() calls
# srand() only for a seed of its own), and the parent draws the
# descriptors: the same ones for every seed.  Each round's seed is in its
# log ("Initial random seed").  At the end of each round its descriptors
# (the children use the parent's) go to WORK/fds, then SIGINT: trinity
# must stop within a minute.
ROUND=${TRINITY_ROUND:-30}
rounds=$(((SECS + ROUND - 1) / ROUND))
work=$(mktemp -d /tmp/trinity.XXXXXX)
mount -t tmpfs -o size=64m tmpfs "$work"
mkdir "$work/empty" "$work/cwd"
: > "$work/empty-file"
cat > "$work/run.sh" <<RUN
set -u
empty=$work/empty
cover() { mountpoint -q "\$1" || mount --bind -o ro "\$empty" "\$1" 2> /dev/null || mount --bind "\$empty" "\$1"; }
cover_all() {
	for d in $MEM/memory*; do
		n=\${d##*memory}
		[ "\$n" -ge $first ] && [ "\$n" -lt $((first + 8)) ] || cover "\$d"
	done
	for d in $MEM/power $MEM/memory*/power; do
		[ -d "\$d" ] && cover "\$d"
	done
	find $MEM -type l | while read -r l; do
		t=\$(readlink -f "\$l")
		[ -d "\$t" ] && cover "\$t"
	done
}
cd $work/cwd
for ((r = 0; r < $rounds; r++)); do
	# Before each round (a probe may have added a block): what the last
	# one left (auto_online_blocks, blocks outside memory$first-$((first + 7))
	# not covered yet, with their states), the covers, then the list this
	# round's trinity will make.
	# (probe and auto_online_blocks uncovered first: the last round
	# covered one of them.)
	for f in $MEM/probe $MEM/auto_online_blocks; do
		mountpoint -q "\$f" && umount "\$f"
	done
	new=
	for d in $MEM/memory*; do
		n=\${d##*memory}
		[ "\$n" -ge $first ] && [ "\$n" -lt $((first + 8)) ] || mountpoint -q "\$d" || new+=" memory\$n \$(cat \$d/state)"
	done
	echo "before round \$r: auto_online_blocks \$(cat $MEM/auto_online_blocks)\${new:+; new blocks:\$new}" >> $work/rounds
	cover_all
	# probe and auto_online_blocks never in one round: trinity writes back
	# what it read (a state's "online" into auto_online_blocks), and a
	# probe takes any address (2147483648: the PCI hole at 2 GiB); with
	# both, it onlined the hole as RAM.  Even rounds: probe covered; odd
	# rounds: auto_online_blocks offline again, then covered.
	if [ \$((r % 2)) = 0 ]; then
		mount --bind $work/empty-file $MEM/probe
	else
		echo offline > $MEM/auto_online_blocks
		mount --bind $work/empty-file $MEM/auto_online_blocks
	fi
	find -L $MEM -xdev -printf '%D %Y %p\\n' 2> /dev/null > $work/found.\$r
	trinity --dangerous --clowntown -q -l off --stats -C 2 -a 64 -V $MEM \\
		--enable-fds=pseudo -c read -c write -c pread64 -c pwrite64 -c readv -c writev \\
		-c preadv -c pwritev -c lseek -c open -c openat -c mmap > $work/log.\$r 2>&1 &
	t=\$!
	sleep $ROUND
	for f in /proc/\$t/fd/*; do
		l=\$(readlink "\$f") || continue
		case "\$l" in $MEM*) echo "\$l \$(awk '/^flags:/ { print \$2 }' /proc/\$t/fdinfo/\${f##*/})" ;; esac
	done >> $work/fds
	kill -INT \$t
	for ((i = 0; i < 60; i++)); do
		kill -0 \$t 2> /dev/null || break
		sleep 1
	done
	if kill -0 \$t 2> /dev/null; then
		echo "round \$r: still running a minute after SIGINT; tasks in D state:" > $work/hung
		ps -eo pid,stat,wchan:32,comm | awk '\$2 ~ /D/' >> $work/hung
		pkill -KILL -f "trinity --dangerous"
		exit 1
	fi
	wait \$t
done
RUN
served_mark
t0=$(date +%s)
unshare --mount --propagation private bash "$work/run.sh" > "$work/run.log" 2>&1
rc=$?
secs=$(($(date +%s) - t0))
# Every file of the driver reached: its function ran, this driver's.
# ("online" is the driver core's file; its writes reach the driver only as
# 0 or 1.)  First, before any read here adds to the counts.
served "$T: its calls reached every file of the driver" "$WHO" state_show state_store \
	phys_index_show phys_device_show removable_show valid_zones_show probe_store \
	auto_online_blocks_show auto_online_blocks_store soft_offline_page_store hard_offline_page_store
# The victims as nftw gives them to trinity, in every round: on the memory
# root's file system (FTW_MOUNT: nothing else is reported), no dangling
# link.
dev=$(awk -v p="$MEM" '$3 == p { print $1; exit }' "$work/found.0")
cat "$work"/found.* | awk -v d="$dev" '$1 == d && $2 != "N" && $2 != "L" { print $3 }' | sort -u > "$OUT/trinity-$WHO.victims"
cat "$work/run.log" $(ls "$work"/log.* | sort -t. -k2 -n) > "$OUT/trinity-$WHO.log"
summary=$(python3 "$DIR/trinity-stats.py" "$work/fds" "$work"/log.*)
hung=$(cat "$work/hung" 2> /dev/null)
rounds_seen=$(cat "$work/rounds")
umount "$work"
rmdir "$work"

ours=$(seq -s '|' $first $((first + 7)))
outside=$(grep -Ev "^$MEM(/[a-z_]+|/memory($ours)(/[a-z_]+)?)?\$" "$OUT/trinity-$WHO.victims")
blocks=$(grep -Eo "^$MEM/memory[0-9]+\$" "$OUT/trinity-$WHO.victims" | sed 's,.*/,,' | sort -V | tr '\n' ' ')
if [ -z "$outside" ] && [ -s "$OUT/trinity-$WHO.victims" ]; then
	tap_ok "$T: its victim lists are the memory root's files and memory$first-$((first + 7))'s, nothing through a link ($(wc -l < "$OUT/trinity-$WHO.victims") paths in all; blocks: ${blocks% })"
else
	tap_not_ok "$T: its victim lists are the memory root's files and memory$first-$((first + 7))'s, nothing through a link" \
		"$(wc -l < "$OUT/trinity-$WHO.victims") paths; outside:" "$(head -10 <<< "$outside")"
fi
nran=$(grep -c '^\[main\] Ran ' "$OUT/trinity-$WHO.log")
if [ -n "$hung" ]; then
	tap_not_ok "$T: $rounds rounds of $ROUND s, each stopped by SIGINT" "$hung"
elif [ "$rc" != 0 ] || [ "$nran" != "$rounds" ]; then
	tap_not_ok "$T: $rounds rounds of $ROUND s, each stopped by SIGINT" \
		"exit status $rc; $nran \"Ran N syscalls\" lines; the log's end:" "$(tail -15 "$OUT/trinity-$WHO.log")"
else
	tap_ok "$T: $rounds rounds of $ROUND s, each stopped by SIGINT; $secs s in all ($(sed -n 's/^Ran //p' <<< "$summary"))"
fi
printf '%s\n' "$rounds_seen" | sed 's/^/# /'
echo "# after the last round: auto_online_blocks $(cat $MEM/auto_online_blocks)"
# Per file: trinity's descriptors; per syscall: its results (--stats).
grep -v '^Ran ' <<< "$summary" | sed 's/^/# /'

# Every block accounted for.  A block trinity's probes added (the probe
# file takes any block-aligned address under either driver: a number such
# as 2147483648 adds the PCI hole at 2 GiB) must be offline: no round saw
# its files unless it is in memory32-39.  Then it is removed again.
why=()
added=$(comm -13 <(tr ' ' '\n' <<< "$blocks0" | grep . | sort) <(memory_blocks | sort) | sort -V | tr '\n' ' ')
gone=$(comm -23 <(tr ' ' '\n' <<< "$blocks0" | grep . | sort) <(memory_blocks | sort) | sort -V | tr '\n' ' ')
[ -z "$gone" ] || why+=("blocks gone: $gone")
for b in $added; do
	[ "$(cat $MEM/$b/state)" = offline ] || why+=("$b, added by a probe, is $(cat $MEM/$b/state)")
done
bad=$(grep -LEx 'online|offline' $MEM/memory*/state)
[ -z "$bad" ] || why+=("states neither online nor offline: $bad")
online1=$(online_blocks)
total1=$(mem_total_kb)
[ $((total1 - total0)) = $(((online1 - online0) * bs / 1024)) ] ||
	why+=("MemTotal $total0 -> $total1 kB, online blocks $online0 -> $online1")
hwc=$(hw_corrupted_kb)
poisoned=$(poisoned_kb)
[ "$hwc" = "$poisoned" ] || why+=("HardwareCorrupted $hwc kB, poisoned pages in /proc/kpageflags $poisoned kB")
if [ ${#why[@]} = 0 ]; then
	tap_ok "$T: every block accounted for (${blocks0% }: all there${added:+; added by its probes, offline: ${added% }}; online blocks $online0 -> $online1, MemTotal $total0 -> $total1 kB; HardwareCorrupted $hwc kB = the poisoned pages)"
else
	tap_not_ok "$T: every block accounted for" "${why[@]}"
fi

if [ "$WHO" = rust ]; then
	expect "$T: rmmod $DRV" "$(rmmod_retry $DRV 2>&1; echo "rc=$?")" "rc=0"
fi
# The blocks trinity's probes added, removed (offline ones only).
if [ -n "$added" ]; then
	insmod "$MODS/memblock_unprobe.ko" 2> /dev/null
	for b in $added; do
		[ "$(cat $MEM/$b/state)" = offline ] &&
			echo $((${b#memory} * bs)) > /sys/module/memblock_unprobe/parameters/remove
	done
	rmmod memblock_unprobe
fi
echo "$auto" > $MEM/auto_online_blocks
echo "# trinity's output: $OUT/trinity-$WHO.log"
exit 0
