/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What must never reach dnsmasq, nft or a file name: the network XML refuses
 * it (at define, create and Update) with InvalidArg naming the value, and the
 * builders refuse it again if a definition got past the validation. Also:
 * DNS host names' lengths, an emptied <dns>, and networks of ten thousand
 * hosts handled without quadratic work. */
#include <dirent.h>
#include <time.h>

#include "dnsmasq-conf.h"
#include "error.h"
#include "network-conf.h"
#include "nft-ruleset.h"
#include "unit.h"
#include "util.h"

static int parse(const char *xml, NetworkDef **ret, ConfError *err) {
        return network_def_parse(xml, strlen(xml), ret, err);
}

#define NET(name, inner) "<network><name>" name "</name>" inner "</network>"
#define IP(dhcp) "<ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.100' end='10.0.0.199'/>" dhcp "</dhcp></ip>"

static const struct {
        const char *xml, *needle;
} refused[] = {
        /* the bootp file of the report: a newline adds a dnsmasq option */
        { NET("a", IP("<bootp file='pxe.0&#10;dhcp-script=/tmp/evil'/>")), "pxe.0\ndhcp-script=/tmp/evil" },
        { NET("a", IP("<bootp file='pxe.0,x'/>")), "pxe.0,x" },
        { NET("a", IP("<bootp file='a &quot;b'/>")), "a \"b" },
        { NET("a", IP("<bootp file='tag:foo'/>")), "tag:foo" },
        { NET("a", IP("<bootp file='pxe.0' server='boot..x'/>")), "boot..x" },
        { NET("a", "<ip address='10.0.0.1' prefix='24'><tftp root='/srv/a,b'/></ip>"), "/srv/a,b" },
        { NET("a", "<ip address='10.0.0.1' prefix='24'><tftp root='/srv/a&#10;enable-ra'/></ip>"), "/srv/a" },
        /* names of the network: they become file names in dnsmasq's lines */
        { NET("a&quot;b", ""), "a\"b" },
        { NET("a\\b", ""), "a\\b" },
        { NET("a #b", ""), "a #b" },
        { NET("a'b", ""), "a'b" },
        { NET("a&#9;b", ""), "network name" },
        { NET("..", ""), "'..'" },
        /* DNS names everywhere */
        { NET("a", "<domain name='exa mple'/>"), "exa mple" },
        { NET("a", "<domain name='a..b'/>"), "a..b" },
        { NET("a", "<dns><forwarder domain='x&#10;y' addr='192.0.2.1'/></dns>"), "x\ny" },
        { NET("a", "<dns><txt name='t,x' value='v'/></dns>"), "t,x" },
        { NET("a", "<dns><txt name='t' value='v&quot;x'/></dns>"), "v\"x" },
        { NET("a", "<dns><txt name='t' value='v\\x'/></dns>"), "v\\x" },
        { NET("a", "<dns><txt name='t' value='v&#10;x'/></dns>"), "TXT value" },
        { NET("a", "<dns><host ip='10.0.0.5'><hostname>a b</hostname></host></dns>"), "a b" },
        { NET("a", "<dns><host ip='10.0.0.5'><hostname>a.-.</hostname></host></dns>"), "a.-." },
        { NET("a", IP("<host mac='52:54:00:00:00:01' name='x,y' ip='10.0.0.5'/>")), "x,y" },
        { NET("a", IP("<host mac='52:54:00:00:00:01' name='infinite' ip='10.0.0.5'/>")), "infinite" },
        { NET("a", IP("<host mac='52:54:00:00:00:01' name='3600' ip='10.0.0.5'/>")), "3600" },
        { NET("a", IP("<host mac='52:54:00:00:00:01' name='2h' ip='10.0.0.5'/>")), "2h" },
        { NET("a", IP("<host mac='52:54:00:00:00:01' name='10.0.0.9' ip='10.0.0.5'/>")), "10.0.0.9" },
        /* dnsmasq refuses these ("bad DHCP host name"): the host got no lease */
        { NET("a", IP("<host mac='52:54:00:00:00:01' name='-foo' ip='10.0.0.5'/>")), "-foo" },
        { NET("a", IP("<host mac='52:54:00:00:00:01' name='a._b' ip='10.0.0.5'/>")), "a._b" },
        /* a value cut in the message inside a character: still a clean reply */
        { NET("a#\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
              "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
              "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
              "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
              "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
              "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", ""), "network name" },
        /* interface names go between quotes in nft and into interface= */
        { NET("a", "<bridge name='br\\x'/>"), "br\\x" },
        { NET("a", "<bridge name='br:0'/>"), "br:0" },
        { NET("a", "<forward mode='nat' dev='eth/0'/>"), "eth/0" },
};

static void test_refused(void) {
        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                _cleanup_(network_def_freep) NetworkDef *def = NULL;
                ConfError err = {};
                int r = parse(refused[i].xml, &def, &err);

                if (r >= 0 || !streq_ptr(err.name, VB_ERROR_INVALID_ARG) || !strstr(err.message, refused[i].needle))
                        fprintf(stderr, "  case %zu: r=%d %s: %s\n", i, r, err.name ?: "(none)", err.message);
                CHECK(r < 0 && def == NULL);
                CHECK_STREQ(err.name, VB_ERROR_INVALID_ARG);
                CHECK(strstr(err.message, refused[i].needle));
        }
}

static void test_still_accepted(void) {
        static const char *const good[] = {
                NET("my net-1.x_y", ""),
                NET("a", IP("<bootp file='pxelinux.0' server='boot.example.test'/>")),
                NET("a", IP("<bootp file='http://boot.example.test/boot.ipxe?x=1&amp;y=2' server='192.0.2.1'/>")),
                NET("a", "<ip address='10.0.0.1' prefix='24'><tftp root='/srv/tftp-1/x_y'/></ip>"),
                NET("a", IP("<host mac='52:54:00:00:00:01' name='web_1.example' ip='10.0.0.5'/>")),
                NET("a", IP("<host mac='52:54:00:00:00:01' name='3com' ip='10.0.0.5'/>")),
                NET("a", "<dns><txt name='t' value='with spaces, commas and #'/></dns>"),
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                _cleanup_(network_def_freep) NetworkDef *def = NULL;
                ConfError err = {};
                int r = parse(good[i], &def, &err);

                if (r < 0)
                        fprintf(stderr, "  case %zu: %s: %s\n", i, err.name, err.message);
                CHECK(r == 0);
        }
}

static char *repeat(char c, size_t n) {
        char *s = malloc(n + 1);

        if (s) {
                memset(s, c, n);
                s[n] = 0;
        }
        return s;
}

static void test_dns_name_lengths(void) {
        _cleanup_free_ char *long_name = repeat('a', 10000), *label64 = repeat('b', 64), *xml = NULL;
        _cleanup_free_ char *name253 = NULL, *name254 = NULL, *before = NULL, *after = NULL;
        _cleanup_(network_def_freep) NetworkDef *def = NULL, *d2 = NULL;
        ConfError err = {};

        CHECK(long_name && label64);
        if (!long_name || !label64)
                return;
        /* 253 in all: 63 + 1 + 63 + 1 + 63 + 1 + 61 */
        CHECK(asprintf(&name253, "%.63s.%.63s.%.63s.%.61s", long_name, long_name, long_name, long_name) > 0);
        CHECK(asprintf(&name254, "%s%s", name253, "c") > 0);
        CHECK(network_dns_name_is_valid(name253, false));
        CHECK(!network_dns_name_is_valid(name254, false));
        CHECK(!network_dns_name_is_valid(label64, false));
        CHECK(!network_dns_name_is_valid(long_name, false));
        CHECK(network_dns_name_is_valid("a-b.c1", false) && !network_dns_name_is_valid("a_b", false));
        CHECK(network_dns_name_is_valid("a_b", true));

        CHECK(parse(NET("u", "<ip address='10.0.0.1' prefix='24'/>"), &def, &err) == 0);
        if (!def)
                return;
        CHECK(network_def_format(def, 0, &before) == 0);
        /* Update with a 10,000-character name: refused, naming the element */
        CHECK(asprintf(&xml, "<host ip='10.0.0.9'><hostname>%s</hostname></host>", long_name) > 0);
        CHECK(network_def_update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_DNS_HOST, -1, xml, &err) ==
              -EINVAL);
        CHECK_STREQ(err.name, VB_ERROR_INVALID_ARG);
        CHECK(strstr(err.message, "host/hostname"));
        free(xml);
        xml = NULL;
        CHECK(asprintf(&xml, "<host mac='52:54:00:00:00:01' name='%s' ip='10.0.0.9'/>", label64) > 0);
        CHECK(network_def_update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_IP_DHCP_HOST, -1, xml, &err) ==
              -EINVAL);
        CHECK(strstr(err.message, label64));

        /* add then delete a DNS host: the definition is as before, no <dns/> */
        CHECK(network_def_update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_DNS_HOST, -1,
                                 "<host ip='10.0.0.9'><hostname>db</hostname></host>", &err) == 0);
        CHECK(network_def_update(def, NETWORK_UPDATE_COMMAND_DELETE, NETWORK_SECTION_DNS_HOST, -1,
                                 "<host ip='10.0.0.9'><hostname>db</hostname></host>", &err) == 0);
        CHECK(network_def_format(def, 0, &after) == 0);
        CHECK_STREQ(before, after);
        CHECK(after && !strstr(after, "<dns"));
        /* a <dns> with something else in it stays */
        CHECK(parse(NET("v", "<dns forwardPlainNames='no'/><ip address='10.0.0.1' prefix='24'/>"), &d2, &err) == 0);
        CHECK(d2 && network_def_update(d2, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_DNS_HOST, -1,
                                       "<host ip='10.0.0.9'><hostname>db</hostname></host>", &err) == 0);
        CHECK(d2 && network_def_update(d2, NETWORK_UPDATE_COMMAND_DELETE, NETWORK_SECTION_DNS_HOST, -1,
                                       "<host ip='10.0.0.9'><hostname>db</hostname></host>", &err) == 0);
        CHECK(d2 && d2->dns.present);
}

static int build_all(const NetworkDef *def) {
        DnsmasqPaths p = { "/run/x.pid", "/var/x.leases", "/run/x.hostsfile", "/run/x.addnhosts" };
        _cleanup_free_ char *conf = NULL, *h = NULL, *a = NULL;
        int r;

        if ((r = dnsmasq_build_config(def, &p, &conf)) < 0 || (r = dnsmasq_build_hostsfile(def, &h)) < 0)
                return r;
        return dnsmasq_build_addnhosts(def, &a);
}

/* Definitions that got past the validation (set in the structure here):
 * the builders refuse them rather than write them. */
static void test_builders_refuse(void) {
        _cleanup_(network_def_freep) NetworkDef *def = NULL;
        _cleanup_free_ char *huge = repeat('a', 2000);
        const NetworkDef *one[1];
        ConfError err = {};
        char **slot;

        CHECK(parse(NET("b", "<bridge name='vbr0'/><dns><txt name='t' value='v'/><host ip='10.0.0.5'>"
                             "<hostname>h</hostname></host></dns>" IP("<host mac='52:54:00:00:00:01' name='n' "
                                                                      "ip='10.0.0.5'/><bootp file='pxe.0'/>")),
                    &def, &err) == 0);
        if (!def || !huge)
                return;
        CHECK(build_all(def) == 0);
        /* quoted, '#' is no comment: accepted */
        {
                char *saved = def->dns.txts[0].value;
                def->dns.txts[0].value = (char *) "a #b, c";
                CHECK(build_all(def) == 0);
                def->dns.txts[0].value = saved;
        }

#define TRY(field, value)                                    \
        do {                                                 \
                char *saved = (field);                       \
                (field) = (char *) (value);                  \
                CHECK(build_all(def) == -EINVAL);            \
                (field) = saved;                             \
        } while (0)
        TRY(def->ips[0].bootp_file, "pxe.0\ndhcp-script=/tmp/evil");
        TRY(def->ips[0].bootp_file, "pxe.0 #x");
        TRY(def->ips[0].bootp_file, "a,b");
        TRY(def->ips[0].bootp_file, huge); /* dnsmasq would read the rest as a line of its own */
        TRY(def->ips[0].bootp_server, "x\"y");
        TRY(def->ips[0].tftp_root, "/srv\\x");
        TRY(def->domain, "x\ry");
        TRY(def->name, "n\nenable-tftp");
        TRY(def->bridge, "br\x01");
        TRY(def->dns.txts[0].value, "a\"b");
        TRY(def->dns.txts[0].name, "a\tb");
        TRY(def->ips[0].hosts[0].name, "a,b");
        TRY(def->ips[0].hosts[0].name, "a\nb");
        slot = def->dns.hosts[0].hostnames;
        TRY(slot[0], "a b");
        TRY(slot[0], "a#b");
        CHECK(build_all(def) == 0);

        one[0] = def;
        {
                _cleanup_free_ char *nft = NULL;
                char *saved = def->bridge;
                CHECK(nft_build_ruleset(one, 1, &nft) == 0);
                free(nft);
                nft = NULL;
                def->bridge = (char *) "br\" accept";
                CHECK(nft_build_ruleset(one, 1, &nft) == -EINVAL);
                def->bridge = saved;
        }
}

static double now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* 10,000 DHCP hosts and 10,000 DNS hosts: parsed, validated, updated and
 * written for dnsmasq. The bound is only a guard against quadratic work
 * (which took tens of seconds for such a network); the time is printed. */
static void test_ten_thousand_hosts(void) {
        _cleanup_(network_def_freep) NetworkDef *def = NULL;
        _cleanup_free_ char *xml = NULL;
        char *buf = NULL;
        size_t size = 0;
        ConfError err = {};
        FILE *f = open_memstream(&buf, &size);
        double t0, t1, t2;
        int r;

        CHECK(f);
        if (!f)
                return;
        fputs("<network><name>big</name><bridge name='vbr9'/><dns>", f);
        for (unsigned i = 0; i < 10000; i++)
                fprintf(f, "<host ip='10.%u.%u.%u'><hostname>d%u</hostname></host>", 1 + i / 65536, (i / 256) % 256,
                        i % 256 + 0, i);
        /* no range: an element has at most 10,000 children */
        fputs("</dns><ip address='10.0.0.1' prefix='8'><dhcp>", f);
        for (unsigned i = 0; i < 10000; i++)
                fprintf(f, "<host mac='52:54:00:%02x:%02x:%02x' name='h%u' ip='10.100.%u.%u'/>", (i >> 16) & 0xff,
                        (i >> 8) & 0xff, i & 0xff, i, i / 250, i % 250 + 1);
        fputs("</dhcp></ip></network>", f);
        fclose(f);
        xml = buf;

        t0 = now();
        r = parse(xml, &def, &err);
        if (r < 0)
                fprintf(stderr, "  %s: %s\n", err.name, err.message);
        CHECK(r == 0);
        if (!def)
                return;
        CHECK_INTEQ(def->ips[0].n_hosts, 10000);
        CHECK_INTEQ(def->dns.n_hosts, 10000);
        CHECK(build_all(def) == 0);
        t1 = now();
        /* updates, each checking the whole network again: at the parser's
         * bound of 10,000 children, a host goes and comes back */
        for (unsigned i = 0; i < 5; i++) {
                char host[128], dns[128];
                snprintf(host, sizeof(host), "<host mac='52:54:00:00:00:%02x' name='h%u' ip='10.100.0.%u'/>", i, i,
                         i + 1);
                snprintf(dns, sizeof(dns), "<host ip='10.1.0.%u'><hostname>d%u</hostname></host>", i, i);
                CHECK(network_def_update(def, NETWORK_UPDATE_COMMAND_DELETE, NETWORK_SECTION_IP_DHCP_HOST, -1, host,
                                         &err) == 0);
                CHECK(network_def_update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_IP_DHCP_HOST, -1, host,
                                         &err) == 0);
                CHECK(network_def_update(def, NETWORK_UPDATE_COMMAND_DELETE, NETWORK_SECTION_DNS_HOST, -1, dns,
                                         &err) == 0);
                CHECK(network_def_update(def, NETWORK_UPDATE_COMMAND_ADD_FIRST, NETWORK_SECTION_DNS_HOST, -1, dns,
                                         &err) == 0);
        }
        CHECK(network_def_update(def, NETWORK_UPDATE_COMMAND_MODIFY, NETWORK_SECTION_IP_DHCP_HOST, -1,
                                 "<host mac='52:54:00:00:00:07' name='renamed' ip='10.100.0.8'/>", &err) == 0);
        /* a duplicate among them all is still found */
        CHECK(network_def_update(def, NETWORK_UPDATE_COMMAND_MODIFY, NETWORK_SECTION_IP_DHCP_HOST, -1,
                                 "<host mac='52:54:00:00:00:07' name='x' ip='10.100.39.250'/>", &err) < 0);
        CHECK(strstr(err.message, "10.100.39.250"));
        /* no more than the parser reads back: the stored file is read at
         * every start of the daemon */
        CHECK(network_def_update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_IP_DHCP_HOST, -1,
                                 "<host mac='52:54:00:fe:00:02' name='y' ip='10.150.1.2'/>", &err) == -EINVAL);
        CHECK(strstr(err.message, "at most 10000"));
        CHECK_INTEQ(def->ips[0].n_hosts, 10000);
        CHECK_INTEQ(def->dns.n_hosts, 10000);
        CHECK(build_all(def) == 0);
        t2 = now();
        fprintf(stderr, "  10,000 hosts: parse+validate+build %.3f s, 21 updates+build %.3f s\n", t1 - t0, t2 - t1);
        /* (not under valgrind, which runs everything some fifty times slower) */
        if (!getenv("LD_PRELOAD") || !strstr(getenv("LD_PRELOAD"), "vgpreload"))
                CHECK(t2 - t0 < 5.0);
}

static void test_duplicates_found(void) {
        static const struct {
                const char *hosts, *needle;
        } dup[] = {
                { "<host mac='52:54:00:00:00:01' ip='10.0.0.5'/><host mac='52:54:00:00:00:01' ip='10.0.0.6'/>",
                  "MAC 52:54:00:00:00:01" },
                { "<host mac='52:54:00:00:00:01' ip='10.0.0.5'/><host mac='52:54:00:00:00:02' ip='10.0.0.5'/>",
                  "address 10.0.0.5" },
                { "<host name='p' ip='10.0.0.5'/><host name='p' ip='10.0.0.6'/>", "name 'p'" },
        };

        for (size_t i = 0; i < ELEMENTSOF(dup); i++) {
                _cleanup_(network_def_freep) NetworkDef *def = NULL;
                _cleanup_free_ char *xml = NULL;
                ConfError err = {};

                CHECK(asprintf(&xml, NET("d", "<ip address='10.0.0.1' prefix='24'><dhcp>%s</dhcp></ip>"),
                               dup[i].hosts) > 0);
                CHECK(parse(xml, &def, &err) == -EINVAL);
                CHECK(strstr(err.message, dup[i].needle));
        }
        /* the same name with distinct MACs is fine (libvirt's rule) */
        {
                _cleanup_(network_def_freep) NetworkDef *def = NULL;
                ConfError err = {};
                CHECK(parse(NET("d", "<ip address='10.0.0.1' prefix='24'><dhcp><host name='p' ip='10.0.0.5'/>"
                                     "<host mac='52:54:00:00:00:02' name='p' ip='10.0.0.6'/></dhcp></ip>"),
                            &def, &err) == 0);
        }
}

/* The copy, made field by field, formats as the original does: for every
 * test network, and with live attributes. */
static void test_copy_is_whole(void) {
        const char *dir = access("tests/data/network", F_OK) == 0 ? "tests/data/network" : "../../tests/data/network";
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;
        int files = 0;

        CHECK(d);
        while (d && (de = readdir(d))) {
                _cleanup_free_ char *path = NULL, *xml = NULL, *a = NULL, *b = NULL;
                _cleanup_(network_def_freep) NetworkDef *def = NULL, *copy = NULL;
                ConfError err = {};

                if (!endswith(de->d_name, ".xml"))
                        continue;
                CHECK(asprintf(&path, "%s/%s", dir, de->d_name) > 0 && read_full_file(path, 0, &xml, NULL) == 0);
                CHECK(xml && parse(xml, &def, &err) == 0);
                if (!def)
                        continue;
                def->connections = 2;
                CHECK(network_def_copy(def, &copy) == 0);
                CHECK(copy && network_def_format(def, 0, &a) == 0 && network_def_format(copy, 0, &b) == 0);
                CHECK_STREQ(a, b);
                files++;
        }
        CHECK(files >= 6);
}

UNIT_TESTS(test_copy_is_whole, test_refused, test_still_accepted, test_dns_name_lengths, test_builders_refuse, test_ten_thousand_hosts,
           test_duplicates_found)
