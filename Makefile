# virtbus - one non-recursive Makefile for every daemon, library and test.
#   make            build everything into build/
#   make check      install what is missing, build, run every test
#   make demo       install what is missing, build, boot the test guest on a private bus
#   make install    PREFIX=/usr/local DESTDIR=...
#   make bench      the benchmarks (installs libvirt for the side-by-side figures)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
SYSCONFDIR ?= /etc
UNITDIR ?= /lib/systemd/system
DBUSDIR ?= $(DATADIR)/dbus-1

B := build
CC ?= cc
PKGS := libsystemd libxml-2.0 json-c
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-Werror=implicit-function-declaration -Werror=return-type -Werror=incompatible-pointer-types \
	-fno-strict-aliasing -D_GNU_SOURCE
CPPFLAGS += -Icommon -Icommon/conf -Icommon/domain -Icommon/security $(PKG_CFLAGS) -MMD -MP
LDLIBS += $(PKG_LIBS)

# Every folder with a main.c is a daemon: virtbus-<folder>, or
# virtbus-$(<folder>_BIN) where the name differs.
DAEMONS := $(patsubst %/main.c,%,$(wildcard */main.c))
proxy_BIN := proxyd
daemon_bin = virtbus-$(or $($(1)_BIN),$(1))
# Libraries only some daemons link (and their unit tests).
networkd_PKGS := libnl-3.0 libnl-route-3.0
lxcd_PKGS := fuse3
# AES for the secrets qemud hands QEMU (qemud/qemu-secrets.c)
qemud_PKGS := gnutls
# The proxy loads libxml2 only when it needs it (proxy/xml-lazy.c): an idle
# proxy then holds no pages of libxml2, ICU or libstdc++.
proxy_LDFLAGS := -Wl,--as-needed
pkg_cflags = $(if $(1),$(shell pkg-config --cflags $(1) 2>/dev/null))
pkg_libs = $(if $(1),$(shell pkg-config --libs $(1) 2>/dev/null))
COMMON_SRC := $(wildcard common/*.c common/conf/*.c common/domain/*.c common/security/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
COMMON_LIB := $(B)/libvirtbus-common.a

all: $(foreach d,$(DAEMONS),$(B)/$(call daemon_bin,$(d))) unit-tests $(B)/tests/systemd-standin

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(COMMON_LIB): $(COMMON_OBJ)
	@rm -f $@
	@ar rcs $@ $^

# Each daemon: every .c in its folder; main.c stays out of the library that the
# unit tests link against.
define DAEMON_RULES
$(1)_SRC := $$(filter-out $(1)/main.c,$$(wildcard $(1)/*.c))
$(1)_OBJ := $$($(1)_SRC:%.c=$(B)/%.o)
$(B)/lib$(1).a: $$($(1)_OBJ)
	@rm -f $$@
	@ar rcs $$@ $$^
$(B)/$(call daemon_bin,$(1)): $(B)/$(1)/main.o $(B)/lib$(1).a $(COMMON_LIB)
	@echo "  CCLD    $$@"
	@$(CC) $(LDFLAGS) $$($(1)_LDFLAGS) -o $$@ $$^ $(LDLIBS) $$(call pkg_libs,$$($(1)_PKGS))
$(B)/$(1)/%.o: CPPFLAGS += -I$(1) $$(call pkg_cflags,$$($(1)_PKGS))
endef
$(foreach d,$(DAEMONS),$(eval $(call DAEMON_RULES,$(d))))

# Unit tests: tests/unit/test-<name>.c. A test whose name starts with a
# daemon's stem (qemu-, lock-, log-, storage-, network-) links that daemon's
# library; every test links the common library.
UNIT_SRC := $(wildcard tests/unit/test-*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
unit-tests: $(UNIT_BIN)
test_daemon = $(firstword $(foreach d,$(DAEMONS),$(if $(filter $(patsubst %d,%,$(d))%,$(1)),$(d))))
define UNIT_RULES
$(B)/tests/test-$(1): tests/unit/test-$(1).c tests/unit/unit.h $(wildcard tests/unit/*-test.h) $(if $(2),$(B)/lib$(2).a) $(COMMON_LIB)
	@mkdir -p $$(dir $$@)
	@echo "  CCLD    $$@"
	@$$(CC) $$(CPPFLAGS) $(if $(2),-I$(2) $$(call pkg_cflags,$$($(2)_PKGS))) -Itests/unit $$(CFLAGS) -o $$@ $$< \
		$(if $(2),$(B)/lib$(2).a) $(COMMON_LIB) $$(LDLIBS) $(if $(2),$$(call pkg_libs,$$($(2)_PKGS)))
endef
$(foreach t,$(UNIT_SRC:tests/unit/test-%.c=%),$(eval $(call UNIT_RULES,$(t),$(call test_daemon,$(t)))))

# What a private dbus-broker needs to D-Bus activate without systemd
# (scripts/dbus-broker-run).
$(B)/tests/systemd-standin: tests/tools/systemd-standin.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LDLIBS)

deps:
	sh scripts/install-deps.sh check

check: deps
	$(MAKE) all
	sh tests/run-all.sh

check-unit: all
	sh tests/run-all.sh unit

demo:
	sh scripts/install-deps.sh demo
	$(MAKE) all
	bash scripts/demo.sh

bench:
	sh scripts/install-deps.sh bench
	$(MAKE) all
	sh bench/run-all.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DBUSDIR)/system-services \
		$(DESTDIR)$(DATADIR)/dbus-1/system.d
	for b in $(foreach d,$(DAEMONS),$(call daemon_bin,$(d))); do install -m 0755 $(B)/$$b $(DESTDIR)$(BINDIR)/; done
	for f in units/*.service; do \
		case $$f in units/org.virtbus.*|units/org.libvirt.*) ;; *) sed 's|@BINDIR@|$(BINDIR)|g' $$f > $(DESTDIR)$(UNITDIR)/$$(basename $$f);; esac; done
	for f in units/org.virtbus.*.service units/org.libvirt.service; do \
		sed 's|@BINDIR@|$(BINDIR)|g' $$f > $(DESTDIR)$(DBUSDIR)/system-services/$$(basename $$f); done
	install -m 0644 units/*.conf $(DESTDIR)$(DATADIR)/dbus-1/system.d/
	install -m 0644 units/*.socket $(DESTDIR)$(UNITDIR)/
	install -d $(DESTDIR)$(DATADIR)/polkit-1/actions $(DESTDIR)$(DATADIR)/polkit-1/rules.d
	install -m 0644 units/*.policy $(DESTDIR)$(DATADIR)/polkit-1/actions/
	install -m 0644 units/*.rules $(DESTDIR)$(DATADIR)/polkit-1/rules.d/
	install -d $(DESTDIR)$(SYSCONFDIR)/apparmor.d/abstractions
	install -m 0644 units/apparmor/abstractions/* $(DESTDIR)$(SYSCONFDIR)/apparmor.d/abstractions/

clean:
	rm -rf $(B)

.PHONY: all check check-unit deps demo bench install clean unit-tests
-include $(shell find $(B) -name '*.d' 2>/dev/null)
