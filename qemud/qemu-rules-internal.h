/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the define-time rules (qemu-rules.c) and the start's
 * (qemu-rules-start.c) share: each a table of rules, run in order until
 * one refuses. */

#include "domain-conf.h"

typedef int (*RuleFn)(const DomainDef *def, ConfError *err);

typedef struct QemuRule {
        const char *name;
        RuleFn check;
} QemuRule;

int qemu_rules_run(const QemuRule *table, size_t n, const DomainDef *def, ConfError *err);

/* An interface whose host side is a tap, networkd's or qemud's. */
bool qemu_rules_net_has_tap(const DomainNetDef *n);
