/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* thread_pool_min/thread_pool_max of an <iothreadids><iothread> and
 * <defaultiothread>: the bounds of the worker pool of an IOThread or of
 * QEMU's main loop. */
#include "domain-conf-internal.h"

/* libvirt's virDomainDefValidateIOThreadsThreadPool: a max above 0 and no
 * min above it (a min without a max is above libvirt's "unset" -1). */
static int check_pool(const DomainThreadPool *p, ConfError *err) {
        if (p->has_max && p->max == 0)
                return xml_err_unsupported(err, "thread_pool_max must be a positive integer");
        if (p->has_min && (!p->has_max || p->min > p->max))
                return xml_err_unsupported(err, "thread_pool_min must be smaller or equal to thread_pool_max");
        return 0;
}

int domain_parse_thread_pool(DomainThreadPool *p, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_attr_uint(n, path, "thread_pool_min", &p->min, err);
        if (r < 0)
                return r;
        p->has_min = r > 0;
        r = xml_attr_uint(n, path, "thread_pool_max", &p->max, err);
        if (r < 0)
                return r;
        p->has_max = r > 0;
        if ((p->has_min && p->min > INT32_MAX) || (p->has_max && p->max > INT32_MAX))
                return xml_err_invalid(err, "a thread pool size of <%s> is above %d", path, INT32_MAX);
        return check_pool(p, err);
}

void domain_format_thread_pool(XmlWriter *w, const DomainThreadPool *p) {
        if (p->has_min)
                xw_attrf(w, "thread_pool_min", "%u", p->min);
        if (p->has_max)
                xw_attrf(w, "thread_pool_max", "%u", p->max);
}

int domain_parse_default_iothread(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "thread_pool_min", "thread_pool_max");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = domain_parse_thread_pool(&def->default_iothread, n, path, err);
        return r;
}

/* As libvirt, an element without either size says nothing and is not kept. */
void domain_format_default_iothread(XmlWriter *w, const DomainDef *def) {
        if (!def->default_iothread.has_min && !def->default_iothread.has_max)
                return;
        xw_start(w, "defaultiothread");
        domain_format_thread_pool(w, &def->default_iothread);
        xw_end(w);
}
