#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# A pc-dimm present from the start (QEMU's command line) with
# memhp_default_state=online and no mem= (which would refuse the hot-add
# during boot): acpi_scan_init() adds the DIMM's memory at boot and onlines
# it, through the paths that require device_hotplug_lock.  The boot's
# warnings are the final splat scan's (whole log); here: the setup is what
# it claims, and the DIMM's blocks are there and online.
. "$(dirname "$0")/lib.sh"
T=coldplug
SIZE=$((256 << 20))
progress "$T: the pc-dimm present at boot"

cmdline=$(cat /proc/cmdline)
case " $cmdline " in
*" mem="*) tap_not_ok "$T: booted with memhp_default_state=online and without mem=" "$cmdline" ;;
*" memhp_default_state=online "*) tap_ok "$T: booted with memhp_default_state=online and without mem=" ;;
*) tap_not_ok "$T: booted with memhp_default_state=online and without mem=" "$cmdline" ;;
esac
expect "$T: auto_online_blocks" "$(cat $MEM/auto_online_blocks)" online
# The DIMM's blocks: those whose firmware node is an ACPI memory device.
dimm=$(for b in $(memory_blocks); do
	fw=$(readlink "$MEM/$b/firmware_node" 2>/dev/null) || continue
	case "${fw##*/}" in PNP0C80:*) echo "$b" ;; esac
done)
n=$(grep -c . <<< "$dimm")
expect "$T: the ACPI memory device's blocks ($(echo $dimm))" "$n" $((SIZE / $(block_size)))
states=$(for b in $dimm; do cat $MEM/$b/state; done | sort -u | paste -sd ' ')
expect "$T: they were onlined at boot" "$states" online
