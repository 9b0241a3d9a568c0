/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <interface type='hostdev'>: an SR-IOV VF bound to vfio-pci has no
 * netdev of its own, so its MAC address and VLAN are set through its PF
 * (RTM_SETLINK with IFLA_VFINFO_LIST), as libvirt sets them before QEMU
 * gets the VF, and given back once the guest let it go. What the VF had is
 * kept in <rundir>/hostdev-vf/<PF>_vf<N> with the guest's UUID, so that a
 * qemud killed in between still gives it back, and so that a VF another
 * guest holds is named, not taken. */

#include <net/if.h>
#include <stdint.h>

#include "domain-conf.h"
#include "domain.h"
#include "rtnl-req.h"

typedef struct QemuVf {
        char pf[IFNAMSIZ];      /* the PF's netdev */
        unsigned vf;            /* the VF's index on it (its virtfnN) */
} QemuVf;

/* The PF's netdev and the VF's index, below sysfs_root ("/sys"): the
 * VF's physfn link, the PF's net/ folder and its virtfnN links. Pure but
 * for reading sysfs. 0, or -ENODEV with err naming what is missing. */
int qemu_hostdev_vf_find(const DomainHostdevDef *h, const char *sysfs_root, QemuVf *ret, ConfError *err);

/* libvirt's rule for a VF: one VLAN tag, no trunk, no native mode, no
 * <virtualport> (qemud associates no port profile). 0, or -EOPNOTSUPP
 * with err naming it. */
int qemu_hostdev_vf_validate(const DomainHostdevDef *h, ConfError *err);

/* Pure: the request that sets VF vf of the PF at pf_ifindex to mac and
 * vlan (0: none). */
void qemu_hostdev_vf_request(RtnlReq *q, int pf_ifindex, unsigned vf, const uint8_t mac[6], unsigned vlan);
/* Pure: VF vf's MAC and VLAN in an RTM_NEWLINK answer (len bytes at msg)
 * asked with RTEXT_FILTER_VF. 0, or -ENOENT when it lists no such VF. */
int qemu_hostdev_vf_parse(const void *msg, size_t len, unsigned vf, uint8_t mac[6], unsigned *vlan);

/* h's MAC and VLAN set on the VF for the guest uuid, what it had kept
 * first. 0, or -errno with err naming the VF and PF. */
int qemu_hostdev_vf_set(const char *rundir, const QemuVf *v, const DomainHostdevDef *h, const char *uuid,
                        ConfError *err);
/* What the VF had, given back (if uuid's guest set it), its file removed. */
int qemu_hostdev_vf_restore(const char *rundir, const QemuVf *v, const char *uuid);

/* The VF of d's interface h gets back what it had (a warning if it
 * cannot); nothing for a hostdev that is no interface. */
void qemu_hostdev_vf_give_back(Domain *d, const DomainHostdevDef *h);
/* The start, before QEMU runs: each interface's VF of d->live gets its
 * MAC and VLAN (found by qemu_hostdev_prepare() first). On a failure
 * those set so far get back what they had; err names the VF and PF. */
int qemu_hostdev_vf_start(Domain *d, ConfError *err);
/* Pure: the VF a saved file is named for ("<PF>_vf<N>"). 0, or -EINVAL
 * for any other name (a write's temporary). */
int qemu_hostdev_vf_from_file(const char *name, QemuVf *ret);
/* Each VF whose saved file names the guest uuid gets back what it had
 * (a warning naming the guest name for one that cannot), its file removed;
 * another guest's are left. 0, or the first -errno. */
int qemu_hostdev_vf_restore_all(const char *rundir, const char *uuid, const char *name);
/* QEMU of d is gone (or its start failed): each VF it had gets back what
 * it had, as its saved files say. */
void qemu_hostdev_vf_stop(Domain *d);
