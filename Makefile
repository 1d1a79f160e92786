# SPDX-License-Identifier: GPL-2.0
# mmapdemo: build the module for the Debian kernels, the user-space programs
# and the selftests, and run them in QEMU VMs (never on the host kernel).
#
#   make check            everything, all suites on both kernels (CI: .ci/run)
#   make run [KERNEL=6.12] [MODULE_ARGS="folio_order=0"]   the demo in a VM
#   make shell [KERNEL=..] [MODULE_ARGS=..]   interactive VM, module loaded
#   make deps | modules | userspace | selftests | clean
#   make lint      checkpatch, clang-format, sparse, W=1, cppcheck, shellcheck
#   make install [KERNEL=6.12] [DESTDIR=..] [PREFIX=/usr/local]  module, tool,
#        man page, uapi header, udev rule (make uninstall removes them)
#   make dkms-install [KERNEL=..] | dkms-remove   (default: running kernel)
#   make sign      sign build/modules/*/mmapdemo.ko with the DKMS MOK key
#
# Every target first installs (apt) and builds what it needs.

KERNELS ?= 6.1 6.12
KERNEL ?= 6.1
MODULE_ARGS ?=
PREFIX ?= /usr/local
DESTDIR ?=

REPO := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
BUILD := $(REPO)/build
SCRIPTS := $(REPO)/scripts

MODULE_TARGETS := $(addprefix module-,$(sort $(KERNELS) $(KERNEL)))

.PHONY: all deps modules $(MODULE_TARGETS) userspace selftests run check \
	shell clean lint

all: modules userspace selftests

deps:
	@$(SCRIPTS)/install-deps

modules: $(addprefix module-,$(KERNELS))

$(MODULE_TARGETS): module-%: deps
	@$(SCRIPTS)/build-module "$$($(SCRIPTS)/kernel-release $*)"

userspace: deps
	@$(MAKE) --no-print-directory -C $(REPO)/userspace O=$(BUILD)/userspace

selftests: deps
	@$(MAKE) --no-print-directory -C $(REPO)/selftests

run: module-$(KERNEL) userspace
	@$(SCRIPTS)/vm-run --kernel $(KERNEL) --module-args "$(MODULE_ARGS)" \
		--add $(BUILD)/userspace/mmapdemo-demo -- mmapdemo-demo

# Every lint gate (scripts/lint), one OK/FAIL line each.
lint: deps
	@KERNELS="$(KERNELS)" $(SCRIPTS)/lint

# The lint gates first: if one fails, no VM boots (fail fast) and the last
# line says so. Then per kernel, two suites: default module parameters, and
# order-0 folios (every fault maps one 4 KiB page instead of a PMD-sized
# folio). All of them always run; the summary over all of them is the last
# line.
check: modules userspace selftests
	@status=0; taps=; \
	if ! KERNELS="$(KERNELS)" $(SCRIPTS)/lint; then \
		echo "0 passed, 1 failed (lint gates failed; VM suites not run)"; \
		exit 1; \
	fi; \
	for kernel in $(KERNELS); do \
		rel=$$($(SCRIPTS)/kernel-release $$kernel) || exit 1; \
		$(SCRIPTS)/run-suite $$kernel --tag default || status=1; \
		$(SCRIPTS)/run-suite $$kernel --tag folio_order0 \
			--module-args folio_order=0 || status=1; \
		taps="$$taps $(BUILD)/tap/$$rel-default.tap"; \
		taps="$$taps $(BUILD)/tap/$$rel-folio_order0.tap"; \
	done; \
	$(SCRIPTS)/tap-summary $$taps || status=1; \
	exit $$status

# The shell VM also gets the demo and every selftest program on its PATH.
shell: module-$(KERNEL) userspace selftests
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
