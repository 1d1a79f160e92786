# SPDX-License-Identifier: GPL-2.0
# mmapdemo: build the module for Debian's kernels, the user-space programs
# and the selftests, and run them in QEMU VMs (never on the host kernel).
# Kernels come from Debian's archive into ~/.cache/mmapdemo (scripts/
# kernel-fetch); nothing kernel-related is installed on the host.
#
#   make check [KERNELS="6.12 7.3-arm64"|KERNELS=newest]   gates, all suites on
#                         every kernel of the matrix and the debug kernel
#                         (CI: .ci/run)
#   make run [KERNEL=7.3] [MODULE_ARGS="folio_order=0"]   the demo in a VM
#   make shell [KERNEL=..] [MODULE_ARGS=..]   interactive VM, module loaded
#   make deps | modules | userspace | selftests | clean
#   make userspace-arm64 | selftests-arm64   cross-built for the arm64 VMs
#   make lint      checkpatch, clang-format, sparse, W=1, cppcheck, shellcheck
#   make install [KERNEL=6.12] [DESTDIR=..] [PREFIX=/usr/local]  module, tool,
#        man page, uapi header, udev rule (make uninstall removes them)
#   make dkms-install [KERNEL=..] | dkms-remove   (default: running kernel)
#   make sign      sign build/modules/*/mmapdemo.ko with the DKMS MOK key
#   make stress [KERNEL=..] [STRESS_OPS=500000] [STRESS_SEED=N]   long random-
#        operation stress in a VM
#   make bench [KERNEL=..]    mmapdemo vs memfd/hugetlb/anon/dev-zero, plots
#   make mutants [KERNEL=..]  deliberately broken drivers, each caught by the
#        tests it names (selftests/mutants/)
#
# KERNEL and KERNELS name Debian kernel series (each the newest release of
# the series in the archive now; 7.3-arm64 and 7.3-arm64-16k for Debian's
# arm64 kernels with 4 and 16 KiB pages, cross-built and booted under
# qemu-system-aarch64), "newest" (the newest series there), "debug" or
# exact releases. The targets that boot a VM (run, shell, check, stress,
# bench, mutants) first install the host tools they need (make deps); the build
# targets only build.

# The test matrix: one line to edit when Debian adds or drops a series.
KERNELS ?= 6.1 6.12 7.2 7.3 7.3-arm64 7.3-arm64-16k
KERNEL ?= 7.3
MODULE_ARGS ?=
PREFIX ?= /usr/local
DESTDIR ?=

REPO := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
BUILD := $(REPO)/build
SCRIPTS := $(REPO)/scripts

MODULE_TARGETS := $(addprefix module-,$(sort $(KERNELS) $(KERNEL)))

# A kernel's programs: Debian's arm64 flavours (-arm64, -arm64-16k, in a
# series or a release) get the cross-built ones of build/*-arm64/.
arch-suffix = $(if $(findstring -arm64,$(1)),-arm64)
K := $(call arch-suffix,$(KERNEL))
CROSS_ARCHS := $(sort $(foreach k,$(KERNELS),$(call arch-suffix,$(k))))

.PHONY: all deps modules $(MODULE_TARGETS) userspace selftests run check \
	shell clean lint stress bench mutants userspace-arm64 selftests-arm64

all: modules userspace selftests \
	$(foreach a,$(CROSS_ARCHS),userspace$(a) selftests$(a))

deps:
	@$(SCRIPTS)/install-deps

modules: $(addprefix module-,$(KERNELS))

$(MODULE_TARGETS): module-%:
	@$(SCRIPTS)/build-module $*

userspace:
	@$(MAKE) --no-print-directory -C $(REPO)/userspace O=$(BUILD)/userspace

selftests:
	@$(MAKE) --no-print-directory -C $(REPO)/selftests

# In the trixie build root, with Debian's cross compiler (scripts/cross-make).
userspace-arm64:
	@$(SCRIPTS)/cross-make arm64 userspace O=$(BUILD)/userspace-arm64

selftests-arm64:
	@$(SCRIPTS)/cross-make arm64 selftests O=$(BUILD)/selftests-arm64

run: deps
	@$(MAKE) --no-print-directory module-$(KERNEL) userspace$(K)
	@$(SCRIPTS)/vm-run --kernel $(KERNEL) --module-args "$(MODULE_ARGS)" \
		--add $(BUILD)/userspace$(K)/mmapdemo-demo -- mmapdemo-demo

# Every lint gate (scripts/lint), one OK/FAIL line each; the test-table
# gate reads the built selftests.
lint: selftests
	@KERNELS="$(KERNELS)" $(SCRIPTS)/lint

# The host gates (lint, DKMS build, the kernels and cross builds that
# scripts/check fetches and makes in the background meanwhile) first: if
# one fails, no VM boots. Then per Debian kernel two suites, default module
# parameters and order-0 folios (16 KiB pages: the defaults only), and one
# on the debug kernel (scripts/check). All of them always run; the summary
# over all of them is the last line.
check: deps
	@$(MAKE) --no-print-directory userspace selftests
	@$(SCRIPTS)/check $(KERNELS)

# A long random-operation stress run in a VM (selftests/stress_test); a
# finding is saved as build/stress/*.replay, with the command to replay it.
STRESS_OPS ?= 500000
STRESS_SEED ?=

stress: deps
	@$(MAKE) --no-print-directory module-$(KERNEL) userspace$(K) selftests$(K)
	@$(SCRIPTS)/stress --kernel $(KERNEL) --module-args "$(MODULE_ARGS)" \
		--ops $(STRESS_OPS) $(if $(STRESS_SEED),--seed $(STRESS_SEED))

# The side-by-side benchmark in one VM boot: table, JSON and plots in
# build/bench/<release>/ (QEMU TCG: compare ratios, not speeds).
#   make bench [KERNEL=6.12] [MODULE_ARGS=folio_order=0] [BENCH_ARGS=...]
bench: deps
	@$(MAKE) --no-print-directory module-$(KERNEL) userspace$(K)
	@$(SCRIPTS)/bench --kernel $(KERNEL) --module-args "$(MODULE_ARGS)" \
		$(BENCH_ARGS)

# Each mutant (selftests/mutants/*.patch) is built and the programs it
# names must fail against it (scripts/mutant-check): a test that cannot fail
# shows up as "ESCAPED".
mutants: deps
	@$(MAKE) --no-print-directory module-$(KERNEL) userspace$(K) selftests$(K)
	@$(SCRIPTS)/mutant-check --kernel $(KERNEL)

# The shell VM also gets the demo and every selftest program on its PATH.
shell: deps
	@$(MAKE) --no-print-directory module-$(KERNEL) userspace$(K) selftests$(K)
	@set --; \
	for prog in $(BUILD)/userspace$(K)/mmapdemo-demo $(BUILD)/selftests$(K)/*; do \
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

install: module-$(KERNEL) userspace$(K)
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
