# SPDX-License-Identifier: GPL-2.0
#
# The two commands of this project:
#   make run     build (if needed), boot, show the driver at work
#   make check   build (if needed), boot, run every test; TAP + "N passed, N failed"
#
# Steps, each callable on its own: deps, prepare, config, build, build-base.
# Everything generated lives in build/ (ignored by git).

SHELL := /bin/bash
BUILD := $(CURDIR)/build
TREE := $(BUILD)/linux
export BUILD

CONFIG_INPUTS := configs/guest.config host/config.sh \
	$(wildcard patches/*) $(shell find rust samples -name 'Kconfig*' 2>/dev/null)

.PHONY: all run check fuzz deps prepare config build build-base bisect-check lockdep-control clean distclean help

all: build

help:
	@sed -n '3,8p' Makefile | sed 's/^# \{0,1\}//'

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
	@bash host/fuzz.sh

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
