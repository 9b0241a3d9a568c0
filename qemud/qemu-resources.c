/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sched.h>
#include <stdarg.h>
#include <string.h>

#include "cpuset.h"
#include "domain-status.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "qemu-memdev.h"
#include "qemu-domain.h"
#include "qemu-monitor.h"
#include "qemu-resources.h"
#include "util.h"

/* The balloon's QOM path: its id is its live alias, "balloon0" or a user's
 * ("ua-..."), see qemu_command_assign_aliases(). */
static void balloon_path(const Domain *d, char buf[static 160]) {
        snprintf(buf, 160, "/machine/peripheral/%s", d->live->memballoon.alias ?: "balloon0");
}
/* How long a guest has to hand a vCPU back after device_del (libvirt waits 5 s;
 * a TCG guest is slower). */
#define UNPLUG_TIMEOUT_USEC (15ULL * 1000000ULL)
#define UNPLUG_POLL_USEC (200ULL * 1000ULL)

void qemu_resources_post_parse(DomainDef *def) {
        qemu_memdev_post_parse(def);
        if (def->memballoon.present)
                return;
        def->memballoon.present = true;
        def->memballoon.model = strdup("virtio"); /* NULL (OOM) formats as virtio too */
}

/* ---- one operation on the running guest ------------------------------- */

/* A hot-pluggable CPU slot of query-hotpluggable-cpus, in vCPU order. */
typedef struct CpuSlot {
        char *type;
        json_object *props;
        char *qom_path;         /* NULL: not plugged */
        int64_t key[4];         /* socket, die, core, thread: the order of the vCPU numbers */
} CpuSlot;

typedef struct Op {
        DomainHandle *handle;
        DomainLiveDoneFn done;
        DomainMemoryStatsFn stats_done;
        DomainIOThreadInfoFn info_done;
        void *userdata;
        unsigned id;            /* vCPUs wanted, or the IOThread */
        unsigned vcpu;          /* SetVcpu: the vCPU */
        bool enable;
        uint64_t kib;
        int period;
        char *cpuset;
        CpuSlot *slots;
        size_t n_slots;
        size_t *queue;          /* slots to plug or unplug, in order */
        size_t n_queue, next;
        uint64_t deadline;
        sd_event_source *timer;
        DomainMemoryStat stats[DOMAIN_MEMORY_STAT_NR];
        size_t n_stats;
} Op;

static void slots_free(Op *op) {
        for (size_t i = 0; i < op->n_slots; i++) {
                free(op->slots[i].type);
                json_object_put(op->slots[i].props);
                free(op->slots[i].qom_path);
        }
        op->slots = mfree(op->slots);
        op->n_slots = 0;
        op->queue = mfree(op->queue);
        op->n_queue = op->next = 0;
}

static void op_free(Op *op) {
        domain_handle_unref(op->handle);
        sd_event_source_disable_unref(op->timer);
        slots_free(op);
        free(op->cpuset);
        free(op);
}

static Op *op_new(Domain *d, DomainLiveDoneFn done, void *userdata) {
        Op *op = calloc(1, sizeof(*op));

        if (!op)
                return NULL;
        op->done = done;
        op->userdata = userdata;
        op->handle = domain_handle_get(&d->handle, d);
        if (!op->handle) {
                free(op);
                return NULL;
        }
        return op;
}

/* Ends op: its callback gets the domain (NULL when the guest is gone) and
 * the error, if any. The live state is saved after a success. */
static void op_finish(Op *op, int r, const char *name, const char *fmt, ...) _printf_(4, 5);
static void op_finish(Op *op, int r, const char *name, const char *fmt, ...) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        Domain *d = op->handle->owner;

        if (r < 0 && fmt) {
                char msg[512];
                va_list ap;

                va_start(ap, fmt);
                vsnprintf(msg, sizeof(msg), fmt, ap);
                va_end(ap);
                (void) sd_bus_error_set(&e, name ?: VB_ERROR_OPERATION_FAILED, msg);
        }
        if (d && r >= 0)
                (void) domain_status_save(d);
        if (op->done)
                op->done(d, r, r < 0 ? &e : NULL, op->userdata);
        else if (op->stats_done)
                op->stats_done(d, r, r < 0 ? &e : NULL, op->stats, op->n_stats, op->userdata);
        sd_bus_error_free(&e);
        op_free(op);
}

/* Sends a command for op; on failure op is finished with error set. */
static int op_command(Op *op, Domain *d, const char *command, json_object *args, QemuMonitorReplyFn cb,
                      sd_bus_error *error) {
        int r = qemu_monitor_command(qemu_domain(d)->mon, command, args, cb, op);

        if (r < 0) {
                op_free(op);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot send %s to QEMU: %s", command,
                                     strerror(-r));
        }
        return 0;
}

/* The domain a reply is for, or NULL (op finished) when it went away or
 * QEMU refused. */
static Domain *op_reply(Op *op, const char *what, const char *error_class, const char *error_desc) {
        Domain *d = op->handle->owner;

        if (!d) {
                op_finish(op, -ESHUTDOWN, NULL, NULL);
                return NULL;
        }
        if (error_class) {
                op_finish(op, -EIO, VB_ERROR_OPERATION_FAILED, "%s of '%s' failed: %s", what, d->def->name,
                          error_desc ?: error_class);
                return NULL;
        }
        return d;
}

static json_object *args_new(void) {
        return json_object_new_object();
}

static void arg_str(json_object *o, const char *key, const char *value) {
        json_object_object_add(o, key, json_object_new_string(value));
}

static void arg_int(json_object *o, const char *key, int64_t value) {
        json_object_object_add(o, key, json_object_new_int64(value));
}

/* ---- vCPUs ---------------------------------------------------------------- */

static int64_t prop_or(json_object *props, const char *key) {
        json_object *v;
        return json_object_object_get_ex(props, key, &v) ? json_object_get_int64(v) : -1;
}

static int slot_cmp(const void *a, const void *b) {
        const CpuSlot *x = a, *y = b;

        for (size_t i = 0; i < ELEMENTSOF(x->key); i++)
                if (x->key[i] != y->key[i])
                        return x->key[i] < y->key[i] ? -1 : 1;
        return 0;
}

static int read_slots(Op *op, json_object *result) {
        size_t n = json_object_is_type(result, json_type_array) ? json_object_array_length(result) : 0;

        slots_free(op);
        op->slots = calloc(n + 1, sizeof(CpuSlot));
        op->queue = calloc(n + 1, sizeof(size_t));
        if (!op->slots || !op->queue)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(result, i), *type, *props, *path;
                CpuSlot *s = &op->slots[op->n_slots];

                if (!json_object_object_get_ex(e, "type", &type) || !json_object_object_get_ex(e, "props", &props))
                        continue;
                s->type = strdup(json_object_get_string(type));
                s->props = json_object_get(props);
                if (json_object_object_get_ex(e, "qom-path", &path))
                        s->qom_path = strdup(json_object_get_string(path));
                s->key[0] = prop_or(props, "socket-id");
                s->key[1] = prop_or(props, "die-id");
                s->key[2] = prop_or(props, "core-id");
                s->key[3] = prop_or(props, "thread-id");
                op->n_slots++;
                if (!s->type)
                        return -ENOMEM;
        }
        qsort(op->slots, op->n_slots, sizeof(CpuSlot), slot_cmp);
        return 0;
}

static size_t slots_plugged(const Op *op) {
        size_t n = 0;

        for (size_t i = 0; i < op->n_slots; i++)
                n += op->slots[i].qom_path != NULL;
        return n;
}

/* The live <vcpus>, when the definition has one, follows QEMU's slots
 * (in vCPU order): a vCPU plugged or unplugged since the start is a
 * hot-pluggable one, and the order of the start is no longer true. */
static void set_live_states(DomainDef *live, const Op *op) {
        bool changed = false;

        if (live->n_vcpu_states != op->n_slots)
                return;
        for (size_t i = 0; i < op->n_slots; i++) {
                DomainVcpuState *s = &live->vcpu_states[i];
                bool on = op->slots[i].qom_path != NULL;

                if (s->enabled == on)
                        continue;
                s->enabled = on;
                s->hotpluggable = TRISTATE_ON;
                changed = true;
        }
        for (size_t i = 0; changed && i < live->n_vcpu_states; i++)
                live->vcpu_states[i].order = 0;
}

/* The live definition says which and how many vCPUs run now. */
static void set_live_vcpus(Domain *d, const Op *op) {
        size_t n = slots_plugged(op);

        if (n == 0)
                return;
        d->live->vcpus_current = n >= d->live->vcpus ? 0 : (unsigned) n;
        set_live_states(d->live, op);
}

static void plug_next(Op *op, Domain *d);
static void unplug_wait(Op *op, Domain *d);

static void on_device_add(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                          void *userdata) {
        Op *op = userdata;
        Domain *d = op->handle->owner;

        if (d && error_class)
                /* what got in before stays in, and is counted */
                set_live_vcpus(d, op);
        d = op_reply(op, "device_add of a vCPU", error_class, error_desc);
        if (!d)
                return;
        op->slots[op->queue[op->next]].qom_path = strdup("plugged");
        op->next++;
        set_live_vcpus(d, op);
        plug_next(op, d);
}

static void plug_next(Op *op, Domain *d) {
        const CpuSlot *s;
        json_object *args;
        char id[32];
        int r;

        if (op->next >= op->n_queue) {
                op_finish(op, 0, NULL, NULL);
                return;
        }
        s = &op->slots[op->queue[op->next]];
        args = args_new();
        arg_str(args, "driver", s->type);
        snprintf(id, sizeof(id), "vcpu%zu", op->queue[op->next]);
        arg_str(args, "id", id);
        json_object_object_foreach(s->props, key, value) json_object_object_add(args, key, json_object_get(value));
        r = qemu_monitor_command(qemu_domain(d)->mon, "device_add", args, on_device_add, op);
        if (r < 0)
                op_finish(op, r, VB_ERROR_OPERATION_FAILED, "cannot send device_add to QEMU: %s", strerror(-r));
}

static void on_device_del(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                          void *userdata) {
        Op *op = userdata;
        Domain *d = op_reply(op, "device_del of a vCPU", error_class, error_desc);

        if (!d)
                return;
        qemu_domain(d)->vcpu_unplugged = true;
        op->next++;
        unplug_wait(op, d);
}

static void unplug_next(Op *op, Domain *d) {
        json_object *args = args_new();
        int r;

        arg_str(args, "id", op->slots[op->queue[op->next]].qom_path);
        r = qemu_monitor_command(qemu_domain(d)->mon, "device_del", args, on_device_del, op);
        if (r < 0)
                op_finish(op, r, VB_ERROR_OPERATION_FAILED, "cannot send device_del to QEMU: %s", strerror(-r));
}

static void on_unplug_poll(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                           void *userdata);

static int on_unplug_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Op *op = userdata;
        Domain *d = op->handle->owner;
        int r;

        op->timer = sd_event_source_disable_unref(op->timer);
        if (!d) {
                op_finish(op, -ESHUTDOWN, NULL, NULL);
                return 0;
        }
        r = qemu_monitor_command(qemu_domain(d)->mon, "query-hotpluggable-cpus", NULL, on_unplug_poll, op);
        if (r < 0)
                op_finish(op, r, VB_ERROR_OPERATION_FAILED, "cannot send query-hotpluggable-cpus: %s", strerror(-r));
        return 0;
}

/* device_del only asks the guest: the vCPU is gone once QEMU lists its slot
 * empty. Each one is waited for before the next is asked. */
static void unplug_wait(Op *op, Domain *d) {
        uint64_t now = 0;
        int r;

        (void) sd_event_now(d->manager->event, CLOCK_MONOTONIC, &now);
        if (!op->deadline)
                op->deadline = now + UNPLUG_TIMEOUT_USEC;
        r = sd_event_add_time_relative(d->manager->event, &op->timer, CLOCK_MONOTONIC, UNPLUG_POLL_USEC,
                                       POLL_ACCURACY_USEC, on_unplug_timer, op);
        if (r < 0)
                op_finish(op, r, VB_ERROR_OPERATION_FAILED, "cannot wait for the vCPU unplug: %s", strerror(-r));
}

static void on_unplug_poll(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                           void *userdata) {
        Op *op = userdata;
        Domain *d = op_reply(op, "query-hotpluggable-cpus", error_class, error_desc);
        size_t want = op->id + (op->n_queue - op->next), plugged;
        uint64_t now = 0;

        if (!d)
                return;
        /* the slots asked for so far, plus those still to ask for */
        if (read_slots(op, result) < 0) {
                op_finish(op, -ENOMEM, VB_ERROR_NO_MEMORY, "out of memory");
                return;
        }
        plugged = slots_plugged(op);
        set_live_vcpus(d, op);
        if (plugged <= want) {
                if (op->next >= op->n_queue) {
                        op_finish(op, 0, NULL, NULL);
                        return;
                }
                /* the list is read again: the next slot to unplug is the last plugged one */
                for (size_t i = op->n_slots; i > 0; i--)
                        if (op->slots[i - 1].qom_path) {
                                op->queue[op->next] = i - 1;
                                break;
                        }
                op->deadline = 0;
                unplug_next(op, d);
                return;
        }
        (void) sd_event_now(d->manager->event, CLOCK_MONOTONIC, &now);
        if (now >= op->deadline) {
                op_finish(op, -ETIMEDOUT, VB_ERROR_OPERATION_FAILED,
                          "vcpu unplug request timed out: the guest of '%s' did not release its vCPU; "
                          "it runs %zu vCPUs now", d->def->name, plugged);
                return;
        }
        unplug_wait(op, d);
}

/* QEMU's TCG aborts the guest instead of refusing: finishes op. */
static bool replug_refused(Op *op, Domain *d) {
        if (d->live->virt_type != DOMAIN_VIRT_QEMU || !qemu_domain(d)->vcpu_unplugged)
                return false;
        op_finish(op, -EOPNOTSUPP, VB_ERROR_OPERATION_INVALID,
                  "cannot plug a vCPU into '%s' after one was unplugged: QEMU's TCG (domain type 'qemu') "
                  "aborts the guest then; restart the guest first", d->def->name);
        return true;
}

static void on_hotpluggable(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                            void *userdata) {
        Op *op = userdata;
        Domain *d = op_reply(op, "query-hotpluggable-cpus", error_class, error_desc);
        size_t plugged;

        if (!d)
                return;
        if (read_slots(op, result) < 0) {
                op_finish(op, -ENOMEM, VB_ERROR_NO_MEMORY, "out of memory");
                return;
        }
        plugged = slots_plugged(op);
        if (op->id > plugged && replug_refused(op, d))
                return;
        if (op->id > plugged) {
                /* the first free slots, in vCPU order */
                for (size_t i = 0; i < op->n_slots && op->n_queue < op->id - plugged; i++)
                        if (!op->slots[i].qom_path)
                                op->queue[op->n_queue++] = i;
                if (op->n_queue < op->id - plugged) {
                        op_finish(op, -ENOSPC, VB_ERROR_OPERATION_FAILED,
                                  "QEMU has only %zu vCPU slots for '%s', %u asked for", op->n_slots, d->def->name,
                                  op->id);
                        return;
                }
                plug_next(op, d);
                return;
        }
        if (op->id == plugged) {
                set_live_vcpus(d, op);
                op_finish(op, 0, NULL, NULL);
                return;
        }
        /* the last ones first; which slot exactly is decided after each unplug */
        op->n_queue = plugged - op->id;
        for (size_t i = op->n_slots; i > 0; i--)
                if (op->slots[i - 1].qom_path) {
                        op->queue[0] = i - 1;
                        break;
                }
        unplug_next(op, d);
}

/* SetVcpu: one slot, by its vCPU number. Only a vCPU plugged as a device
 * (at start from <vcpus>, or later) can be unplugged: QEMU cannot take
 * away those it booted with. */
static void on_hotpluggable_one(QemuMonitor *mon, json_object *result, const char *error_class,
                                const char *error_desc, void *userdata) {
        Op *op = userdata;
        Domain *d = op_reply(op, "query-hotpluggable-cpus", error_class, error_desc);
        const CpuSlot *s;

        if (!d)
                return;
        if (read_slots(op, result) < 0) {
                op_finish(op, -ENOMEM, VB_ERROR_NO_MEMORY, "out of memory");
                return;
        }
        if (op->vcpu >= op->n_slots) {
                op_finish(op, -EINVAL, VB_ERROR_INVALID_ARG, "vcpu %u is not present in live config", op->vcpu);
                return;
        }
        s = &op->slots[op->vcpu];
        if ((s->qom_path != NULL) == op->enable) {
                op_finish(op, -EINVAL, VB_ERROR_INVALID_ARG, "vcpu '%u' is already in requested state", op->vcpu);
                return;
        }
        if (!op->enable && strncmp(s->qom_path, "/machine/peripheral/", strlen("/machine/peripheral/")) != 0) {
                op_finish(op, -EINVAL, VB_ERROR_INVALID_ARG, "vcpu '%u' can't be hotunplugged", op->vcpu);
                return;
        }
        if (op->enable && replug_refused(op, d))
                return;
        op->queue[0] = op->vcpu;
        op->n_queue = 1;
        if (op->enable) {
                plug_next(op, d);
                return;
        }
        op->id = (unsigned) slots_plugged(op) - 1;
        unplug_next(op, d);
}

static int set_vcpu(Domain *d, unsigned id, bool enabled, DomainLiveDoneFn done, void *userdata,
                    sd_bus_error *error) {
        Op *op = op_new(d, done, userdata);

        if (!op)
                return -ENOMEM;
        op->vcpu = id;
        op->enable = enabled;
        return op_command(op, d, "query-hotpluggable-cpus", NULL, on_hotpluggable_one, error);
}

static int set_vcpus(Domain *d, unsigned nvcpus, DomainLiveDoneFn done, void *userdata, sd_bus_error *error) {
        Op *op = op_new(d, done, userdata);

        if (!op)
                return -ENOMEM;
        op->id = nvcpus;
        return op_command(op, d, "query-hotpluggable-cpus", NULL, on_hotpluggable, error);
}

/* ---- the balloon -------------------------------------------------------- */

static void on_balloon(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                       void *userdata) {
        Op *op = userdata;
        Domain *d = op_reply(op, "balloon", error_class, error_desc);

        if (!d)
                return;
        d->live->current_memory_kib = op->kib;
        op_finish(op, 0, NULL, NULL);
}

static int set_memory(Domain *d, uint64_t kib, DomainLiveDoneFn done, void *userdata, sd_bus_error *error) {
        Op *op = op_new(d, done, userdata);
        json_object *args;

        if (!op)
                return -ENOMEM;
        op->kib = kib;
        args = args_new();
        arg_int(args, "value", (int64_t) (kib * 1024));
        return op_command(op, d, "balloon", args, on_balloon, error);
}

static void on_period(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                      void *userdata) {
        Op *op = userdata;
        Domain *d = op_reply(op, "setting the balloon's statistics period", error_class, error_desc);

        if (!d)
                return;
        d->live->memballoon.stats_period = (unsigned) op->period;
        op_finish(op, 0, NULL, NULL);
}

static int set_memory_stats_period(Domain *d, int period, DomainLiveDoneFn done, void *userdata,
                                   sd_bus_error *error) {
        Op *op = op_new(d, done, userdata);
        json_object *args;
        char path[160];

        if (!op)
                return -ENOMEM;
        op->period = period;
        args = args_new();
        balloon_path(d, path);
        arg_str(args, "path", path);
        arg_str(args, "property", "guest-stats-polling-interval");
        arg_int(args, "value", period);
        return op_command(op, d, "qom-set", args, on_period, error);
}

static void add_stat(Op *op, int tag, uint64_t value) {
        if (op->n_stats < ELEMENTSOF(op->stats))
                op->stats[op->n_stats++] = (DomainMemoryStat) { .tag = tag, .value = value };
}

/* QEMU's process resident set, as libvirt adds it. */
static void add_rss(Op *op, Domain *d) {
        char path[64];
        _cleanup_free_ char *text = NULL;
        unsigned long long size, rss;

        snprintf(path, sizeof(path), "/proc/%d/statm", (int) d->pid);
        if (read_full_file(path, 4096, &text, NULL) >= 0 && sscanf(text, "%llu %llu", &size, &rss) == 2)
                add_stat(op, DOMAIN_MEMORY_STAT_RSS, rss * (uint64_t) sysconf(_SC_PAGESIZE) / 1024);
}

/* QEMU's guest-stats names and libvirt's tags; sizes come in bytes. */
static const struct {
        const char *name;
        int tag;
        bool bytes;
} guest_stats[] = {
        { "stat-swap-in", DOMAIN_MEMORY_STAT_SWAP_IN, true },
        { "stat-swap-out", DOMAIN_MEMORY_STAT_SWAP_OUT, true },
        { "stat-major-faults", DOMAIN_MEMORY_STAT_MAJOR_FAULT, false },
        { "stat-minor-faults", DOMAIN_MEMORY_STAT_MINOR_FAULT, false },
        { "stat-free-memory", DOMAIN_MEMORY_STAT_UNUSED, true },
        { "stat-total-memory", DOMAIN_MEMORY_STAT_AVAILABLE, true },
        { "stat-available-memory", DOMAIN_MEMORY_STAT_USABLE, true },
        { "stat-disk-caches", DOMAIN_MEMORY_STAT_DISK_CACHES, true },
        { "stat-htlb-pgalloc", DOMAIN_MEMORY_STAT_HUGETLB_PGALLOC, false },
        { "stat-htlb-pgfail", DOMAIN_MEMORY_STAT_HUGETLB_PGFAIL, false },
};

static void on_guest_stats(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                           void *userdata) {
        Op *op = userdata;
        Domain *d = op->handle->owner;
        json_object *stats, *v;

        if (!d) {
                op_finish(op, -ESHUTDOWN, NULL, NULL);
                return;
        }
        /* no statistics yet (no period set, or the guest has no driver): only what QEMU knows itself */
        if (!error_class && json_object_object_get_ex(result, "stats", &stats)) {
                for (size_t i = 0; i < ELEMENTSOF(guest_stats); i++) {
                        int64_t x;

                        if (!json_object_object_get_ex(stats, guest_stats[i].name, &v))
                                continue;
                        x = json_object_get_int64(v);
                        if (x < 0 || x == INT64_MAX) /* -1: the guest does not tell */
                                continue;
                        add_stat(op, guest_stats[i].tag, guest_stats[i].bytes ? (uint64_t) x / 1024 : (uint64_t) x);
                }
                if (json_object_object_get_ex(result, "last-update", &v) && json_object_get_int64(v) > 0)
                        add_stat(op, DOMAIN_MEMORY_STAT_LAST_UPDATE, (uint64_t) json_object_get_int64(v));
        }
        add_rss(op, d);
        op_finish(op, 0, NULL, NULL);
}

static void on_query_balloon(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                             void *userdata) {
        Op *op = userdata;
        Domain *d = op_reply(op, "query-balloon", error_class, error_desc);
        json_object *actual, *args;
        char path[160];
        int r;

        if (!d)
                return;
        if (json_object_object_get_ex(result, "actual", &actual))
                add_stat(op, DOMAIN_MEMORY_STAT_ACTUAL_BALLOON, (uint64_t) json_object_get_int64(actual) / 1024);
        args = args_new();
        balloon_path(d, path);
        arg_str(args, "path", path);
        arg_str(args, "property", "guest-stats");
        r = qemu_monitor_command(qemu_domain(d)->mon, "qom-get", args, on_guest_stats, op);
        if (r < 0)
                op_finish(op, r, VB_ERROR_OPERATION_FAILED, "cannot send qom-get to QEMU: %s", strerror(-r));
}

static int memory_stats(Domain *d, DomainMemoryStatsFn done, void *userdata, sd_bus_error *error) {
        Op *op = op_new(d, NULL, userdata);

        if (!op)
                return -ENOMEM;
        op->stats_done = done;
        if (!d->live->memballoon.present || streq_ptr(d->live->memballoon.model, "none")) {
                /* as libvirt: without a balloon, only the process' own figure */
                add_rss(op, d);
                op_finish(op, 0, NULL, NULL);
                return 0;
        }
        return op_command(op, d, "query-balloon", NULL, on_query_balloon, error);
}

/* ---- IOThreads ------------------------------------------------------------- */

static void on_object_add(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                          void *userdata) {
        Op *op = userdata;
        Domain *d = op_reply(op, "object-add of an IOThread", error_class, error_desc);

        if (!d)
                return;
        if (domain_def_add_iothread(d->live, op->id) < 0)
                log_warning("Domain %s: IOThread %u runs but is not in the live definition", d->def->name, op->id);
        op_finish(op, 0, NULL, NULL);
}

static void on_object_del(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                          void *userdata) {
        Op *op = userdata;
        Domain *d = op_reply(op, "object-del of an IOThread", error_class, error_desc);

        if (!d)
                return;
        (void) domain_def_del_iothread(d->live, op->id);
        op_finish(op, 0, NULL, NULL);
}

/* object-add or object-del of IOThread id. */
static int iothread_object(Domain *d, unsigned id, bool add, DomainLiveDoneFn done, void *userdata,
                           sd_bus_error *error) {
        Op *op = op_new(d, done, userdata);
        json_object *args;
        char name[32];

        if (!op)
                return -ENOMEM;
        op->id = id;
        snprintf(name, sizeof(name), "iothread%u", id);
        args = args_new();
        if (add)
                arg_str(args, "qom-type", "iothread");
        arg_str(args, "id", name);
        return op_command(op, d, add ? "object-add" : "object-del", args, add ? on_object_add : on_object_del, error);
}

static int add_iothread(Domain *d, unsigned id, DomainLiveDoneFn done, void *userdata, sd_bus_error *error) {
        return iothread_object(d, id, true, done, userdata, error);
}

static int del_iothread(Domain *d, unsigned id, DomainLiveDoneFn done, void *userdata, sd_bus_error *error) {
        return iothread_object(d, id, false, done, userdata, error);
}

/* The IOThread id of a query-iothreads entry ("iothread3" -> 3), 0 when not ours. */
static unsigned iothread_id_of(json_object *e, pid_t *tid) {
        json_object *id, *thread;
        unsigned n;

        if (!json_object_object_get_ex(e, "id", &id) || !json_object_object_get_ex(e, "thread-id", &thread))
                return 0;
        if (sscanf(json_object_get_string(id), "iothread%u", &n) != 1)
                return 0;
        *tid = json_object_get_int(thread);
        return n;
}

static void on_iothreads_pin(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                             void *userdata) {
        Op *op = userdata;
        Domain *d = op_reply(op, "query-iothreads", error_class, error_desc);
        size_t n;
        cpu_set_t set;
        int r;

        if (!d)
                return;
        n = json_object_is_type(result, json_type_array) ? json_object_array_length(result) : 0;
        for (size_t i = 0; i < n; i++) {
                pid_t tid = 0;

                if (iothread_id_of(json_object_array_get_idx(result, i), &tid) != op->id)
                        continue;
                r = cpuset_parse(op->cpuset, &set);
                if (r >= 0 && sched_setaffinity(tid, sizeof(set), &set) < 0)
                        r = -errno;
                if (r < 0) {
                        op_finish(op, r, VB_ERROR_INVALID_ARG, "cannot pin IOThread %u of '%s' to CPUs '%s': %s",
                                  op->id, d->def->name, op->cpuset, strerror(-r));
                        return;
                }
                r = domain_def_pin_iothread(d->live, op->id, op->cpuset);
                if (r < 0) {
                        op_finish(op, r, VB_ERROR_NO_MEMORY, "out of memory");
                        return;
                }
                op_finish(op, 0, NULL, NULL);
                return;
        }
        op_finish(op, -ENOENT, VB_ERROR_INVALID_ARG, "QEMU has no IOThread %u for '%s'", op->id, d->def->name);
}

static int pin_iothread(Domain *d, unsigned id, const char *cpuset, DomainLiveDoneFn done, void *userdata,
                        sd_bus_error *error) {
        Op *op = op_new(d, done, userdata);

        if (!op)
                return -ENOMEM;
        op->id = id;
        op->cpuset = strdup(cpuset);
        if (!op->cpuset) {
                op_free(op);
                return -ENOMEM;
        }
        return op_command(op, d, "query-iothreads", NULL, on_iothreads_pin, error);
}

/* A CPU mask in libvirt's syntax ("0-2,5"). */
static char *cpuset_format(const cpu_set_t *set) {
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);
        bool first = true;

        if (!f)
                return NULL;
        for (int i = 0; i < CPU_SETSIZE; i++) {
                int j = i;

                if (!CPU_ISSET(i, set))
                        continue;
                while (j + 1 < CPU_SETSIZE && CPU_ISSET(j + 1, set))
                        j++;
                fprintf(f, j > i ? "%s%d-%d" : "%s%d", first ? "" : ",", i, j);
                first = false;
                i = j;
        }
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
}

typedef struct InfoOp {
        DomainHandle *handle;
        DomainIOThreadInfoFn done;
        void *userdata;
} InfoOp;

static void on_iothreads_info(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                              void *userdata) {
        InfoOp *op = userdata;
        Domain *d = op->handle->owner;
        size_t n = json_object_is_type(result, json_type_array) ? json_object_array_length(result) : 0, k = 0;
        DomainIOThreadInfo *info = calloc(n + 1, sizeof(*info));
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = 0;

        if (!d)
                r = -ESHUTDOWN;
        else if (error_class)
                r = vb_error_setf(&e, VB_ERROR_OPERATION_FAILED, "query-iothreads of '%s' failed: %s", d->def->name,
                                  error_desc ?: error_class);
        else if (!info)
                r = vb_error_setf(&e, VB_ERROR_NO_MEMORY, "out of memory");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                pid_t tid = 0;
                unsigned id = iothread_id_of(json_object_array_get_idx(result, i), &tid);
                cpu_set_t set;

                if (id == 0)
                        continue;
                CPU_ZERO(&set);
                if (sched_getaffinity(tid, sizeof(set), &set) < 0) {
                        r = vb_error_setf(&e, VB_ERROR_SYSTEM, "cannot read the CPU affinity of IOThread %u: %m", id);
                        break;
                }
                info[k] = (DomainIOThreadInfo) { .id = id, .cpuset = cpuset_format(&set) };
                k++;
        }
        op->done(d, r, r < 0 ? &e : NULL, info, k, op->userdata);
        for (size_t i = 0; info && i < k; i++)
                free(info[i].cpuset);
        free(info);
        sd_bus_error_free(&e);
        domain_handle_unref(op->handle);
        free(op);
}

static int iothread_info(Domain *d, DomainIOThreadInfoFn done, void *userdata, sd_bus_error *error) {
        InfoOp *op = calloc(1, sizeof(*op));
        int r;

        if (!op)
                return -ENOMEM;
        *op = (InfoOp) { .handle = domain_handle_get(&d->handle, d), .done = done, .userdata = userdata };
        if (!op->handle) {
                free(op);
                return -ENOMEM;
        }
        r = qemu_monitor_command(qemu_domain(d)->mon, "query-iothreads", NULL, on_iothreads_info, op);
        if (r < 0) {
                domain_handle_unref(op->handle);
                free(op);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot send query-iothreads to QEMU: %s",
                                     strerror(-r));
        }
        return 0;
}

const DomainResourcesOps qemu_resources_ops = {
        .set_vcpus = set_vcpus,
        .set_vcpu = set_vcpu,
        .set_memory = set_memory,
        .set_memory_stats_period = set_memory_stats_period,
        .memory_stats = memory_stats,
        .add_iothread = add_iothread,
        .del_iothread = del_iothread,
        .pin_iothread = pin_iothread,
        .iothread_info = iothread_info,
};
