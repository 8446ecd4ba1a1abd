#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# virtio-mem: the host raises the device's requested-size over QMP, the
# guest's virtio-mem driver adds blocks (add_memory_driver_managed()) that
# are onlined (auto_online_blocks=online_movable); then the host lowers it to
# 0 and the driver unplugs (offline_and_remove_memory()).
. "$(dirname "$0")/lib.sh"
DEV=${VIRTIO_MEM_ID:-vm0}
SIZE=$((256 << 20))
T="virtio-mem"
progress "$T: plug $SIZE bytes through requested-size, then unplug"

if ! dmesg | grep -q 'virtio_mem virtio[0-9]*: start address'; then
	tap_not_ok "$T: driver bound to the device" "no 'virtio_mem ... start address' in dmesg"
	exit 0
fi
tap_ok "$T: driver bound to the device"

before=$(memory_blocks)
total0=$(mem_total_kb)
auto0=$(cat $MEM/auto_online_blocks)
new_blocks() { comm -13 <(echo "$before") <(memory_blocks); }
grown() { [ "$(mem_total_kb)" = "$((total0 + SIZE / 1024))" ]; }
back() { [ "$(mem_total_kb)" = "$total0" ] && [ -z "$(new_blocks)" ]; }

expect "$T: auto_online_blocks <- online_movable" "$(sysfs_write $MEM/auto_online_blocks online_movable)" OK
r=$(qmp '{"execute": "qom-set", "arguments": {"path": "/machine/peripheral/'$DEV'", "property": "requested-size", "value": '$SIZE'}}')
expect "$T: QMP qom-set requested-size $SIZE" "$r" '{"return": {}}'
if wait_for 180 grown; then
	tap_ok "$T: plugged: MemTotal grew by $SIZE bytes, blocks $(new_blocks | tr '\n' ' ')"
else
	tap_not_ok "$T: plugged: MemTotal grew by $SIZE bytes" \
		"MemTotal $(mem_total_kb) kB, was $total0 kB; new blocks: $(new_blocks | tr '\n' ' ')" \
		"$(dmesg | grep -i virtio_mem | tail -10)"
fi
states=$(for b in $(new_blocks); do cat $MEM/$b/state; done | sort -u | tr '\n' ' ')
expect "$T: its blocks were onlined" "$states" "online "
r=$(qmp '{"execute": "qom-set", "arguments": {"path": "/machine/peripheral/'$DEV'", "property": "requested-size", "value": 0}}')
expect "$T: QMP qom-set requested-size 0" "$r" '{"return": {}}'
if wait_for 180 back; then
	tap_ok "$T: unplugged: blocks removed, MemTotal back"
else
	tap_not_ok "$T: unplugged: blocks removed, MemTotal back" \
		"MemTotal $(mem_total_kb) kB, was $total0 kB; left: $(new_blocks | tr '\n' ' ')" \
		"$(dmesg | grep -i virtio_mem | tail -10)"
fi
expect "$T: auto_online_blocks <- $auto0" "$(sysfs_write $MEM/auto_online_blocks "$auto0")" OK
