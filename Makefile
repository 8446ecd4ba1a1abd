# SPDX-License-Identifier: GPL-2.0
#
# The two commands of this project:
#   make run     build (if needed), boot, show the driver at work
#   make check   build (if needed), boot, run every test; TAP + "N passed, N failed"
#
# Steps, each callable on its own: deps, prepare, config, build, build-base.
# The long forms, one boot each: fuzz, soak, faults, trinity, kasan (below).
# Everything generated lives in build/ (ignored by git).

SHELL := /bin/bash
BUILD := $(CURDIR)/build
TREE := $(BUILD)/linux
export BUILD

CONFIG_INPUTS := configs/guest.config host/config.sh \
	$(wildcard patches/*) $(shell find rust samples -name 'Kconfig*' 2>/dev/null)

.PHONY: all run check fuzz soak faults trinity bench kasan deps prepare config build build-base bisect-check lockdep-control clean distclean help

all: build

help:
	@sed -n '3,9p' Makefile | sed 's/^# \{0,1\}//'

run: build
	@bash host/run.sh

check: build-base
	@bash host/check.sh

deps:
	@bash host/deps.sh

prepare: deps
	@bash host/prepare.sh

$(BUILD)/config.stamp: $(CONFIG_INPUTS) | prepare
	@bash host/config.sh
	@touch $@

config: prepare $(BUILD)/config.stamp

build: config
	@bash host/build.sh

# The pristine kernel (no patch series) that make check compares against;
# built after the main one, never at the same time.
build-base: build
	@bash host/base.sh

# Differential fuzzing, the built-in driver against the Rust one, 10,000
# inputs (FUZZ_SEED, FUZZ_COUNT, FUZZ_ONLY); make check runs 500.
fuzz: build
	@bash host/long.sh fuzz

# 200 hand-overs of the Rust driver and a 10-minute soak (HANDOVERS,
# SOAK_SECONDS); make check runs 10 and 60 s.
soak: build
	@bash host/long.sh soak

# Every allocation of every path failed in turn, both drivers (fail-nth;
# FAILNTH_STEP); make check takes every FAILNTH_STEP-th.
faults: build
	@bash host/long.sh faults

# Debian's trinity aimed at /sys/devices/system/memory, TRINITY_SECONDS
# under each driver (installs trinity first).
trinity: build
	@bash host/deps.sh trinity
	@bash host/long.sh trinity

# The built-in driver against the Rust one, timed in one boot: a table,
# build/out-bench/bench/bench.json and two plots (BENCH_ROUNDS, 7 of each).
bench: build
	@bash host/bench.sh

# The Rust tests on a kernel with KASAN (its own tree, build/linux-kasan:
# a whole build the first time), and KASAN's self-test.
kasan: build
	@bash host/kasan.sh

# Build and boot the kernel at every patch of the series (slow).
bisect-check: build
	@bash host/bisect-check.sh

# The lockdep class patch alone on the pristine tree: lockdep must report
# the 2015 deadlock's cycle on a hot-add and an online (a kernel build).
lockdep-control: prepare
	@bash host/lockdep-control-check.sh

clean:
	rm -rf $(BUILD)/out $(BUILD)/kselftest

distclean:
	rm -rf $(BUILD)
