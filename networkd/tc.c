/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <linux/if_ether.h>
#include <net/if.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <netlink/msg.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/action.h>
#include <netlink/route/class.h>
#include <netlink/route/link.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/sfq.h>
#include <netlink/route/tc.h>

#include "log.h"
#include "netlink.h"
#include "tc.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_qdisc *, rtnl_qdisc_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_class *, rtnl_class_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_cls *, rtnl_cls_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_act *, rtnl_act_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_link *, rtnl_link_put);

#define KB 1000ULL   /* rates: kilobytes per second, as tc's "kbps" */
#define KIB 1024ULL  /* bursts: tc's "kb" */
/* the kernel's time unit for tc (PSCHED_TICKS2NS is << 6) */
#define NSEC_PER_TICK 64ULL

static void tc_target(struct rtnl_tc *tc, int ifindex, uint32_t parent, uint32_t handle) {
        rtnl_tc_set_ifindex(tc, ifindex);
        rtnl_tc_set_parent(tc, parent);
        rtnl_tc_set_handle(tc, handle);
}

static int add_qdisc(struct nl_sock *sk, int ifindex, uint32_t parent, uint32_t handle, const char *kind,
                     uint32_t htb_default) {
        _cleanup_(rtnl_qdisc_putp) struct rtnl_qdisc *q = rtnl_qdisc_alloc();
        int r;

        if (!q)
                return -ENOMEM;
        tc_target(TC_CAST(q), ifindex, parent, handle);
        r = rtnl_tc_set_kind(TC_CAST(q), kind);
        if (r >= 0 && streq(kind, "htb"))
                r = rtnl_htb_set_defcls(q, htb_default);
        if (r >= 0 && streq(kind, "sfq"))
                rtnl_sfq_set_perturb(q, 10);
        if (r >= 0)
                r = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_EXCL);
        return r < 0 ? nl_errno(r) : 0;
}

/* sfq under a class, as libvirt adds, for fairness between flows. Optional:
 * without it (a kernel without sch_sfq) htb's default fifo does the job. */
static void add_fair_queue(struct nl_sock *sk, int ifindex, uint32_t parent, uint32_t handle) {
        int r = add_qdisc(sk, ifindex, parent, handle, "sfq", 0);

        if (r < 0)
                log_debug_errno(r, "No sfq under class %x:%x: %m", parent >> 16, parent & 0xffff);
}

/* quantum as libvirt computes it: rate/r2q, kept where htb does not warn */
static uint32_t quantum(uint64_t rate_bytes) {
        uint64_t q = rate_bytes / 10;
        return (uint32_t) (q < 1500 ? 1500 : q > 200000 ? 200000 : q);
}

static int add_htb_class(struct nl_sock *sk, int ifindex, uint32_t parent, uint32_t handle, uint64_t rate_kb,
                         uint64_t ceil_kb, uint64_t burst_kib, bool change) {
        _cleanup_(rtnl_class_putp) struct rtnl_class *c = rtnl_class_alloc();
        uint64_t rate = MAX(rate_kb, 1) * KB, ceil = MAX(ceil_kb, rate_kb) * KB;
        int r;

        if (!c)
                return -ENOMEM;
        tc_target(TC_CAST(c), ifindex, parent, handle);
        r = rtnl_tc_set_kind(TC_CAST(c), "htb");
        if (r >= 0)
                r = rtnl_htb_set_rate64(c, rate);
        if (r >= 0)
                r = rtnl_htb_set_ceil64(c, ceil);
        if (r >= 0)
                r = rtnl_htb_set_quantum(c, quantum(rate));
        if (r >= 0 && burst_kib) {
                r = rtnl_htb_set_rbuffer(c, (uint32_t) MIN(burst_kib * KIB, UINT32_MAX));
                if (r >= 0)
                        r = rtnl_htb_set_cbuffer(c, (uint32_t) MIN(burst_kib * KIB, UINT32_MAX));
        }
        if (r >= 0)
                r = rtnl_class_add(sk, c, change ? NLM_F_REPLACE : NLM_F_CREATE | NLM_F_EXCL);
        return r < 0 ? nl_errno(r) : 0;
}

static int delete_qdisc(struct nl_sock *sk, int ifindex, uint32_t parent, uint32_t handle) {
        _cleanup_(rtnl_qdisc_putp) struct rtnl_qdisc *q = rtnl_qdisc_alloc();
        int r;

        if (!q)
                return -ENOMEM;
        tc_target(TC_CAST(q), ifindex, parent, handle);
        r = rtnl_qdisc_delete(sk, q);
        r = r < 0 ? nl_errno(r) : 0;
        /* nothing there is what we wanted */
        return r == -ENOENT || r == -EINVAL || r == -ENODEV ? 0 : r;
}

static void ifb_name(int ifindex, char buf[IFNAMSIZ]) {
        snprintf(buf, IFNAMSIZ, "vbo%d", ifindex);
}

int tc_clear(struct nl_sock *sk, int ifindex) {
        char ifb[IFNAMSIZ];
        int r = delete_qdisc(sk, ifindex, TC_H_ROOT, TC_HANDLE(1, 0));
        int k = delete_qdisc(sk, ifindex, TC_H_INGRESS, TC_HANDLE(0xffff, 0));
        int i;

        ifb_name(ifindex, ifb);
        i = link_ifindex(sk, ifb);
        if (i > 0)
                (void) link_delete(sk, i);
        return r < 0 ? r : k;
}

/* The u32 match-all filter with a policer, on the ingress qdisc. libnl has no
 * police action, so the request is built here as tc(8) builds it. */
static int add_police(struct nl_sock *sk, int ifindex, const NetworkRate *rate) {
        struct {
                struct tc_u32_sel sel;
                struct tc_u32_key key;
        } sel = { .sel = { .flags = TC_U32_TERMINAL, .nkeys = 1 } };
        uint64_t bytes = rate->average * KB, burst = (rate->burst ? rate->burst : rate->average) * KIB;
        struct tc_police p = { .action = TC_POLICE_SHOT, .mtu = 65536 };
        struct tcmsg t = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex };
        uint32_t rtab[256];
        struct nlattr *opts, *pol;
        struct nl_msg *msg;
        int cell_log = 0;

        if (bytes > UINT32_MAX)
                bytes = UINT32_MAX;
        while ((p.mtu >> cell_log) > 255)
                cell_log++;
        p.rate.rate = (uint32_t) bytes;
        p.rate.cell_log = (unsigned char) cell_log;
        p.rate.linklayer = TC_LINKLAYER_ETHERNET;
        p.burst = (uint32_t) MIN(burst * 1000000000ULL / bytes / NSEC_PER_TICK, UINT32_MAX);
        for (unsigned i = 0; i < 256; i++)
                rtab[i] = (uint32_t) MIN(((uint64_t) (i + 1) << cell_log) * 1000000000ULL / bytes / NSEC_PER_TICK,
                                         UINT32_MAX);
        t.tcm_parent = TC_HANDLE(0xffff, 0);
        t.tcm_info = TC_H_MAKE(1U << 16, htons(ETH_P_ALL)); /* prio 1, every protocol */

        msg = nlmsg_alloc_simple(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL);
        if (!msg)
                return -ENOMEM;
        if (nlmsg_append(msg, &t, sizeof(t), NLMSG_ALIGNTO) < 0 || nla_put_string(msg, TCA_KIND, "u32") < 0 ||
            !(opts = nla_nest_start(msg, TCA_OPTIONS)) || nla_put(msg, TCA_U32_SEL, sizeof(sel), &sel) < 0 ||
            nla_put_u32(msg, TCA_U32_CLASSID, TC_HANDLE(0, 1)) < 0 || !(pol = nla_nest_start(msg, TCA_U32_POLICE)) ||
            nla_put(msg, TCA_POLICE_TBF, sizeof(p), &p) < 0 || nla_put(msg, TCA_POLICE_RATE, sizeof(rtab), rtab) < 0) {
                nlmsg_free(msg);
                return -ENOMEM;
        }
        nla_nest_end(msg, pol);
        nla_nest_end(msg, opts);
        int r = nl_send_sync(sk, msg);
        return r < 0 ? nl_errno(r) : 0;
}

static int set_inbound(struct nl_sock *sk, int ifindex, const NetworkRate *in) {
        int r = add_qdisc(sk, ifindex, TC_H_ROOT, TC_HANDLE(1, 0), "htb", 1);

        if (r >= 0)
                r = add_htb_class(sk, ifindex, TC_HANDLE(1, 0), TC_HANDLE(1, 1), in->average,
                                  in->peak ? in->peak : in->average, in->burst, false);
        if (r >= 0)
                add_fair_queue(sk, ifindex, TC_HANDLE(1, 1), TC_HANDLE(2, 0));
        return r;
}

/* Without act_police (a kernel built without it), the guest's traffic is
 * redirected from the device's ingress to an ifb device ("vbo<ifindex>")
 * and shaped on its egress, like the inbound side. */
static int add_redirect(struct nl_sock *sk, int ifindex, int target) {
        _cleanup_(rtnl_cls_putp) struct rtnl_cls *cls = rtnl_cls_alloc();
        _cleanup_(rtnl_act_putp) struct rtnl_act *act = rtnl_act_alloc();
        int r;

        if (!cls || !act)
                return -ENOMEM;
        tc_target(TC_CAST(cls), ifindex, TC_HANDLE(0xffff, 0), 0);
        rtnl_cls_set_prio(cls, 1);
        rtnl_cls_set_protocol(cls, ETH_P_ALL);
        r = rtnl_tc_set_kind(TC_CAST(cls), "u32");
        if (r >= 0)
                r = rtnl_tc_set_kind(TC_CAST(act), "mirred");
        if (r >= 0)
                r = rtnl_mirred_set_action(act, TCA_EGRESS_REDIR);
        if (r >= 0)
                r = rtnl_mirred_set_policy(act, TC_ACT_STOLEN);
        if (r >= 0)
                r = rtnl_mirred_set_ifindex(act, (uint32_t) target);
        if (r >= 0)
                r = rtnl_u32_add_key_uint32(cls, 0, 0, 0, 0);
        if (r >= 0)
                r = rtnl_u32_set_cls_terminal(cls);
        if (r >= 0)
                r = rtnl_u32_add_action(cls, act);
        if (r >= 0)
                r = rtnl_cls_add(sk, cls, NLM_F_CREATE | NLM_F_EXCL);
        return r < 0 ? nl_errno(r) : 0;
}

static int set_outbound_ifb(struct nl_sock *sk, int ifindex, const NetworkRate *out) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *l = rtnl_link_alloc();
        char name[IFNAMSIZ];
        NetworkRate shaped = *out;
        int r, ifb;

        if (!l)
                return -ENOMEM;
        ifb_name(ifindex, name);
        rtnl_link_set_name(l, name);
        r = rtnl_link_set_type(l, "ifb");
        if (r >= 0)
                r = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
        if (r < 0)
                return nl_errno(r);
        ifb = link_ifindex(sk, name);
        if (ifb < 0)
                return ifb;
        r = link_set_up(sk, ifb, true);
        if (r >= 0)
                r = set_inbound(sk, ifb, &shaped);
        if (r >= 0)
                r = add_redirect(sk, ifindex, ifb);
        return r;
}

static int set_outbound(struct nl_sock *sk, int ifindex, const NetworkRate *out) {
        int r = add_qdisc(sk, ifindex, TC_H_INGRESS, TC_HANDLE(0xffff, 0), "ingress", 0);

        if (r < 0)
                return r;
        r = add_police(sk, ifindex, out);
        if (r == -ENOENT || r == -EOPNOTSUPP) {
                log_debug("No police action in this kernel: shaping the outbound traffic of %d on an ifb.",
                          ifindex);
                r = set_outbound_ifb(sk, ifindex, out);
        }
        return r;
}

int tc_port_set(struct nl_sock *sk, int ifindex, const NetworkBandwidth *bw) {
        int r;

        r = tc_clear(sk, ifindex);
        if (r < 0 || !bw->present)
                return r;
        /* a floor alone shapes nothing on the port: it lives on the bridge */
        if (bw->in.present && bw->in.average) {
                r = set_inbound(sk, ifindex, &bw->in);
                if (r < 0)
                        return r;
        }
        if (bw->out.present && bw->out.average) {
                r = set_outbound(sk, ifindex, &bw->out);
                if (r < 0)
                        return r;
        }
        return 0;
}

static uint64_t net_ceil(const NetworkBandwidth *net) {
        return net->in.peak ? net->in.peak : net->in.average;
}

int tc_bridge_set(struct nl_sock *sk, int ifindex, const NetworkBandwidth *net) {
        int r = tc_clear(sk, ifindex);

        if (r < 0 || !net->present)
                return r;
        if (net->in.average) {
                r = add_qdisc(sk, ifindex, TC_H_ROOT, TC_HANDLE(1, 0), "htb", 2);
                if (r >= 0)
                        r = add_htb_class(sk, ifindex, TC_HANDLE(1, 0), TC_HANDLE(1, 1), net->in.average,
                                          net_ceil(net), net->in.burst, false);
                if (r >= 0)
                        r = add_htb_class(sk, ifindex, TC_HANDLE(1, 1), TC_HANDLE(1, 2), net->in.average,
                                          net_ceil(net), net->in.burst, false);
                if (r >= 0)
                        add_fair_queue(sk, ifindex, TC_HANDLE(1, 2), TC_HANDLE(2, 0));
                if (r < 0)
                        return r;
        }
        if (net->out.average)
                return set_outbound(sk, ifindex, &net->out);
        return 0;
}

static struct rtnl_cls *mac_filter(int ifindex, unsigned minor) {
        struct rtnl_cls *cls = rtnl_cls_alloc();

        if (!cls)
                return NULL;
        tc_target(TC_CAST(cls), ifindex, TC_HANDLE(1, 0), 0);
        if (rtnl_tc_set_kind(TC_CAST(cls), "u32") < 0) {
                rtnl_cls_put(cls);
                return NULL;
        }
        rtnl_cls_set_prio(cls, 2);
        rtnl_cls_set_protocol(cls, ETH_P_ALL);
        /* handle 800::<minor>: the default hash table, one node per port */
        rtnl_u32_set_handle(cls, 0x800, 0, (int) minor);
        return cls;
}

int tc_bridge_plug_floor(struct nl_sock *sk, int ifindex, const NetworkBandwidth *net, unsigned class_minor,
                         const uint8_t mac[6], uint64_t floor, uint64_t unclassified_rate) {
        _cleanup_(rtnl_cls_putp) struct rtnl_cls *cls = NULL;
        int r;

        r = add_htb_class(sk, ifindex, TC_HANDLE(1, 1), TC_HANDLE(1, class_minor), floor, net_ceil(net), 0, false);
        if (r < 0)
                return r;
        add_fair_queue(sk, ifindex, TC_HANDLE(1, class_minor), TC_HANDLE(class_minor, 0));
        cls = mac_filter(ifindex, class_minor);
        if (!cls)
                return -ENOMEM;
        /* the destination MAC: 14 and 12 bytes before the network header */
        r = rtnl_u32_add_key_uint16(cls, (uint16_t) (mac[0] << 8 | mac[1]), 0xffff, -14, 0);
        if (r >= 0)
                r = rtnl_u32_add_key_uint32(cls,
                                            (uint32_t) mac[2] << 24 | (uint32_t) mac[3] << 16 | (uint32_t) mac[4] << 8 | mac[5],
                                            0xffffffff, -12, 0);
        if (r >= 0)
                r = rtnl_u32_set_classid(cls, TC_HANDLE(1, class_minor));
        if (r >= 0)
                r = rtnl_cls_add(sk, cls, NLM_F_CREATE | NLM_F_EXCL);
        if (r < 0)
                return nl_errno(r);
        /* what is left for the ports without a floor */
        return add_htb_class(sk, ifindex, TC_HANDLE(1, 1), TC_HANDLE(1, 2), unclassified_rate, net_ceil(net),
                             net->in.burst, true);
}

int tc_bridge_unplug_floor(struct nl_sock *sk, int ifindex, const NetworkBandwidth *net, unsigned class_minor,
                           uint64_t unclassified_rate) {
        _cleanup_(rtnl_cls_putp) struct rtnl_cls *cls = mac_filter(ifindex, class_minor);
        _cleanup_(rtnl_class_putp) struct rtnl_class *c = rtnl_class_alloc();
        int r;

        if (!cls || !c)
                return -ENOMEM;
        (void) rtnl_cls_delete(sk, cls, 0);
        (void) delete_qdisc(sk, ifindex, TC_HANDLE(1, class_minor), TC_HANDLE(class_minor, 0));
        tc_target(TC_CAST(c), ifindex, TC_HANDLE(1, 1), TC_HANDLE(1, class_minor));
        r = rtnl_class_delete(sk, c);
        if (r < 0 && nl_errno(r) != -ENOENT)
                return nl_errno(r);
        return add_htb_class(sk, ifindex, TC_HANDLE(1, 1), TC_HANDLE(1, 2), unclassified_rate, net_ceil(net),
                             net->in.burst, true);
}
