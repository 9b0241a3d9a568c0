/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Each daemon's own access check (common/bus-policy.c) opens exactly what
 * its bus policy file (units/org.virtbus.<name>.conf) opens to other users. */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <limits.h>

#include "bus-access.h"
#include "bus-policy.h"
#include "unit.h"
#include "util.h"

static const char *const daemons[] = { "qemud", "lxcd", "storaged", "networkd", "lockd", "logd", "secretd" };

static char *conf_path(const char *daemon) {
        char exe[PATH_MAX], *p = NULL;
        ssize_t n;

        if (access("units", F_OK) == 0) {
                (void) !asprintf(&p, "units/org.virtbus.%s.conf", daemon);
                return p;
        }
        /* build/tests/test-bus-policy -> ../../units */
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        exe[MAX(n, 0)] = 0;
        for (int i = 0; i < 3; i++)
                *(strrchr(exe, '/') ?: exe) = 0;
        (void) !asprintf(&p, "%s/units/org.virtbus.%s.conf", exe, daemon);
        return p;
}

static bool always_open(const char *iface, const char *member) {
        return streq(iface, "org.freedesktop.DBus.Introspectable") || streq(iface, "org.freedesktop.DBus.Peer") ||
               (streq(iface, "org.freedesktop.DBus.Properties") && member &&
                (streq(member, "Get") || streq(member, "GetAll")));
}

/* Every <allow send_destination=...> of the default context must be open
 * in the daemon's list; returns how many the file has besides the standard. */
static size_t check_file_against_list(const char *daemon, const BusPolicy *policy) {
        _cleanup_free_ char *path = conf_path(daemon), *dest = NULL;
        xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        size_t n = 0;

        CHECK(doc != NULL);
        if (!doc)
                return 0;
        (void) !asprintf(&dest, "org.virtbus.%s", daemon);
        for (xmlNodePtr pol = xmlDocGetRootElement(doc)->children; pol; pol = pol->next) {
                xmlChar *ctx = xmlGetProp(pol, BAD_CAST "context");
                bool is_default = ctx && xmlStrEqual(ctx, BAD_CAST "default");

                xmlFree(ctx);
                for (xmlNodePtr a = is_default ? pol->children : NULL; a; a = a->next) {
                        xmlChar *d, *i, *m;
                        if (a->type != XML_ELEMENT_NODE || !xmlStrEqual(a->name, BAD_CAST "allow"))
                                continue;
                        d = xmlGetProp(a, BAD_CAST "send_destination");
                        i = xmlGetProp(a, BAD_CAST "send_interface");
                        m = xmlGetProp(a, BAD_CAST "send_member");
                        CHECK(d && xmlStrEqual(d, BAD_CAST dest) && i);
                        if (i && !always_open((char *) i, (char *) m)) {
                                bool open = bus_access_is_open(policy->open, policy->n_open, (char *) i,
                                                               m ? (char *) m : "*");
                                if (!open)
                                        fprintf(stderr, "  %s: %s.%s is open in the policy file only\n", daemon,
                                                (char *) i, m ? (char *) m : "*");
                                CHECK(open);
                                n++;
                        }
                        xmlFree(d);
                        xmlFree(i);
                        xmlFree(m);
                }
        }
        xmlFreeDoc(doc);
        return n;
}

static void test_lists_match_policy_files(void) {
        for (size_t k = 0; k < ELEMENTSOF(daemons); k++) {
                const BusPolicy *policy = bus_policy_find(daemons[k]);
                size_t in_file;

                CHECK(policy != NULL);
                if (!policy)
                        continue;
                in_file = check_file_against_list(daemons[k], policy);
                /* and nothing open in the list that the file keeps closed */
                if (in_file != policy->n_open)
                        fprintf(stderr, "  %s: %zu open in the file, %zu in common/bus-policy.c\n", daemons[k],
                                in_file, policy->n_open);
                CHECK_INTEQ(in_file, policy->n_open);
        }
        CHECK(bus_policy_find("nosuchd") == NULL);
        /* daemon_open() refuses a daemon without a policy: the proxy has one
         * (root's only, no bus name of its own, so no policy file) */
        CHECK(bus_policy_find("proxyd") != NULL);
}

static void test_is_open(void) {
        const BusMethod open[] = { { "org.x.A", "Read" }, { "org.x.B", NULL } };

        CHECK(bus_access_is_open(open, 2, "org.x.A", "Read"));
        CHECK(!bus_access_is_open(open, 2, "org.x.A", "Write"));
        CHECK(bus_access_is_open(open, 2, "org.x.B", "Anything"));
        CHECK(!bus_access_is_open(open, 2, NULL, "Read"));
        CHECK(!bus_access_is_open(open, 2, "org.x.C", "Read"));
}

UNIT_TESTS(test_lists_match_policy_files, test_is_open)
