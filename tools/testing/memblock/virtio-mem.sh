#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# virtio-mem: the host raises the device's requested-size over QMP, the
# guest's virtio-mem driver adds blocks (add_memory_driver_managed(), in a
# memory group) that are onlined (auto_online_blocks=online_movable); then
# the host lowers it to 0 and the driver unplugs (offline_and_remove_memory()).
#
# usage: virtio-mem.sh [plug|unplug] [TITLE]: both steps by default; one
# step alone leaves its state in /tmp for the other (so that something can
# happen between them).
. "$(dirname "$0")/lib.sh"
STEPS=${1:-plug unplug}
T=${2:-virtio-mem}
SIZE=$((256 << 20))
STATE=/tmp/virtio-mem.state

new_blocks() { blocks_added "$before"; }
grown() { [ "$(mem_total_kb)" = "$((total0 + SIZE / 1024))" ]; }
# The blocks plugged, that are still there.
left() { for b in $plugged; do [ -e "$MEM/$b" ] && echo "$b"; done; }
back() { [ "$(mem_total_kb)" = "$total0" ] && [ -z "$(left)" ]; }

case " $STEPS " in
*" plug "*)
	progress "$T: plug $SIZE bytes through requested-size"
	if ! dmesg | grep -q 'virtio_mem virtio[0-9]*: start address'; then
		tap_not_ok "$T: driver bound to the device" "no 'virtio_mem ... start address' in dmesg"
		exit 0
	fi
	tap_ok "$T: driver bound to the device"
	before=$(memory_blocks)
	total0=$(mem_total_kb)
	auto0=$(cat $MEM/auto_online_blocks)
	declare -p before total0 auto0 > "$STATE"
	expect "$T: auto_online_blocks <- online_movable" "$(sysfs_write $MEM/auto_online_blocks online_movable)" OK
	expect "$T: QMP qom-set requested-size $SIZE" "$(virtio_mem_request $SIZE)" '{"return": {}}'
	if wait_for 180 grown; then
		tap_ok "$T: plugged: MemTotal grew by $SIZE bytes, blocks $(new_blocks | tr '\n' ' ')"
	else
		tap_not_ok "$T: plugged: MemTotal grew by $SIZE bytes" \
			"MemTotal $(mem_total_kb) kB, was $total0 kB; new blocks: $(new_blocks | tr '\n' ' ')" \
			"$(dmesg | grep -i virtio_mem | tail -10)"
	fi
	plugged=$(new_blocks | tr '\n' ' ')
	declare -p plugged >> "$STATE"
	states=$(for b in $plugged; do cat $MEM/$b/state; done | sort -u | tr '\n' ' ')
	expect "$T: its blocks were onlined" "$states" "online "
	;;
esac

case " $STEPS " in
*" unplug "*)
	progress "$T: unplug"
	# shellcheck disable=SC1090
	. "$STATE"
	expect "$T: QMP qom-set requested-size 0" "$(virtio_mem_request 0)" '{"return": {}}'
	if wait_for 180 back; then
		tap_ok "$T: unplugged: $plugged removed, MemTotal back"
	else
		tap_not_ok "$T: unplugged: blocks removed, MemTotal back" \
			"MemTotal $(mem_total_kb) kB, was $total0 kB; left: $(left | tr '\n' ' ')" \
			"$(dmesg | grep -i virtio_mem | tail -10)"
	fi
	expect "$T: auto_online_blocks <- $auto0" "$(sysfs_write $MEM/auto_online_blocks "$auto0")" OK
	rm -f "$STATE"
	;;
esac
