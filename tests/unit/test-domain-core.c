/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shared domain core (common/domain/) run by a fake driver, with no
 * QEMU and no qemud code linked: the org.libvirt.Connect and Domain methods
 * over a real sd-bus connection pair (a socketpair, no bus daemon) define,
 * look up, list, start, stop and undefine through the driver's table;
 * definitions, autostart and the live state (with the driver's own element)
 * come back in a new manager; a driver hook left NULL answers NotSupported.
 * This is what shows the core is driver-neutral. */
#include <errno.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "connect-dbus.h"
#include "domain-dbus.h"
#include "domain-manager.h"
#include "domain-status.h"
#include "error.h"
#include "unit.h"
#include "util.h"

#define ROOT "/org/virtbus/faked"
#define UUID1 "6f8cbd53-8cd5-4f1d-9fa4-2d3a6ad1f1a5"
#define UUID2 "0d6b1c4a-7e5f-4c8e-9a51-43b0f1a1c2d3"

/* What the fake driver was asked, for the checks. */
static struct {
        unsigned privs;          /* per-domain private data alive */
        unsigned post_parsed, validated, started, adopted, lost, rolled_back;
        pid_t adopted_pid;
        char status_value[64];   /* read back from <fake value=''/> */
} fake;

typedef struct FakeDomain {
        char value[32];          /* the driver's own part of the live state */
} FakeDomain;

static int fake_domain_init(Domain *d) {
        FakeDomain *f = calloc(1, sizeof(*f));

        if (!f)
                return -ENOMEM;
        snprintf(f->value, sizeof(f->value), "v-%s", d->def->name);
        d->priv = f;
        fake.privs++;
        return 0;
}

static void fake_domain_done(Domain *d) {
        if (d->priv)
                fake.privs--;
        d->priv = mfree(d->priv);
}

static int fake_validate(Manager *m, const DomainDef *def, ConfError *err) {
        fake.validated++;
        if (!streq(def->name, "refused"))
                return 0;
        conf_error_set(err, VB_ERROR_NOT_SUPPORTED, "the fake driver refuses '%s'", def->name);
        return -EOPNOTSUPP;
}

static int fake_post_parse(Manager *m, DomainDef *def, ConfError *err) {
        fake.post_parsed++;
        return 0;
}

/* Runs at once: the live definition, an id, running, recorded. */
static int fake_start(Domain *d, unsigned flags, sd_bus_message *call, sd_bus_error *error) {
        int r;

        if (!d->jobs->active && (r = domain_job_begin(d->jobs, DOMAIN_JOB_START, NULL, NULL, NULL, error)) < 0)
                return r;
        if (d->start_def)
                d->live = TAKE_PTR(d->start_def);
        else if ((r = domain_def_copy(d->def, &d->live)) < 0) {
                domain_job_end(d->jobs);
                return r;
        }
        fake.started++;
        d->id = manager_allocate_id(d->manager);
        d->pid = getpid(); /* a process that is alive, for the reload */
        domain_set_state(d, flags & DOMAIN_START_PAUSED ? DOMAIN_PAUSED : DOMAIN_RUNNING, 1);
        (void) domain_status_save(d);
        sd_bus_message_unref(domain_job_take_call(d->jobs));
        domain_job_end(d->jobs);
        if (call && streq_ptr(sd_bus_message_get_member(call), "DomainCreateXML"))
                (void) sd_bus_reply_method_return(call, "o", d->path);
        else if (call)
                (void) sd_bus_reply_method_return(call, NULL);
        return 0;
}

static void fake_stopped(Domain *d, int reason) {
        Manager *m = d->manager;

        domain_status_remove(d);
        d->live = domain_def_free(d->live);
        d->id = -1;
        d->pid = 0;
        domain_set_state(d, DOMAIN_SHUTOFF, reason);
        if (!d->persistent) {
                manager_remove_domain(m, d);
                domain_free(d);
        }
}

static int fake_destroy(Domain *d, sd_bus_message *call, sd_bus_error *error) {
        if (!domain_is_active(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "'%s' is not running", d->def->name);
        fake_stopped(d, DOMAIN_SHUTOFF_DESTROYED);
        return 0;
}

static int fake_suspend(Domain *d, sd_bus_error *error) {
        domain_set_state(d, DOMAIN_PAUSED, DOMAIN_PAUSED_USER);
        return 0;
}

static int fake_resume(Domain *d, sd_bus_error *error) {
        domain_set_state(d, DOMAIN_RUNNING, DOMAIN_RUNNING_UNPAUSED);
        return 0;
}

static int fake_adopt(Domain *d, pid_t pid) {
        fake.adopted++;
        fake.adopted_pid = pid;
        return 0;
}

static void fake_lost(Domain *d) {
        fake.lost++;
        fake_stopped(d, DOMAIN_SHUTOFF_CRASHED);
}

static int fake_rollback(Domain *d, const DomainStatus *s) {
        fake.rolled_back++;
        fake_stopped(d, DOMAIN_SHUTOFF_FAILED);
        return 0;
}

static int fake_status_format(Domain *d, char **ret) {
        const FakeDomain *f = d->priv;

        return asprintf(ret, "  <fake value='%s'/>\n", f->value) < 0 ? -ENOMEM : 0;
}

static int fake_status_parse(Domain *d, xmlNodePtr root) {
        for (xmlNodePtr c = root->children; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, (const xmlChar *) "fake")) {
                        xmlChar *v = xmlGetProp(c, (const xmlChar *) "value");
                        snprintf(fake.status_value, sizeof(fake.status_value), "%s", v ? (const char *) v : "");
                        xmlFree(v);
                        return 0;
                }
        return -EBADMSG;
}

static int fake_get_capabilities(Manager *m, sd_bus_message *msg, sd_bus_error *error) {
        return sd_bus_reply_method_return(msg, "s", "<capabilities fake='yes'/>") < 0 ? -EIO : 1;
}

static uint64_t fake_version(Manager *m) {
        return 42;
}

/* No shutdown, reboot, reset or domain capabilities: those are refused. */
static const DomainDriver fake_driver = {
        .name = "FAKE",
        .dir = "fake",
        .bus_name = "org.virtbus.faked",
        .root = ROOT,
        .os_type = "exe",
        .domain_init = fake_domain_init,
        .domain_done = fake_domain_done,
        .validate = fake_validate,
        .post_parse = fake_post_parse,
        .start = fake_start,
        .destroy = fake_destroy,
        .suspend = fake_suspend,
        .resume = fake_resume,
        .adopt = fake_adopt,
        .lost = fake_lost,
        .rollback = fake_rollback,
        .status_format = fake_status_format,
        .status_parse = fake_status_parse,
        .get_capabilities = fake_get_capabilities,
        .version = fake_version,
};

/* The daemon's side (server) and a client, on one event loop. */
static struct {
        sd_event *event;
        sd_bus *client, *server;
        Manager *m;
        char root[64];
} t;

static int open_pair(void) {
        sd_id128_t id;
        int fds[2];

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 || sd_event_new(&t.event) < 0 ||
            sd_id128_randomize(&id) < 0 || sd_bus_new(&t.client) < 0 || sd_bus_new(&t.server) < 0)
                return -1;
        if (sd_bus_set_fd(t.client, fds[0], fds[0]) < 0 || sd_bus_set_fd(t.server, fds[1], fds[1]) < 0 ||
            sd_bus_set_server(t.server, 1, id) < 0 || sd_bus_set_anonymous(t.server, 1) < 0 ||
            sd_bus_set_anonymous(t.client, 1) < 0)
                return -1;
        if (sd_bus_attach_event(t.client, t.event, 0) < 0 || sd_bus_attach_event(t.server, t.event, 0) < 0 ||
            sd_bus_start(t.server) < 0 || sd_bus_start(t.client) < 0)
                return -1;
        return 0;
}

/* A manager of the fake driver over t.root, its objects on the bus. */
static int start_daemon(void) {
        int r = open_pair();

        if (r >= 0)
                r = manager_new(t.event, t.server, t.root, &fake_driver, &t.m);
        if (r >= 0)
                r = connect_dbus_register(t.m);
        if (r >= 0)
                r = domain_dbus_register(t.m);
        if (r >= 0)
                r = manager_startup(t.m);
        return r;
}

static void stop_daemon(void) {
        t.m = manager_free(t.m);
        t.client = sd_bus_flush_close_unref(t.client);
        t.server = sd_bus_flush_close_unref(t.server);
        t.event = sd_event_unref(t.event);
}

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        *(sd_bus_message **) userdata = sd_bus_message_ref(reply);
        return 0;
}

/* Calls a method and runs the loop until its reply (or 5 s). */
static sd_bus_message *call(const char *path, const char *interface, const char *member, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        sd_bus_message *reply = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(t.client, &msg, NULL, path, interface, member);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(msg, types, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_call_async(t.client, NULL, msg, on_reply, &reply, 5 * 1000000ULL);
        CHECK(r >= 0);
        for (int i = 0; r >= 0 && !reply && i < 500; i++)
                (void) sd_event_run(t.event, 10 * 1000);
        CHECK(reply != NULL);
        return reply;
}

/* The error name of a reply, or "ok". */
static const char *outcome(sd_bus_message *reply) {
        const sd_bus_error *e = reply ? sd_bus_message_get_error(reply) : NULL;

        return !reply ? "no reply" : e ? e->name : "ok";
}

static char *read_path(sd_bus_message *reply) {
        const char *p = NULL;

        if (!reply || sd_bus_message_read(reply, "o", &p) < 0)
                return NULL;
        return strdup(p);
}

static char *define(const char *name, const char *uuid) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        char xml[1024];

        snprintf(xml, sizeof(xml),
                 "<domain type='qemu'><name>%s</name><uuid>%s</uuid><memory unit='MiB'>64</memory>"
                 "<os><type arch='x86_64'>hvm</type></os></domain>", name, uuid);
        reply = call(ROOT, "org.libvirt.Connect", "DomainDefineXML", "s", xml);
        return read_path(reply);
}

static unsigned list_domains(uint32_t flags) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = call(ROOT, "org.libvirt.Connect", "ListDomains",
                                                                      "u", flags);
        const char *p;
        unsigned n = 0;

        if (!reply || sd_bus_message_enter_container(reply, 'a', "o") < 0)
                return 9999;
        while (sd_bus_message_read(reply, "o", &p) > 0)
                n++;
        return n;
}

static int get_state(const char *path) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = call(path, "org.libvirt.Domain", "GetState", "u", 0);
        int32_t state = -1, reason;

        if (reply)
                (void) sd_bus_message_read(reply, "(ii)", &state, &reason);
        return state;
}

static void setup(void) {
        memset(&fake, 0, sizeof(fake));
        memset(&t, 0, sizeof(t));
        snprintf(t.root, sizeof(t.root), "/tmp/vb-domain-core-XXXXXX");
        CHECK(mkdtemp(t.root) != NULL);
}

static void cleanup(void) {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t.root);
        CHECK(system(cmd) == 0);
}

static bool file_exists(const char *dir, const char *name, const char *suffix) {
        char path[512];

        snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix);
        return access(path, F_OK) == 0;
}

static void test_state_names(void) {
        for (int s = DOMAIN_NOSTATE; s <= DOMAIN_PMSUSPENDED; s++)
                CHECK_INTEQ(domain_state_from_string(domain_state_to_string(s)), s);
        CHECK_STREQ(domain_state_to_string(DOMAIN_SHUTOFF), "shutoff");
        CHECK_STREQ(domain_state_to_string(99), "unknown");
        CHECK(domain_state_from_string("bogus") < 0);
}

static void test_define_lookup_list_undefine(void) {
        _cleanup_free_ char *path = NULL, *by_name = NULL, *by_uuid = NULL;
        sd_bus_message *reply;
        const char *s;
        uint64_t version = 0;

        setup();
        CHECK(start_daemon() >= 0);
        path = define("one", UUID1);
        CHECK_STREQ(path, ROOT "/domain/_6f8cbd53_8cd5_4f1d_9fa4_2d3a6ad1f1a5");
        CHECK_INTEQ(fake.validated, 1);
        CHECK_INTEQ(fake.post_parsed, 1);
        CHECK_INTEQ(fake.privs, 1);
        CHECK(file_exists(t.m->confdir, "one", ".xml"));
        CHECK(endswith(t.m->confdir, "/etc/virtbus/fake"));

        by_name = read_path(reply = call(ROOT, "org.libvirt.Connect", "DomainLookupByName", "s", "one"));
        sd_bus_message_unref(reply);
        CHECK_STREQ(by_name, path);
        by_uuid = read_path(reply = call(ROOT, "org.libvirt.Connect", "DomainLookupByUUID", "s", UUID1));
        sd_bus_message_unref(reply);
        CHECK_STREQ(by_uuid, path);
        CHECK_INTEQ(list_domains(0), 1);
        CHECK_INTEQ(list_domains(LIST_DOMAINS_INACTIVE), 1);
        CHECK_INTEQ(list_domains(LIST_DOMAINS_ACTIVE), 0);

        /* the definition from the core, the version and capabilities from
         * the driver */
        reply = call(path, "org.libvirt.Domain", "GetXMLDesc", "u", 0);
        CHECK(reply && sd_bus_message_read(reply, "s", &s) > 0 && strstr(s, "<name>one</name>"));
        sd_bus_message_unref(reply);
        reply = call(ROOT, "org.freedesktop.DBus.Properties", "Get", "ss", "org.libvirt.Connect", "Version");
        CHECK(reply && sd_bus_message_read(reply, "v", "t", &version) > 0);
        CHECK_INTEQ(version, 42);
        sd_bus_message_unref(reply);
        reply = call(ROOT, "org.libvirt.Connect", "GetCapabilities", NULL);
        CHECK(reply && sd_bus_message_read(reply, "s", &s) > 0 && streq(s, "<capabilities fake='yes'/>"));
        sd_bus_message_unref(reply);
        reply = call(ROOT, "org.libvirt.Connect", "GetDomainCapabilities", "ssssu", "", "", "", "", 0);
        CHECK_STREQ(outcome(reply), VB_ERROR_NOT_SUPPORTED);
        sd_bus_message_unref(reply);

        /* the driver's validation refuses, naming what: nothing is defined */
        {
                char xml[512];
                snprintf(xml, sizeof(xml), "<domain type='qemu'><name>refused</name><uuid>%s</uuid>"
                         "<memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>", UUID2);
                reply = call(ROOT, "org.libvirt.Connect", "DomainDefineXML", "s", xml);
                CHECK_STREQ(outcome(reply), VB_ERROR_NOT_SUPPORTED);
                CHECK(reply && strstr(sd_bus_message_get_error(reply)->message, "fake driver refuses 'refused'"));
                sd_bus_message_unref(reply);
        }
        CHECK_INTEQ(list_domains(0), 1);
        CHECK(!file_exists(t.m->confdir, "refused", ".xml"));

        /* the same name with another uuid is refused by the core */
        CHECK(define("one", UUID2) == NULL);

        reply = call(path, "org.libvirt.Domain", "Undefine", "u", 0);
        CHECK_STREQ(outcome(reply), "ok");
        sd_bus_message_unref(reply);
        CHECK_INTEQ(list_domains(0), 0);
        CHECK(!file_exists(t.m->confdir, "one", ".xml"));
        CHECK_INTEQ(fake.privs, 0);
        reply = call(ROOT, "org.libvirt.Connect", "DomainLookupByName", "s", "one");
        CHECK_STREQ(outcome(reply), VB_ERROR_NO_DOMAIN);
        sd_bus_message_unref(reply);
        stop_daemon();
        cleanup();
}

static void test_lifecycle_through_driver(void) {
        _cleanup_free_ char *path = NULL, *by_id = NULL, *status = NULL;
        sd_bus_message *reply;

        setup();
        CHECK(start_daemon() >= 0);
        path = define("life", UUID1);
        CHECK(path != NULL);
        CHECK_INTEQ(get_state(path), DOMAIN_SHUTOFF);

        reply = call(path, "org.libvirt.Domain", "Create", "u", 0);
        CHECK_STREQ(outcome(reply), "ok");
        sd_bus_message_unref(reply);
        CHECK_INTEQ(fake.started, 1);
        CHECK_INTEQ(get_state(path), DOMAIN_RUNNING);
        by_id = read_path(reply = call(ROOT, "org.libvirt.Connect", "DomainLookupByID", "i", 1));
        sd_bus_message_unref(reply);
        CHECK_STREQ(by_id, path);
        CHECK_INTEQ(list_domains(LIST_DOMAINS_ACTIVE), 1);

        /* the live state: the core's attributes and the driver's element */
        CHECK(file_exists(t.m->rundir, "life", ".xml"));
        CHECK(asprintf(&status, "%s/life.xml", t.m->rundir) >= 0);
        {
                _cleanup_free_ char *text = NULL;
                CHECK(read_full_file(status, 0, &text, NULL) >= 0);
                CHECK(text && strstr(text, "state='running'") && strstr(text, "<fake value='v-life'/>"));
        }

        reply = call(path, "org.libvirt.Domain", "Suspend", NULL);
        CHECK_STREQ(outcome(reply), "ok");
        sd_bus_message_unref(reply);
        CHECK_INTEQ(get_state(path), DOMAIN_PAUSED);
        reply = call(path, "org.libvirt.Domain", "Resume", NULL);
        CHECK_STREQ(outcome(reply), "ok");
        sd_bus_message_unref(reply);
        CHECK_INTEQ(get_state(path), DOMAIN_RUNNING);

        /* the fake driver has no shutdown: refused, and the job is free */
        reply = call(path, "org.libvirt.Domain", "Shutdown", "u", 0);
        CHECK_STREQ(outcome(reply), VB_ERROR_NOT_SUPPORTED);
        CHECK(reply && strstr(sd_bus_message_get_error(reply)->message, "FAKE"));
        sd_bus_message_unref(reply);
        CHECK(t.m->domains[0]->jobs->active == NULL);

        reply = call(path, "org.libvirt.Domain", "Destroy", "u", 0);
        CHECK_STREQ(outcome(reply), "ok");
        sd_bus_message_unref(reply);
        CHECK_INTEQ(get_state(path), DOMAIN_SHUTOFF);
        CHECK(!file_exists(t.m->rundir, "life", ".xml"));

        /* DomainCreateXML: a transient domain through the driver's start */
        {
                _cleanup_free_ char *tpath = NULL;
                reply = call(ROOT, "org.libvirt.Connect", "DomainCreateXML", "su",
                             "<domain type='qemu'><name>trans</name><uuid>" UUID2 "</uuid>"
                             "<memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>", 0);
                tpath = read_path(reply);
                sd_bus_message_unref(reply);
                CHECK(tpath != NULL);
                CHECK_INTEQ(list_domains(LIST_DOMAINS_TRANSIENT), 1);
                reply = call(tpath, "org.libvirt.Domain", "Destroy", "u", 0);
                CHECK_STREQ(outcome(reply), "ok");
                sd_bus_message_unref(reply);
                CHECK_INTEQ(list_domains(0), 1); /* the transient one went with its stop */
        }
        CHECK_INTEQ(fake.privs, 1);
        stop_daemon();
        CHECK_INTEQ(fake.privs, 0);
        cleanup();
}

/* Writes a live state as a daemon that died would have left it. */
static void write_status(const char *name, const char *uuid, const char *attrs, const char *extra) {
        _cleanup_free_ char *path = NULL, *doc = NULL;

        CHECK(asprintf(&path, "%s/%s.xml", t.m->rundir, name) >= 0);
        CHECK(asprintf(&doc,
                       "<domstatus state='running' reason='1' %s starttime='0' id='7' persistent='no'>\n%s"
                       "<domain type='qemu'><name>%s</name><uuid>%s</uuid><memory unit='MiB'>64</memory>"
                       "<os><type arch='x86_64'>hvm</type></os></domain></domstatus>\n",
                       attrs, extra, name, uuid) >= 0);
        CHECK(write_file_atomic(path, doc, strlen(doc), 0600) >= 0);
}

static void test_reload(void) {
        _cleanup_free_ char *a = NULL, *b = NULL;
        sd_bus_message *reply;

        setup();
        CHECK(start_daemon() >= 0);
        a = define("auto", UUID1);
        b = define("runs", UUID2);
        CHECK(a && b);
        reply = call(a, "org.freedesktop.DBus.Properties", "Set", "ssv", "org.libvirt.Domain", "Autostart", "b", 1);
        CHECK_STREQ(outcome(reply), "ok");
        sd_bus_message_unref(reply);
        reply = call(b, "org.libvirt.Domain", "Create", "u", 0);
        CHECK_STREQ(outcome(reply), "ok");
        sd_bus_message_unref(reply);
        /* three transient guests left behind: alive, gone, and a start cut short */
        write_status("alive", "11111111-2222-3333-4444-555555555555", "pid='1'", "<fake value='alive'/>");
        write_status("gone", "21111111-2222-3333-4444-555555555555", "pid='0'", "<fake value='gone'/>");
        write_status("half", "31111111-2222-3333-4444-555555555555", "pid='0' phase='starting'",
                     "<fake value='half'/>");
        /* and one without the driver's element: ignored */
        write_status("nofake", "41111111-2222-3333-4444-555555555555", "pid='1'", "");
        /* a definition the driver refuses, saved by someone else: ignored */
        {
                _cleanup_free_ char *file = NULL;
                const char *xml = "<domain type='qemu'><name>refused</name>"
                                  "<uuid>51111111-2222-3333-4444-555555555555</uuid><memory unit='MiB'>64</memory>"
                                  "<os><type arch='x86_64'>hvm</type></os></domain>\n";
                CHECK(asprintf(&file, "%s/refused.xml", t.m->confdir) >= 0);
                CHECK(write_file_atomic(file, xml, strlen(xml), 0600) >= 0);
        }
        /* the daemon goes away without stopping anything */
        stop_daemon();
        memset(&fake, 0, sizeof(fake));

        CHECK(start_daemon() >= 0);
        /* the definitions the driver takes, the autostart one started
         * through the driver */
        CHECK_INTEQ(fake.validated, 3);
        CHECK(manager_find_by_name(t.m, "refused") == NULL);
        CHECK_INTEQ(fake.post_parsed, 2);
        CHECK_INTEQ(fake.started, 1);
        CHECK_INTEQ(get_state(a), DOMAIN_RUNNING);
        /* the running ones adopted (runs: our pid; alive: init), the gone one
         * lost, the half-started one rolled back */
        CHECK_INTEQ(fake.adopted, 2);
        CHECK_INTEQ(get_state(b), DOMAIN_RUNNING);
        CHECK_INTEQ(fake.lost, 1);
        CHECK_INTEQ(fake.rolled_back, 1);
        CHECK(manager_find_by_name(t.m, "alive") != NULL);
        CHECK(manager_find_by_name(t.m, "gone") == NULL);
        CHECK(manager_find_by_name(t.m, "half") == NULL);
        CHECK(manager_find_by_name(t.m, "nofake") == NULL);
        CHECK_INTEQ(manager_find_by_name(t.m, "alive")->id, 7);
        CHECK_INTEQ(list_domains(LIST_DOMAINS_ACTIVE), 3);
        CHECK_INTEQ(fake.privs, 3);
        stop_daemon();
        cleanup();
}

UNIT_TESTS(test_state_names, test_define_lookup_list_undefine, test_lifecycle_through_driver, test_reload)
