# Tern top-level build.
#   make         build the hypervisor, the boot ISO and the host tools
#   make run     boot the ISO in QEMU, serial console on this terminal (HOSTS=N: N hosts)
#   make test    unit tests and system tests; last line "N passed, N failed"
#   make bench   benchmarks, printed as figures
# `run`, `test` and `bench` install missing Debian packages first.

O      ?= $(CURDIR)/build
ACCEL  ?= tcg
SMP    ?= 2
MEM    ?= 512
export O ACCEL

# The Python that has pytest (Debian's python3-pytest); looked up after `deps` ran.
PYTHON = $(shell for p in python3 /usr/bin/python3; do $$p -c 'import pytest' 2>/dev/null && echo $$p && break; done)

COMPONENTS := hypervisor migrate snapshot-store dom0-tools tests/unit tests/guests guest-linux

.PHONY: all deps $(COMPONENTS) dom0-image iso iso-linux run run-direct test bench clean

all: $(COMPONENTS) dom0-image iso

deps:
	@scripts/deps.sh

$(COMPONENTS):
	@if [ -f $@/Makefile ]; then $(MAKE) --no-print-directory -C $@ O=$(O); fi

migrate: 
snapshot-store: migrate
dom0-tools: migrate snapshot-store

# DOM0_OVERLAY=DIR: a tree copied over dom0's root (relative to where make runs)
dom0-image: dom0-tools guest-linux
	@$(MAKE) --no-print-directory -C dom0-tools/image O=$(O) \
	  $(if $(DOM0_OVERLAY),DOM0_OVERLAY=$(abspath $(DOM0_OVERLAY)))

iso: hypervisor
	@scripts/mkiso.sh $(O)/hypervisor/tern.elf $(O)/tern.iso

# The run ISO carries Debian's kernel as domain 0 (GUEST=none: the hypervisor alone).
# dom0 stays off ACPI, PCI and bounce buffers until it drives the host's hardware.
GUEST  ?= linux
MEM_RUN := $(if $(filter linux,$(GUEST)),1024,$(MEM))
DOM0_ARGS ?= console=hvc0 acpi=off pci=off swiotlb=noforce
# dom0's kernel is also the guest kernel its tools build domains from: read from the ISO once
DOM0_FILE := tern.file=/usr/lib/tern/guest/vmlinux
LINUX_MODULES = "$(O)/guest-linux/vmlinux.gz|tern.dom0 $(DOM0_FILE) tern.mem=512M tern.vcpus=2 $(DOM0_ARGS)" \
                "$(O)/dom0-tools/dom0-initramfs.cpio.gz|tern.initrd"

iso-linux: hypervisor guest-linux dom0-image
	@scripts/mkiso.sh $(O)/hypervisor/tern.elf $(O)/tern-linux.iso "loglvl=info scrub_idle" $(LINUX_MODULES)

# HOSTS=N: N hosts whose dom0s drive an e1000 and a state disk, on one link (scripts/hosts.sh)
HOSTS ?=
run: deps all $(if $(HOSTS),,$(if $(filter linux,$(GUEST)),iso-linux))
ifneq ($(HOSTS),)
	@scripts/hosts.sh up $(HOSTS)
	@echo "host1's console below. Ctrl-] detaches and stops the hosts; scripts/hosts.sh console I attaches to another." >&2
	@scripts/hosts.sh console 1; scripts/hosts.sh down
else
	@echo "Tern in QEMU: Ctrl-A three times moves serial input between the hypervisor and the guest; Ctrl-C quits." >&2
	scripts/qemu.sh --iso $(O)/$(if $(filter linux,$(GUEST)),tern-linux.iso,tern.iso) --accel $(ACCEL) \
		--smp $(SMP) --mem $(MEM_RUN) --cpu qemu64,+cx16 --interactive
endif

run-direct: deps all
	scripts/qemu.sh --kernel $(O)/hypervisor/tern.elf --accel $(ACCEL) --smp $(SMP) --mem $(MEM) --interactive

test: deps
	@$(MAKE) --no-print-directory all
	@$(PYTHON) tests/run.py

bench: deps
	@$(MAKE) --no-print-directory all
	@$(PYTHON) tests/bench/run.py

clean:
	rm -rf $(O)
