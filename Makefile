# SPDX-License-Identifier: GPL-2.0
# mmapdemo: build the module for Debian's kernels, the user-space programs
# and the selftests, and run them in QEMU VMs (never on the host kernel).
# Kernels come from Debian's archive into ~/.cache/mmapdemo (scripts/
# kernel-fetch); nothing kernel-related is installed on the host.
#
#   make check [KERNELS="6.12 7.3"|KERNELS=newest]   gates, all suites on
#                         every kernel of the matrix and the debug kernel
#                         (CI: .ci/run)
#   make run [KERNEL=7.3] [MODULE_ARGS="folio_order=0"]   the demo in a VM
#   make shell [KERNEL=..] [MODULE_ARGS=..]   interactive VM, module loaded
#   make deps | modules | userspace | selftests | clean
#   make lint      checkpatch, clang-format, sparse, W=1, cppcheck, shellcheck
#   make install [KERNEL=6.12] [DESTDIR=..] [PREFIX=/usr/local]  module, tool,
#        man page, uapi header, udev rule (make uninstall removes them)
#   make dkms-install [KERNEL=..] | dkms-remove   (default: running kernel)
#   make sign      sign build/modules/*/mmapdemo.ko with the DKMS MOK key
#   make stress [KERNEL=..] [STRESS_OPS=500000] [STRESS_SEED=N]   long random-
#        operation stress in a VM
#   make bench [KERNEL=..]    mmapdemo vs memfd/hugetlb/anon/dev-zero, plots
#
# KERNEL and KERNELS name Debian kernel series (each the newest release of
# the series in the archive now), "newest" (the newest series there), "debug"
# or exact releases. The targets that boot a VM (run, shell, check, stress,
# bench) first install the host tools they need (make deps); the build
# targets only build.

# The test matrix: one line to edit when Debian adds or drops a series.
KERNELS ?= 6.1 6.12 7.2 7.3
KERNEL ?= 7.3
MODULE_ARGS ?=
PREFIX ?= /usr/local
DESTDIR ?=

REPO := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
BUILD := $(REPO)/build
SCRIPTS := $(REPO)/scripts

MODULE_TARGETS := $(addprefix module-,$(sort $(KERNELS) $(KERNEL)))

.PHONY: all deps modules $(MODULE_TARGETS) userspace selftests run check \
	shell clean lint stress bench

all: modules userspace selftests

deps:
	@$(SCRIPTS)/install-deps

modules: $(addprefix module-,$(KERNELS))

$(MODULE_TARGETS): module-%:
	@$(SCRIPTS)/build-module $*

userspace:
	@$(MAKE) --no-print-directory -C $(REPO)/userspace O=$(BUILD)/userspace

selftests:
	@$(MAKE) --no-print-directory -C $(REPO)/selftests

run: deps
	@$(MAKE) --no-print-directory module-$(KERNEL) userspace
	@$(SCRIPTS)/vm-run --kernel $(KERNEL) --module-args "$(MODULE_ARGS)" \
		--add $(BUILD)/userspace/mmapdemo-demo -- mmapdemo-demo

# Every lint gate (scripts/lint), one OK/FAIL line each; the test-table
# gate reads the built selftests.
lint: selftests
	@KERNELS="$(KERNELS)" $(SCRIPTS)/lint

# The host gates (lint, DKMS build) first: if one fails, no VM boots. Then
# per Debian kernel two suites, default module parameters and order-0
# folios, and one on the debug kernel (scripts/check). All of them always
# run; the summary over all of them is the last line.
check: deps
	@$(MAKE) --no-print-directory userspace selftests
	@$(SCRIPTS)/check $(KERNELS)

# A long random-operation stress run in a VM (selftests/stress_test); a
# finding is saved as build/stress/*.replay, with the command to replay it.
STRESS_OPS ?= 500000
STRESS_SEED ?=

stress: deps
	@$(MAKE) --no-print-directory module-$(KERNEL) userspace selftests
	@$(SCRIPTS)/stress --kernel $(KERNEL) --module-args "$(MODULE_ARGS)" \
		--ops $(STRESS_OPS) $(if $(STRESS_SEED),--seed $(STRESS_SEED))

# The side-by-side benchmark in one VM boot: table, JSON and plots in
# build/bench/<release>/ (QEMU TCG: compare ratios, not speeds).
#   make bench [KERNEL=6.12] [MODULE_ARGS=folio_order=0] [BENCH_ARGS=...]
bench: deps
	@$(MAKE) --no-print-directory module-$(KERNEL) userspace
	@$(SCRIPTS)/bench --kernel $(KERNEL) --module-args "$(MODULE_ARGS)" \
		$(BENCH_ARGS)

# The shell VM also gets the demo and every selftest program on its PATH.
shell: deps
	@$(MAKE) --no-print-directory module-$(KERNEL) userspace selftests
	@set --; \
	for prog in $(BUILD)/userspace/mmapdemo-demo $(BUILD)/selftests/*; do \
		if [ -f "$$prog" ] && [ -x "$$prog" ]; then \
			set -- "$$@" --add "$$prog"; \
		fi; \
	done; \
	$(SCRIPTS)/vm-run --kernel $(KERNEL) --module-args "$(MODULE_ARGS)" \
		--interactive "$$@"

clean:
	rm -rf $(BUILD)

# Installation, like any out-of-tree module (scripts/install, uninstall).
.PHONY: install uninstall dkms-install dkms-remove sign

install: module-$(KERNEL) userspace
	@DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" \
		$(SCRIPTS)/install "$$($(SCRIPTS)/kernel-release $(KERNEL))"

uninstall:
	@DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" $(SCRIPTS)/uninstall

# DKMS builds from /usr/src/mmapdemo-<version>; without KERNEL on the command
# line it installs for the running kernel, as dkms itself does.
dkms-install:
	@DESTDIR="$(DESTDIR)" $(SCRIPTS)/dkms-install \
		$(if $(filter command line environment,$(origin KERNEL)),$(KERNEL))

dkms-remove:
	@DESTDIR="$(DESTDIR)" $(SCRIPTS)/dkms-remove

sign: modules
	@$(SCRIPTS)/sign-module $(KERNELS)
