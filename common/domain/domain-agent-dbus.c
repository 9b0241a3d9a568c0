/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Domain's guest agent methods: each reads its arguments, takes
 * the domain's agent job, sends one command to the guest agent through the
 * driver (DomainAgentOps) and turns the agent's JSON answer into libvirt's
 * reply. InterfaceAddresses with the arp source reads the host's neighbour
 * table instead (domain-agent.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus-util.h"
#include "domain-agent.h"
#include "domain-dbus.h"
#include "error.h"
#include "log.h"
#include "util.h"

static const DomainAgentOps *agent_ops(const Domain *d) {
        return d->manager->driver->agent;
}

/* One agent call: the job it runs as and how its answer becomes the reply. */
typedef struct AgentCall AgentCall;
typedef int (*AgentFormatFn)(AgentCall *a, Domain *d, json_object *result, sd_bus_message *reply,
                             sd_bus_error *error);

struct AgentCall {
        DomainJob *job;
        const char *command;
        AgentFormatFn format;   /* NULL: an empty reply */
        /* SetGuestVcpus: the second step's input */
        bool *vcpumap;
        size_t n_vcpumap;
        int state;
        bool next_sent;         /* format sent a second command, which answers */
        /* Shutdown/Reboot: fall back to the driver's own on failure */
        bool fallback;
        bool reboot;
};

static AgentCall *agent_call_free(AgentCall *a) {
        if (!a)
                return NULL;
        domain_job_unref(a->job);
        free(a->vcpumap);
        free(a);
        return NULL;
}

static int send_command(Domain *d, AgentCall *a, const char *command, json_object *args, bool no_reply,
                        sd_bus_error *error);

static void on_reply(Domain *d, json_object *result, const char *error_name, const char *error_message,
                     void *userdata) {
        AgentCall *a = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *call;
        int r;

        /* The job ended meanwhile (the guest went away): nothing to answer. */
        if (!a->job->owner || !d || d->jobs->active != a->job) {
                agent_call_free(a);
                return;
        }
        if (error_name && a->fallback) {
                /* Shutdown/Reboot: the power button instead. */
                const DomainDriver *drv = d->manager->driver;
                log_debug("Domain %s: the agent failed (%s), using the power button", d->def->name, error_message);
                r = (a->reboot ? drv->reboot : drv->shutdown)(d, &e);
                agent_call_free(a);
                if (r > 0)
                        return;
                if (r < 0)
                        domain_job_fail(d->jobs, e.name ?: VB_ERROR_OPERATION_FAILED, e.message ?: "failed");
                else
                        domain_job_succeed(d->jobs);
                sd_bus_error_free(&e);
                return;
        }
        if (error_name) {
                domain_job_fail(d->jobs, error_name, error_message ?: "the guest agent failed");
                agent_call_free(a);
                return;
        }
        call = a->job->call;
        a->next_sent = false;
        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0 && a->format)
                r = a->format(a, d, result, reply, &e);
        if (r >= 0 && a->next_sent)
                return; /* a second command follows; it answers */
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0) {
                if (!sd_bus_error_is_set(&e))
                        (void) vb_error_setf(&e, VB_ERROR_INTERNAL, "cannot answer: %s", strerror(-r));
                domain_job_fail(d->jobs, e.name, e.message);
        } else
                domain_job_end(d->jobs);
        sd_bus_error_free(&e);
        agent_call_free(a);
}

static int send_command(Domain *d, AgentCall *a, const char *command, json_object *args, bool no_reply,
                        sd_bus_error *error) {
        a->command = command;
        return agent_ops(d)->command(d, command, args, no_reply, on_reply, a, error);
}

/* Takes d's agent job for msg and sends command; 1: answered later, 0: queued
 * (also 1 then), -errno with error set. args is consumed. */
static int run_agent(sd_bus_message *msg, Domain *d, sd_bus_message_handler_t self, const char *command,
                     json_object *args, AgentFormatFn format, AgentCall **ret, sd_bus_error *error) {
        AgentCall *a;
        int r;

        if (!agent_ops(d) || !agent_ops(d)->command) {
                json_object_put(args);
                return domain_not_supported(d, sd_bus_message_get_member(msg), error);
        }
        r = domain_job_begin(d->jobs, DOMAIN_JOB_AGENT, msg, self, d, error);
        if (r <= 0) {
                json_object_put(args);
                return r < 0 ? r : 1;
        }
        a = calloc(1, sizeof(*a));
        if (!a) {
                json_object_put(args);
                domain_job_end(d->jobs);
                return -ENOMEM;
        }
        a->job = domain_job_ref(d->jobs->active);
        a->format = format;
        if (ret)
                *ret = a;
        r = send_command(d, a, command, args, false, error);
        if (r < 0) {
                agent_call_free(a);
                domain_job_end(d->jobs);
                return r;
        }
        return 1;
}

/* ---- GetTime, SetTime ---- */

static int format_time(AgentCall *a, Domain *d, json_object *result, sd_bus_message *reply, sd_bus_error *error) {
        int64_t ns = json_object_get_int64(result);

        if (!json_object_is_type(result, json_type_int) || ns < 0)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "malformed return value from guest-get-time");
        return sd_bus_message_append(reply, "(tu)", (uint64_t) (ns / 1000000000), (uint32_t) (ns % 1000000000));
}

static int method_get_time(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r < 0)
                return r;
        return run_agent(msg, userdata, method_get_time, "guest-get-time", NULL, format_time, NULL, error);
}

static int method_set_time(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        json_object *args = NULL;
        uint64_t seconds;
        uint32_t nseconds, flags;
        int r;

        r = sd_bus_message_read(msg, "tuu", &seconds, &nseconds, &flags);
        if (r < 0)
                return r;
        r = bus_check_flags(flags, DOMAIN_TIME_SYNC, error);
        if (r < 0)
                return r;
        /* SYNC: the host's clock now, whatever was given (the guest's own
         * RTC may have been set wrong by a SetTime before). */
        if (flags & DOMAIN_TIME_SYNC) {
                struct timespec ts;
                (void) clock_gettime(CLOCK_REALTIME, &ts);
                seconds = (uint64_t) ts.tv_sec;
                nseconds = (uint32_t) ts.tv_nsec;
        }
        if (nseconds >= 1000000000)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "nseconds %u is not below 1000000000",
                                     nseconds);
        if (seconds > (uint64_t) INT64_MAX / 1000000000 - 1)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Time '%" PRIu64 "' is too big", seconds);
        args = json_object_new_object();
        if (!args || json_object_object_add(args, "time",
                                            json_object_new_int64((int64_t) seconds * 1000000000 + nseconds)) < 0) {
                json_object_put(args);
                return -ENOMEM;
        }
        return run_agent(msg, userdata, method_set_time, "guest-set-time", args, NULL, NULL, error);
}

/* ---- GetHostname ---- */

static int format_hostname(AgentCall *a, Domain *d, json_object *result, sd_bus_message *reply,
                           sd_bus_error *error) {
        json_object *name;

        if (!json_object_object_get_ex(result, "host-name", &name) || !json_object_is_type(name, json_type_string))
                return vb_error_setf(error, VB_ERROR_INTERNAL, "malformed return value from guest-get-host-name");
        return sd_bus_message_append(reply, "s", json_object_get_string(name));
}

static int method_get_hostname(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r < 0)
                return r;
        return run_agent(msg, userdata, method_get_hostname, "guest-get-host-name", NULL, format_hostname, NULL,
                         error);
}

/* ---- FSFreeze, FSThaw, FSTrim ---- */

static int format_count(AgentCall *a, Domain *d, json_object *result, sd_bus_message *reply, sd_bus_error *error) {
        int64_t n = json_object_get_int64(result);

        if (!json_object_is_type(result, json_type_int) || n < 0 || n > UINT32_MAX)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "malformed return value from %s", a->command);
        return sd_bus_message_append(reply, "u", (uint32_t) n);
}

static int read_mountpoints(sd_bus_message *msg, json_object **ret, sd_bus_error *error) {
        _cleanup_strv_free_ char **mounts = NULL;
        json_object *list;
        int r;

        r = sd_bus_message_read_strv(msg, &mounts);
        if (r < 0)
                return r;
        if (strv_length(mounts) == 0) {
                *ret = NULL;
                return 0;
        }
        list = json_object_new_array();
        if (!list)
                return -ENOMEM;
        for (char **m = mounts; *m; m++) {
                if (!**m) {
                        json_object_put(list);
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "an empty mount point");
                }
                if (json_object_array_add(list, json_object_new_string(*m)) < 0) {
                        json_object_put(list);
                        return -ENOMEM;
                }
        }
        *ret = list;
        return 1;
}

static int method_fs_freeze(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        json_object *list = NULL, *args = NULL;
        uint32_t flags;
        int r;

        r = read_mountpoints(msg, &list, error);
        if (r < 0)
                return r;
        r = bus_read_flags(msg, 0, &flags, error);
        if (r < 0) {
                json_object_put(list);
                return r;
        }
        if (list) {
                args = json_object_new_object();
                if (!args || json_object_object_add(args, "mountpoints", list) < 0) {
                        json_object_put(list);
                        json_object_put(args);
                        return -ENOMEM;
                }
        }
        return run_agent(msg, userdata, method_fs_freeze, list ? "guest-fsfreeze-freeze-list" : "guest-fsfreeze-freeze",
                         args, format_count, NULL, error);
}

static int method_fs_thaw(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        json_object *list = NULL;
        uint32_t flags;
        int r;

        r = read_mountpoints(msg, &list, error);
        if (r < 0)
                return r;
        json_object_put(list);
        r = bus_read_flags(msg, 0, &flags, error);
        if (r < 0)
                return r;
        /* qemu-ga thaws all or nothing */
        if (list)
                return vb_error_setf(error, VB_ERROR_ARGUMENT_UNSUPPORTED,
                                     "specifying mountpoints is not supported");
        return run_agent(msg, userdata, method_fs_thaw, "guest-fsfreeze-thaw", NULL, format_count, NULL, error);
}

static int method_fs_trim(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *mountpoint;
        json_object *args;
        uint64_t minimum;
        uint32_t flags;
        int r;

        r = sd_bus_message_read(msg, "stu", &mountpoint, &minimum, &flags);
        if (r < 0)
                return r;
        r = bus_check_flags(flags, 0, error);
        if (r < 0)
                return r;
        if (*mountpoint)
                return vb_error_setf(error, VB_ERROR_ARGUMENT_UNSUPPORTED,
                                     "Specifying mount point is not supported for now");
        if (minimum > INT64_MAX)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "minimum %" PRIu64
                                     " is too big", minimum);
        args = json_object_new_object();
        if (!args || json_object_object_add(args, "minimum", json_object_new_int64((int64_t) minimum)) < 0) {
                json_object_put(args);
                return -ENOMEM;
        }
        return run_agent(msg, userdata, method_fs_trim, "guest-fstrim", args, NULL, NULL, error);
}

/* ---- GetFSInfo ---- */

static void json_putp(json_object **o) {
        json_object_put(*o);
}

static const char *json_str(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static int json_int(json_object *o, const char *key, int64_t *ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return -ENOENT;
        *ret = json_object_get_int64(v);
        return 0;
}

/* The target dev ("vda") of the live disk the agent's disk entry names by
 * its PCI address or serial; NULL when none matches. */
static const char *disk_alias(const Domain *d, json_object *disk) {
        const DomainDef *def = d->live;
        json_object *pci;
        int64_t dom, bus, slot, fn;
        const char *serial = json_str(disk, "serial");

        if (!def)
                return NULL;
        for (size_t i = 0; serial && i < def->n_disks; i++)
                if (def->disks[i].serial && streq(def->disks[i].serial, serial))
                        return def->disks[i].dst;
        if (!json_object_object_get_ex(disk, "pci-controller", &pci) || json_int(pci, "domain", &dom) < 0 ||
            json_int(pci, "bus", &bus) < 0 || json_int(pci, "slot", &slot) < 0 || json_int(pci, "function", &fn) < 0)
                return NULL;
        for (size_t i = 0; i < def->n_disks; i++) {
                const DomainDeviceAddress *ad = &def->disks[i].addr;
                if (ad->type == DOMAIN_ADDRESS_PCI && ad->domain == dom && ad->bus == bus && ad->slot == slot &&
                    ad->function == fn)
                        return def->disks[i].dst;
        }
        return NULL;
}

static int format_fsinfo(AgentCall *a, Domain *d, json_object *result, sd_bus_message *reply, sd_bus_error *error) {
        int r;

        if (!json_object_is_type(result, json_type_array))
                return vb_error_setf(error, VB_ERROR_INTERNAL, "malformed return value from guest-get-fsinfo");
        r = sd_bus_message_open_container(reply, 'a', "(sssas)");
        for (size_t i = 0; r >= 0 && i < json_object_array_length(result); i++) {
                json_object *fs = json_object_array_get_idx(result, i), *disks;

                r = sd_bus_message_open_container(reply, 'r', "sssas");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "sss", json_str(fs, "mountpoint") ?: "",
                                                  json_str(fs, "name") ?: "", json_str(fs, "type") ?: "");
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "s");
                if (r >= 0 && json_object_object_get_ex(fs, "disk", &disks) &&
                    json_object_is_type(disks, json_type_array))
                        for (size_t j = 0; r >= 0 && j < json_object_array_length(disks); j++) {
                                const char *alias = disk_alias(d, json_object_array_get_idx(disks, j));
                                if (alias)
                                        r = sd_bus_message_append(reply, "s", alias);
                        }
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int method_get_fsinfo(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r < 0)
                return r;
        return run_agent(msg, userdata, method_get_fsinfo, "guest-get-fsinfo", NULL, format_fsinfo, NULL, error);
}

/* ---- GetGuestVcpus, SetGuestVcpus ---- */

static bool json_true(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static int append_cpulist(sd_bus_message *reply, const char *key, const bool *set, size_t n) {
        _cleanup_free_ char *s = NULL;
        int r = domain_agent_format_cpulist(set, n, &s);

        if (r < 0)
                return r;
        return sd_bus_message_append(reply, "{sv}", key, "s", s);
}

static int format_vcpus(AgentCall *a, Domain *d, json_object *result, sd_bus_message *reply, sd_bus_error *error) {
        _cleanup_free_ bool *present = NULL, *online = NULL, *offlinable = NULL;
        size_t n = 0;
        int r;

        if (!json_object_is_type(result, json_type_array))
                return vb_error_setf(error, VB_ERROR_INTERNAL, "malformed return value from guest-get-vcpus");
        for (size_t i = 0; i < json_object_array_length(result); i++) {
                int64_t id;
                if (json_int(json_object_array_get_idx(result, i), "logical-id", &id) < 0 || id < 0 || id > 4095)
                        return vb_error_setf(error, VB_ERROR_INTERNAL, "malformed return value from guest-get-vcpus");
                if ((size_t) id + 1 > n)
                        n = (size_t) id + 1;
        }
        present = calloc(n + 1, sizeof(bool));
        online = calloc(n + 1, sizeof(bool));
        offlinable = calloc(n + 1, sizeof(bool));
        if (!present || !online || !offlinable)
                return -ENOMEM;
        for (size_t i = 0; i < json_object_array_length(result); i++) {
                json_object *c = json_object_array_get_idx(result, i);
                int64_t id = 0;
                (void) json_int(c, "logical-id", &id);
                present[id] = true;
                online[id] = json_true(c, "online");
                offlinable[id] = json_true(c, "can-offline");
        }
        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = append_cpulist(reply, "vcpus", present, n);
        if (r >= 0)
                r = append_cpulist(reply, "online", online, n);
        if (r >= 0)
                r = append_cpulist(reply, "offlinable", offlinable, n);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int method_get_guest_vcpus(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r < 0)
                return r;
        return run_agent(msg, userdata, method_get_guest_vcpus, "guest-get-vcpus", NULL, format_vcpus, NULL, error);
}

/* The answer to guest-set-vcpus: how many were changed. */
static int format_set_vcpus(AgentCall *a, Domain *d, json_object *result, sd_bus_message *reply,
                            sd_bus_error *error) {
        return 0;
}

/* The guest's vCPUs came: change those of the map, send guest-set-vcpus. */
static int format_get_for_set(AgentCall *a, Domain *d, json_object *result, sd_bus_message *reply,
                              sd_bus_error *error) {
        _cleanup_(json_putp) json_object *list = NULL;
        json_object *args;
        size_t seen = 0;
        int r;

        if (!json_object_is_type(result, json_type_array))
                return vb_error_setf(error, VB_ERROR_INTERNAL, "malformed return value from guest-get-vcpus");
        list = json_object_new_array();
        if (!list)
                return -ENOMEM;
        for (size_t i = 0; i < json_object_array_length(result); i++) {
                json_object *c = json_object_array_get_idx(result, i), *o;
                int64_t id = -1;
                (void) json_int(c, "logical-id", &id);
                if (id < 0 || (size_t) id >= a->n_vcpumap || !a->vcpumap[id])
                        continue;
                seen++;
                if (!a->state && !json_true(c, "can-offline"))
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "vCPU '%" PRId64 "' is not offlinable", id);
                o = json_object_new_object();
                if (!o || json_object_object_add(o, "logical-id", json_object_new_int64(id)) < 0 ||
                    json_object_object_add(o, "online", json_object_new_boolean(a->state)) < 0 ||
                    json_object_array_add(list, o) < 0) {
                        json_object_put(o);
                        return -ENOMEM;
                }
        }
        for (size_t id = 0; id < a->n_vcpumap; id++) {
                bool found = false;
                if (!a->vcpumap[id])
                        continue;
                for (size_t i = 0; i < json_object_array_length(result); i++) {
                        int64_t x = -1;
                        (void) json_int(json_object_array_get_idx(result, i), "logical-id", &x);
                        found = found || x == (int64_t) id;
                }
                if (!found)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "vCPU '%zu' is not present in the guest", id);
        }
        if (seen == 0)
                return 0;
        args = json_object_new_object();
        if (!args || json_object_object_add(args, "vcpus", TAKE_PTR(list)) < 0) {
                json_object_put(args);
                return -ENOMEM;
        }
        a->format = format_set_vcpus;
        r = send_command(d, a, "guest-set-vcpus", args, false, error);
        a->next_sent = r >= 0;
        return r;
}

static int method_set_guest_vcpus(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ bool *map = NULL;
        const void *data;
        size_t n;
        int32_t state;
        uint32_t flags;
        AgentCall *a = NULL;
        bool any = false;
        int r;

        r = sd_bus_message_read_array(msg, 'b', &data, &n);
        if (r < 0)
                return r;
        n /= sizeof(int);
        map = calloc(n + 1, sizeof(bool));
        if (!map)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                any |= map[i] = ((const int *) data)[i] != 0;
        r = sd_bus_message_read(msg, "iu", &state, &flags);
        if (r < 0)
                return r;
        r = bus_check_flags(flags, 0, error);
        if (r < 0)
                return r;
        if (!any)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "the vCPU map names no vCPU");
        r = run_agent(msg, userdata, method_set_guest_vcpus, "guest-get-vcpus", NULL, format_get_for_set, &a, error);
        if (r > 0 && a && ((Domain *) userdata)->jobs->active == a->job && !a->vcpumap) {
                a->vcpumap = TAKE_PTR(map);
                a->n_vcpumap = n;
                a->state = state != 0;
        }
        return r;
}

/* ---- SetUserPassword ---- */

static int method_set_user_password(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *b64 = NULL;
        const char *user, *password;
        json_object *args;
        uint32_t flags;
        int r;

        r = sd_bus_message_read(msg, "ssu", &user, &password, &flags);
        if (r < 0)
                return r;
        r = bus_check_flags(flags, DOMAIN_PASSWORD_ENCRYPTED, error);
        if (r < 0)
                return r;
        if (!*user)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "an empty user name");
        b64 = domain_agent_base64(password, strlen(password));
        if (!b64)
                return -ENOMEM;
        args = json_object_new_object();
        if (!args || json_object_object_add(args, "username", json_object_new_string(user)) < 0 ||
            json_object_object_add(args, "password", json_object_new_string(b64)) < 0 ||
            json_object_object_add(args, "crypted", json_object_new_boolean(flags & DOMAIN_PASSWORD_ENCRYPTED)) < 0) {
                json_object_put(args);
                return -ENOMEM;
        }
        return run_agent(msg, userdata, method_set_user_password, "guest-set-user-password", args, NULL, NULL, error);
}

/* ---- InterfaceAddresses ---- */

static int format_ifaces(AgentCall *a, Domain *d, json_object *result, sd_bus_message *reply, sd_bus_error *error) {
        int r;

        if (!json_object_is_type(result, json_type_array))
                return vb_error_setf(error, VB_ERROR_INTERNAL,
                                     "malformed return value from guest-network-get-interfaces");
        r = sd_bus_message_open_container(reply, 'a', "(ssa(isu))");
        for (size_t i = 0; r >= 0 && i < json_object_array_length(result); i++) {
                json_object *ifc = json_object_array_get_idx(result, i), *addrs;

                r = sd_bus_message_open_container(reply, 'r', "ssa(isu)");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "ss", json_str(ifc, "name") ?: "",
                                                  json_str(ifc, "hardware-address") ?: "");
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "(isu)");
                if (r >= 0 && json_object_object_get_ex(ifc, "ip-addresses", &addrs) &&
                    json_object_is_type(addrs, json_type_array))
                        for (size_t j = 0; r >= 0 && j < json_object_array_length(addrs); j++) {
                                json_object *ad = json_object_array_get_idx(addrs, j);
                                const char *type = json_str(ad, "ip-address-type"), *ip = json_str(ad, "ip-address");
                                int64_t prefix = 0;
                                if (!type || !ip)
                                        continue;
                                (void) json_int(ad, "prefix", &prefix);
                                r = sd_bus_message_append(reply, "(isu)", streq(type, "ipv6") ? 1 : 0, ip,
                                                          (uint32_t) prefix);
                        }
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int method_interface_addresses(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        uint32_t source, flags;
        int r;

        r = sd_bus_message_read(msg, "uu", &source, &flags);
        if (r < 0)
                return r;
        r = bus_check_flags(flags, 0, error);
        if (r < 0)
                return r;
        if (!domain_is_active(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "domain '%s' is not running", d->def->name);
        switch (source) {
        case DOMAIN_IFADDR_SOURCE_AGENT:
                return run_agent(msg, d, method_interface_addresses, "guest-network-get-interfaces", NULL,
                                 format_ifaces, NULL, error);
        case DOMAIN_IFADDR_SOURCE_ARP:
                return domain_agent_reply_arp(msg, d, error);
        case DOMAIN_IFADDR_SOURCE_LEASE:
                return domain_agent_reply_leases(msg, d, error);
        default:
                return vb_error_setf(error, VB_ERROR_ARGUMENT_UNSUPPORTED,
                                     "Unknown IP address data source %u", source);
        }
}

/* ---- Shutdown and Reboot by the agent ---- */

bool domain_agent_takes_power(Domain *d, uint32_t flags) {
        const DomainAgentOps *ops = agent_ops(d);

        if (!ops || !ops->command)
                return false;
        if (flags & DOMAIN_SHUTDOWN_GUEST_AGENT)
                return true;
        return flags == 0 && ops->connected && ops->connected(d);
}

int domain_agent_power(sd_bus_message *msg, Domain *d, uint32_t flags, bool reboot, sd_bus_message_handler_t self,
                       sd_bus_error *error) {
        const DomainDriver *drv = d->manager->driver;
        bool fallback = !(flags & DOMAIN_SHUTDOWN_GUEST_AGENT) || (flags & DOMAIN_SHUTDOWN_ACPI_POWER_BTN);
        json_object *args;
        AgentCall *a;
        int r;

        r = domain_job_begin(d->jobs, reboot ? DOMAIN_JOB_REBOOT : DOMAIN_JOB_SHUTDOWN, msg, self, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        if (!domain_is_active(d) || d->starting) {
                domain_job_end(d->jobs);
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", d->def->name);
        }
        a = calloc(1, sizeof(*a));
        args = json_object_new_object();
        if (!a || !args || json_object_object_add(args, "mode", json_object_new_string(reboot ? "reboot"
                                                                                               : "powerdown")) < 0) {
                free(a);
                json_object_put(args);
                domain_job_end(d->jobs);
                return -ENOMEM;
        }
        a->job = domain_job_ref(d->jobs->active);
        a->fallback = fallback && (reboot ? drv->reboot : drv->shutdown);
        a->reboot = reboot;
        r = send_command(d, a, "guest-shutdown", args, true, error);
        if (r >= 0)
                return 1;
        agent_call_free(a);
        if (fallback && (reboot ? drv->reboot : drv->shutdown)) {
                sd_bus_error_free(error);
                r = (reboot ? drv->reboot : drv->shutdown)(d, error);
                if (r > 0)
                        return 1;
        }
        domain_job_end(d->jobs);
        return domain_reply_done(msg, r);
}

/* ---- AgentEvent ---- */

int domain_agent_emit_event(Domain *d, DomainAgentState state, DomainAgentReason reason) {
        return sd_bus_emit_signal(d->manager->bus, d->path, "org.libvirt.Domain", "AgentEvent", "ii", (int32_t) state,
                                  (int32_t) reason);
}

const sd_bus_vtable domain_agent_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("FSFreeze", "asu", SD_BUS_PARAM(mountpoints) SD_BUS_PARAM(flags), "u",
                                 SD_BUS_PARAM(frozenFilesystems), method_fs_freeze, 0),
        SD_BUS_METHOD_WITH_NAMES("FSThaw", "asu", SD_BUS_PARAM(mountpoints) SD_BUS_PARAM(flags), "u",
                                 SD_BUS_PARAM(thawedFilesystems), method_fs_thaw, 0),
        SD_BUS_METHOD_WITH_NAMES("FSTrim", "stu", SD_BUS_PARAM(mountpoint) SD_BUS_PARAM(minimum) SD_BUS_PARAM(flags),
                                 NULL, , method_fs_trim, 0),
        SD_BUS_METHOD_WITH_NAMES("GetFSInfo", "u", SD_BUS_PARAM(flags), "a(sssas)", SD_BUS_PARAM(fsInfo),
                                 method_get_fsinfo, 0),
        SD_BUS_METHOD_WITH_NAMES("GetGuestVcpus", "u", SD_BUS_PARAM(flags), "a{sv}", SD_BUS_PARAM(vcpus),
                                 method_get_guest_vcpus, 0),
        SD_BUS_METHOD_WITH_NAMES("GetHostname", "u", SD_BUS_PARAM(flags), "s", SD_BUS_PARAM(hostname),
                                 method_get_hostname, 0),
        SD_BUS_METHOD_WITH_NAMES("GetTime", "u", SD_BUS_PARAM(flags), "(tu)", SD_BUS_PARAM(time), method_get_time,
                                 0),
        SD_BUS_METHOD_WITH_NAMES("InterfaceAddresses", "uu", SD_BUS_PARAM(source) SD_BUS_PARAM(flags), "a(ssa(isu))",
                                 SD_BUS_PARAM(ifaces), method_interface_addresses, 0),
        SD_BUS_METHOD_WITH_NAMES("SetGuestVcpus", "abiu",
                                 SD_BUS_PARAM(vcpumap) SD_BUS_PARAM(state) SD_BUS_PARAM(flags), NULL, ,
                                 method_set_guest_vcpus, 0),
        SD_BUS_METHOD_WITH_NAMES("SetTime", "tuu", SD_BUS_PARAM(seconds) SD_BUS_PARAM(nseconds) SD_BUS_PARAM(flags),
                                 NULL, , method_set_time, 0),
        SD_BUS_METHOD_WITH_NAMES("SetUserPassword", "ssu",
                                 SD_BUS_PARAM(user) SD_BUS_PARAM(password) SD_BUS_PARAM(flags), NULL, ,
                                 method_set_user_password, 0),
        SD_BUS_SIGNAL_WITH_NAMES("AgentEvent", "ii", SD_BUS_PARAM(state) SD_BUS_PARAM(reason), 0),
        SD_BUS_VTABLE_END,
};
