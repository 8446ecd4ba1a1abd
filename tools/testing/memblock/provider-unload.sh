#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# A provider's module and its registration (the core's side):
#  - test_memory_block_provider loaded with leak=1 leaves its provider
#    registered when unloaded: the core unregisters it as the module goes,
#    with a warning naming both, and the blocks' files are then served by
#    the built-in driver (every file read: a call into the freed module,
#    whose vmalloc'ed memory is unmapped, would oops, which the splat scan
#    reports), and the module can be loaded again;
#  - rmmod while an offline through the provider is in flight (a writer
#    held in offline_pages() by a pinned page, offline-stack.sh) returns at
#    once, failing (the operation holds a reference on the module), instead
#    of waiting for an offline that retries until its writer is signalled;
#    once the writer is gone, rmmod succeeds.
. "$(dirname "$0")/lib.sh"
MOD=test_memory_block_provider
DIR=$(cd "$(dirname "$0")" && pwd)
progress "provider-unload: a leaked registration, rmmod with an offline in flight"

mark=$(dmesg | wc -l)
expect "provider-unload: modprobe $MOD leak=1" "$(modprobe $MOD leak=1 2>&1; echo "rc=$?")" rc=0
expect "provider-unload: rmmod $MOD, which leaves its provider registered" "$(rmmod_retry $MOD 2>&1; echo "rc=$?")" rc=0
expect "provider-unload: the core unregistered it, with a warning naming the module and the provider" \
	"$(dmesg_since "$mark" | grep -c "memory: module $MOD went away without unregistering memory block provider $MOD")" 1
mapfile -t bad < <(unreadable_files $MEM/* $MEM/memory*/*)
expect "provider-unload: every readable file of the memory devices reads afterwards" "${bad[*]}" ""
expect "provider-unload: $MOD loads again (no provider left registered)" \
	"$(modprobe $MOD 2>&1; echo "rc=$?") $(rmmod_retry $MOD 2>&1; echo "rc=$?")" "rc=0 rc=0"

# A movable block of probed memory, for the writer: one the tests before
# left online movable, or one they left offline (onlined movable), or a
# block not probed yet (probed and onlined movable).
bs=$(block_size)
range=$(seq $((0x100000000 / bs)) $((0x13fffffff / bs)))
n=$(movable_blocks $(for i in $range; do [ -e "$MEM/memory$i" ] && echo "memory$i"; done) | head -1)
n=${n#memory}
if [ -z "$n" ]; then
	for i in $range; do
		if [ ! -e "$MEM/memory$i" ]; then
			sysfs_write $MEM/probe $(printf '0x%x' $((i * bs))) > /dev/null
		fi
		if [ "$(cat $MEM/memory$i/state 2>/dev/null)" = offline ] &&
			[ "$(sysfs_write $MEM/memory$i/state online_movable)" = OK ]; then
			n=$i
			break
		fi
	done
fi
if [ -n "$n" ]; then
	tap_ok "provider-unload: memory$n of the probe range is online movable"
else
	tap_not_ok "provider-unload: a block of the probe range is online movable" \
		"$(block_files state valid_zones)"
	exit 0
fi
expect "provider-unload: modprobe $MOD" "$(modprobe $MOD 2>&1; echo "rc=$?")" rc=0
progress "provider-unload: rmmod while a writer offlines memory$n through $MOD"
out=$(IN_FLIGHT="t0=\$(date +%s%N); rmmod $MOD; echo \"rc=\$? ms=\$(( (\$(date +%s%N) - t0) / 1000000 ))\"" \
	bash "$DIR/offline-stack.sh" "$n")
if grep -q '^test_offline$' <<< "$out"; then
	tap_ok "provider-unload: the writer is in offline_pages() through the provider's offline (test_offline in its stack)"
else
	tap_not_ok "provider-unload: the writer is in offline_pages() through the provider's offline (test_offline in its stack)" "$out"
fi
rc=$(sed -n 's/^in-flight: rc=\([0-9]*\) ms=.*/\1/p' <<< "$out")
ms=$(sed -n 's/^in-flight: rc=[0-9]* ms=\([0-9]*\)/\1/p' <<< "$out")
expect "provider-unload: rmmod fails while the offline is in flight" "$rc" 1
if [ -n "$ms" ] && [ "$ms" -lt 10000 ]; then
	tap_ok "provider-unload: rmmod returned in $ms ms (under 10 s)"
else
	tap_not_ok "provider-unload: rmmod returned in under 10 s" "$out"
fi
expect "provider-unload: the writer was still in flight after it" \
	"$(grep -c '^in-flight: writer still in flight' <<< "$out")" 1
expect "provider-unload: rmmod $MOD once the writer is gone" "$(rmmod_retry $MOD 2>&1; echo "rc=$?")" rc=0
expect "provider-unload: memory$n is online movable again afterwards" "$(cat $MEM/memory$n/state $MEM/memory$n/valid_zones | tr '\n' ' ')" "online Movable "

# The same with the offline in a kworker (ACPI eject), which no signal
# ever stops: the eject of a DIMM whose movable block holds a pinned page.
progress "provider-unload: rmmod while an ACPI eject offlines a DIMM through $MOD"
SIZE=$((256 << 20))
before=$(memory_blocks)
auto0=$(cat $MEM/auto_online_blocks)
expect "provider-unload: DIMM hot-added, its blocks online movable" \
	"$(sysfs_write $MEM/auto_online_blocks online_movable) $(qmp_ram_backend_add unload0 $SIZE) $(qmp_dimm_add unload0 1)" \
	'OK {"return": {}} {"return": {}}'
have_new() { [ "$(blocks_added "$before" | wc -l)" = "$((SIZE / bs))" ]; }
wait_for 120 have_new
sysfs_write $MEM/auto_online_blocks "$auto0" > /dev/null
dimm=$(blocks_added "$before" | sed 's/^memory//' | tr '\n' ' ')
expect "provider-unload: modprobe $MOD" "$(modprobe $MOD 2>&1; echo "rc=$?")" rc=0
out=$(OFFLINER=". '$DIR/lib.sh'; qmp_dimm_del unload0" \
	IN_FLIGHT="t0=\$(date +%s%N); rmmod $MOD; echo \"rc=\$? ms=\$(( (\$(date +%s%N) - t0) / 1000000 ))\"" \
	bash "$DIR/offline-stack.sh" $dimm)
rc=$(sed -n 's/^in-flight: rc=\([0-9]*\) ms=.*/\1/p' <<< "$out")
ms=$(sed -n 's/^in-flight: rc=[0-9]* ms=\([0-9]*\)/\1/p' <<< "$out")
expect "provider-unload: the eject's offline was in flight (going-offline)" "$(grep -c '^in flight: memory[0-9]* going-offline' <<< "$out")" 1
expect "provider-unload: rmmod fails while the eject's offline is in flight" "$rc" 1
if [ -n "$ms" ] && [ "$ms" -lt 10000 ]; then
	tap_ok "provider-unload: rmmod returned in $ms ms (under 10 s), the eject in flight"
else
	tap_not_ok "provider-unload: rmmod returned in under 10 s, the eject in flight" "$out"
fi
gone() { [ -z "$(blocks_added "$before")" ]; }
if wait_for 120 gone; then
	tap_ok "provider-unload: the eject finished once the page was unpinned"
else
	tap_not_ok "provider-unload: the eject finished once the page was unpinned" "$out" "$(dmesg | tail -20)"
fi
expect "provider-unload: QMP object-del, rmmod $MOD" \
	"$(qmp_object_del unload0) $(rmmod_retry $MOD 2>&1; echo "rc=$?")" '{"return": {}} rc=0'
