#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# The splat detector's self-test, in a boot of its own: each kind of report
# splat-scan.sh looks for is provoked on purpose, one after the other, and
# the detector, run on the log since the provocation, must report it (one
# TAP line each).  The lockdep report is the lockdep boot's
# (lockdep-inversion.sh checks that the detector reports it).
#
#   WARNING          lkdtm WARNING
#   double free      lkdtm SLAB_FREE_DOUBLE (SLUB debugging: a "BUG lkdtm-heap-double_free"
#                    report)
#   use-after-free   lkdtm WRITE_AFTER_FREE (SLUB poisoning: a "BUG kmalloc-1k" report,
#                    "Object corrupt" or "Poison overwritten"; or KFENCE's, if
#                    it sampled that allocation)
#   KFENCE           lkdtm KFENCE_READ_AFTER_FREE ("BUG: KFENCE: use-after-free")
#   memory leak      the kmemleak-test sample module (kmemleak: "unreferenced object")
#   RCU stall        rcutorture stall_cpu=12 (fwd_progress=0: the two tests
#                    exclude each other) with a 3 s stall timeout (8 s with
#                    CONFIG_PROVE_RCU, which adds 5 s)
#   hung task        lkdtm HUNG_TASK with a 3 s hung task timeout (the task
#                    stays in D state until the power-off)
#   BUG()            lkdtm BUG ("kernel BUG at", an oops that kills the writer)
#   oops             lkdtm EXCEPTION (a NULL pointer dereference)
#   lockdep window   "WARNING:" lines printed on CPU 1 (through /dev/kmsg)
#                    in the middle of a lockdep report (memblock_lock_inversion.ko
#                    on CPU 0) that the detector is told to expect: they are
#                    reported
# The oopses come last: after one (TAINT_DIE) the hung task detector is
# silent.  The lockdep window comes first after the WARNING: a SLUB report
# taints the kernel in a way that turns lockdep off.
. "$(dirname "$0")/lib.sh"
EXT=${1:?usage: guest-splat-selftest.sh RUST_MODULE_DIR}
SCAN=$(dirname "$0")/splat-scan.sh
LKDTM=/sys/kernel/debug/provoke-crash/DIRECT

# caught KIND WANT [SCAN OPTION...]: the detector, on the log since $mark,
# says "not ok" and shows a line matching WANT.
caught() {
	local kind=$1
	shift
	detector_reports "splat self-test: $kind is reported" "$@"
}

# provoke KIND WANT COMMAND...: run COMMAND, then check the detector.
provoke() {
	local kind=$1 want=$2
	shift 2
	progress "splat self-test: $kind"
	mark=$(dmesg | wc -l)
	"$@"
	caught "$kind" "$want"
}

lkdtm() {
	echo "$1" > "$LKDTM"
}

# lkdtm_in_child WHAT: the same from a child shell, for what kills the writer.
lkdtm_in_child() {
	bash -c "echo $1 > $LKDTM" > /dev/null 2>&1
	true
} 2> /dev/null

# log_has TEXT: the log since $mark has TEXT.
log_has() {
	dmesg_since "$mark" | grep -q -- "$1"
}

ensure_debugfs
mark=0
out=$(bash "$SCAN" --kmemleak "nothing before")
expect "splat self-test: the detector reports nothing before the provocations" "$out" "ok - nothing before"

modprobe lkdtm
provoke WARNING 'WARNING:.*lkdtm' lkdtm WARNING

# The lockdep allowance hides nothing but its report: while
# memblock_lock_inversion.ko, on CPU 0, makes lockdep report its inverted
# order, a process on CPU 1 prints "WARNING:" lines into the kernel log
# through /dev/kmsg (printk from user space, at KERN_INFO: not on the
# serial console, which would pace it).  They have no backtrace of their
# own: the report's end, the first "</TASK>" after its heading, is the
# report's.  The process writes a line every 2 ms, and when it reads the
# module's "now the inverted order" in the log, 3000 more back to back:
# the report's lines before its backtrace are stored over some 3 ms.  On
# the log from the report's heading to its end, with at least one of those
# lines in between, the detector told to expect the lockdep report must
# report them.
progress "splat self-test: a WARNING inside an expected lockdep report"
mark=$(dmesg | wc -l)
stopf=$(mktemp -u /tmp/splat-window.XXXXXX)
devkmsg=$(cat /proc/sys/kernel/printk_devkmsg)
echo on > /proc/sys/kernel/printk_devkmsg
taskset -c 1 /usr/bin/python3 -c '
import os, sys, time
w = os.open("/dev/kmsg", os.O_WRONLY)
r = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
os.lseek(r, 0, os.SEEK_END)
n = 0
def line():
    global n
    n += 1
    os.write(w, b"<6>WARNING: splat self-test line %d, written on CPU 1\n" % n)
deadline = time.monotonic() + 60
while not os.path.exists(sys.argv[1]) and time.monotonic() < deadline:
    seen = b""
    while True:
        try:
            seen += os.read(r, 8192)
        except (BlockingIOError, BrokenPipeError):
            break
    if b"now the inverted order" in seen:
        for i in range(3000):
            line()
        break
    line()
    time.sleep(0.002)
' "$stopf" > /dev/null 2>&1 &
warner=$!
# The process runs (its first line is in the log) before the module loads.
warned() { dmesg_since "$mark" | grep -q 'WARNING: splat self-test line'; }
wait_for 30 warned || echo "splat self-test: the process on CPU 1 printed no line in 30 s" >&2
taskset -c 0 insmod "$EXT/memblock_lock_inversion.ko" > /dev/null 2>&1
touch "$stopf"
wait $warner
rm -f "$stopf"
echo "$devkmsg" > /proc/sys/kernel/printk_devkmsg
window=$(dmesg | awk -v m="$mark" 'NR > m && /WARNING: possible circular locking dependency detected/ && !s { s = NR }
	s && !e && /<\/TASK>/ { e = NR } END { print s + 0, e + 0 }')
read -r wstart wend <<< "$window"
inside=0
[ "$wend" -gt "$wstart" ] && inside=$(dmesg | sed -n "$((wstart + 1)),$((wend - 1))p" | grep -c 'WARNING: splat self-test line')
name="splat self-test: a WARNING line printed on CPU 1 (/dev/kmsg) inside an expected lockdep report is reported"
if [ "$wstart" = 0 ] || [ "$wend" = 0 ]; then
	tap_not_ok "$name" "no complete lockdep report since the mark:" "$(dmesg_since "$mark" | grep -m5 -A3 'circular')"
elif [ "$inside" = 0 ]; then
	tap_not_ok "$name" "no WARNING landed inside the report (lines $wstart-$wend): the test showed nothing"
else
	out=$(bash "$SCAN" --since $((wstart - 1)) --until "$wend" --allow-lockdep-report "the report's window")
	if grep -q '^not ok - ' <<< "$out" && grep -q 'WARNING: splat self-test line' <<< "$out"; then
		tap_ok "$name ($inside WARNING line(s) inside the report, lines $wstart-$wend of the log)"
	else
		tap_not_ok "$name" "$inside WARNING line(s) inside the report (lines $wstart-$wend); the detector said:" "$out"
	fi
fi
provoke "double free" 'BUG lkdtm-heap-double_free ' lkdtm SLAB_FREE_DOUBLE
provoke "use-after-free (SLUB poisoning)" 'BUG kmalloc-1k .*(Object corrupt|Poison overwritten)|KFENCE: use-after-free' \
	lkdtm WRITE_AFTER_FREE
provoke "use-after-free (KFENCE)" 'BUG: KFENCE: use-after-free' lkdtm KFENCE_READ_AFTER_FREE

progress "splat self-test: memory leak"
mark=$(dmesg | wc -l)
modprobe kmemleak-test
rmmod kmemleak-test
# kmemleak reports an object only once it is 5 s old, and a scan can miss a
# leak while a stale copy of its address is still around: scan again, up
# to five times, before calling it missed.
sleep 6
for try in 1 2 3 4 5; do
	[ -z "$(head -c 1 /sys/kernel/debug/kmemleak)" ] || break
	echo scan > /sys/kernel/debug/kmemleak
done
caught "memory leak (kmemleak scans: $try)" 'unreferenced object' --kmemleak

progress "splat self-test: RCU stall"
mark=$(dmesg | wc -l)
echo 3 > /sys/module/rcupdate/parameters/rcu_cpu_stall_timeout
modprobe rcutorture fwd_progress=0 stall_cpu=12 stall_cpu_holdoff=0
wait_for 60 log_has 'rcu_torture_stall end' ||
	echo "rcutorture: no 'rcu_torture_stall end' within 60 s" >&2
rmmod rcutorture
caught "RCU stall" 'rcu: INFO: .*detected stall|self-detected stall'

progress "splat self-test: hung task"
mark=$(dmesg | wc -l)
echo 3 > /proc/sys/kernel/hung_task_timeout_secs
# Its own descriptors: the task never ends, and must not hold our pipes.
lkdtm HUNG_TASK < /dev/null > /dev/null 2>&1 &
wait_for 60 log_has 'blocked for more than' ||
	echo "hung task: no report within 60 s" >&2
# One report is enough: no more while the task waits for the power-off.
echo 0 > /proc/sys/kernel/hung_task_warnings
caught "hung task" 'INFO: task .* blocked for more than'

# The oops kills the task that wrote: a shell of its own, whose end the
# shell that waits for it reports on stderr (not ours).
provoke "BUG()" 'kernel BUG at drivers/misc/lkdtm' lkdtm_in_child BUG
provoke "oops" 'BUG: kernel NULL pointer dereference' lkdtm_in_child EXCEPTION
