/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a container is made of, as data: lxcd builds it from a definition
 * (lxc_plan_from_def), hands it to the supervisor as arguments
 * (lxc_plan_to_argv), and the supervisor reads it back (lxc_plan_parse)
 * and carries it out (lxc-supervise.c). Pure: tests/unit/test-lxc-plan.c. */

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "domain-conf.h"

typedef enum LxcMountKind {
        LXC_MOUNT_BIND,  /* <filesystem type='mount'> */
        LXC_MOUNT_TMPFS, /* <filesystem type='ram'> */
        LXC_MOUNT_FILE,  /* <filesystem type='file'>: an image on a loop device */
        LXC_MOUNT_BLOCK, /* <filesystem type='block'> */
} LxcMountKind;

typedef struct LxcMount {
        LxcMountKind kind;
        char *src;            /* bind: the host directory; file: the image; block: the device */
        char *dst;            /* inside the container */
        uint64_t size_kib;    /* tmpfs: 0 = the kernel's default */
        bool readonly;
        char *nbd_format;     /* file: served by qemu-nbd in this format; NULL: a loop device */
} LxcMount;

/* An interface: the veth end the container takes, as it names it. */
typedef struct LxcNet {
        char *peer;           /* its name on the host; NULL until lxcd has made it */
        char *guest;          /* eth0, eth1... or <guest dev=''> */
        uint8_t mac[6];
        char **ips;           /* "address/prefix" */
        char **routes;        /* "address/prefix", "gateway" pairs */
} LxcNet;

/* A device node of the host made in the container's /dev (<hostdev
 * mode='capabilities' type='storage'|'misc'>), at the same path. */
typedef struct LxcDevNode {
        char *path;           /* under /dev */
        bool block;           /* storage: a block device; misc: a character device */
} LxcDevNode;

typedef struct LxcPlan {
        char *name;           /* the hostname too */
        char *root;           /* NULL: the host's root, seen through a private mount namespace;
                               * with an image as the root, where the init mounts it
                               * (<rundir>/lxc/<name>.root) */
        LxcMount *mounts;     /* in order, each below root */
        size_t n_mounts;
        char **env;           /* NAME=value, initenv and the defaults */
        char *workdir;        /* NULL: / */
        char *user, *group;   /* NULL: root */
        char *uid_map, *gid_map; /* "inside host count\n..." NULL: no user namespace */
        char *exit_file;      /* where the supervisor writes how init ended */
        char *apparmor;       /* the AppArmor profile the init execs under (lxc-security.h), NULL: none */
        char **cgroups;       /* cgroup.procs files the supervisor joins before it forks */
        char **argv;          /* init and its <initarg>s */
        LxcNet *nets;         /* per <interface>, in order */
        size_t n_nets;
        LxcNet *hostnets;     /* per <hostdev type='net'>: peer and guest are the host's
                               * name, kept in the container; moved back at the end */
        size_t n_hostnets;
        LxcDevNode *nodes;    /* per <hostdev type='storage'|'misc'> */
        size_t n_nodes;
} LxcPlan;

LxcPlan *lxc_plan_free(LxcPlan *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(LxcPlan *, lxc_plan_free);

/* The plan of def; err names what cannot be run. */
int lxc_plan_from_def(const DomainDef *def, const char *exit_file, LxcPlan **ret, ConfError *err);
/* The supervisor's arguments after "--supervise" (NULL-terminated). */
int lxc_plan_to_argv(const LxcPlan *p, char ***ret);
/* Reads them back; -EINVAL on arguments it does not know. */
int lxc_plan_parse(char *const *argv, LxcPlan **ret);
/* Host path of a path inside the container (root prepended). */
/* The file or block mount whose target is '/', or NULL. */
LxcMount *lxc_plan_root_image(const LxcPlan *p);
char *lxc_plan_host_path(const LxcPlan *p, const char *path);
