/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "lock-state.h"
#include "log.h"
#include "state-text.h"
#include "util.h"

typedef struct Writer {
        FILE *f;
        int r;
} Writer;

static void write_owner(Owner *o, void *userdata) {
        Writer *w = userdata;
        _cleanup_free_ char *name = state_escape(o->name);

        if (!name)
                w->r = -ENOMEM;
        else
                fprintf(w->f, "owner %s %d %d %s\n", o->uuid, (int) o->pid, o->pidfd, name);
}

static void write_lease(Lease *l, void *userdata) {
        Writer *w = userdata;
        _cleanup_free_ char *path = state_escape(l->resource->path);
        unsigned flags = (l->shared ? LEASE_SHARED : 0) | (l->resource->direct ? LEASE_DIRECT : 0);

        if (!path)
                w->r = -ENOMEM;
        else
                fprintf(w->f, "lease %s %d %u %s\n", l->owner->uuid, l->fd, flags, path);
}

static int write_items(FILE *f, void *userdata) {
        Writer w = { .f = f };

        lease_table_foreach_owner(userdata, write_owner, &w);
        lease_table_foreach_lease(userdata, write_lease, &w);
        return w.r;
}

int lock_state_format(LeaseTable *t, char **ret, size_t *ret_len) {
        return state_format("lockd", write_items, t, ret, ret_len);
}

static int parse_owner(LeaseTable *t, const char *args) {
        char uuid[64], name[1024];
        _cleanup_free_ char *uname = NULL;
        int pid, pidfd, r;

        if (sscanf(args, "%63s %d %d %1023s", uuid, &pid, &pidfd, name) != 4 || pid <= 0)
                return -EINVAL;
        if (!state_fd_is_open(pidfd)) {
                log_warning("State names owner %s with pidfd %d, which is not open; dropping it.", uuid, pidfd);
                return 0;
        }
        r = state_unescape(name, &uname);
        if (r >= 0)
                r = lease_table_adopt_owner(t, uuid, uname, pid, 0, pidfd);
        if (r < 0) {
                close(pidfd);
                return log_warning_errno(r, "Cannot restore owner %s: %m", uuid);
        }
        return 0;
}

static int parse_lease(LeaseTable *t, const char *args) {
        char uuid[64];
        _cleanup_free_ char *path = NULL;
        unsigned flags;
        int fd, n = 0, r;

        if (sscanf(args, "%63s %d %u %n", uuid, &fd, &flags, &n) != 3 || n == 0)
                return -EINVAL;
        if (!state_fd_is_open(fd)) {
                log_warning("State names a lease fd %d that is not open; dropping it.", fd);
                return 0;
        }
        r = state_unescape(args + n, &path);
        if (r >= 0)
                r = lease_table_adopt_lease(t, uuid, path, flags, fd);
        if (r < 0) {
                log_warning_errno(r, "Cannot restore the lease of %s on %s: %m", uuid, path ?: "?");
                close(fd);
        }
        return 0;
}

static int parse_item(const char *keyword, const char *args, void *userdata) {
        if (streq(keyword, "owner"))
                return parse_owner(userdata, args);
        if (streq(keyword, "lease"))
                return parse_lease(userdata, args);
        return -EINVAL;
}

int lock_state_parse(LeaseTable *t, const char *text) {
        return state_parse("lockd", text, parse_item, t);
}

typedef struct CloexecCtx {
        bool cloexec;
        int r;
} CloexecCtx;

static void cloexec_owner(Owner *o, void *userdata) {
        CloexecCtx *c = userdata;
        int r = fd_cloexec(o->pidfd, c->cloexec);

        if (r < 0)
                c->r = r;
}

static void cloexec_lease(Lease *l, void *userdata) {
        CloexecCtx *c = userdata;
        int r = fd_cloexec(l->fd, c->cloexec);

        if (r < 0)
                c->r = r;
}

static int set_cloexec(void *userdata, bool cloexec) {
        CloexecCtx c = { .cloexec = cloexec };

        lease_table_foreach_owner(userdata, cloexec_owner, &c);
        lease_table_foreach_lease(userdata, cloexec_lease, &c);
        return c.r;
}

static int format(void *userdata, char **ret, size_t *ret_len) {
        return lock_state_format(userdata, ret, ret_len);
}

static int parse(void *userdata, const char *text) {
        return lock_state_parse(userdata, text);
}

static char *describe(void *userdata) {
        LeaseTable *t = userdata;
        char *s;

        if (asprintf(&s, "%u lease(s) of %u owner(s)", t->n_leases, t->n_owners) < 0)
                return NULL;
        return s;
}

const ReexecOps lock_state_reexec_ops = {
        .format = format,
        .parse = parse,
        .set_cloexec = set_cloexec,
        .describe = describe,
};
