# Tern top-level build.
#   make         build the hypervisor, the boot ISO and the host tools
#   make run     boot the ISO in QEMU, serial console on this terminal
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

.PHONY: all deps $(COMPONENTS) iso run run-direct test bench clean

all: $(COMPONENTS) iso

deps:
	@scripts/deps.sh

$(COMPONENTS):
	@if [ -f $@/Makefile ]; then $(MAKE) --no-print-directory -C $@ O=$(O); fi

migrate: 
snapshot-store: migrate
dom0-tools: migrate snapshot-store

iso: hypervisor
	@scripts/mkiso.sh $(O)/hypervisor/tern.elf $(O)/tern.iso

run: deps all
	scripts/qemu.sh --iso $(O)/tern.iso --accel $(ACCEL) --smp $(SMP) --mem $(MEM) --interactive

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
