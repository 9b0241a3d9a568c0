/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtbus-proxyd's XDR layer, frame bounds, error payload and domain handle
 * against hand-written bytes of libvirt's wire format, and the procedure
 * table's own rules. */

#include <fcntl.h>
#include <unistd.h>

#include "call.h"
#include "dispatch.h"
#include "domain-events.h"
#include "procedures.h"
#include "rpc.h"
#include "unit.h"
#include "xdr.h"

static const uint8_t *bytes(const XdrWriter *w) {
        return w->data;
}

static void test_put_words_big_endian(void) {
        static const uint8_t want[] = { 0x12, 0x34, 0x56, 0x78, 0xff, 0xff, 0xff, 0xfe,
                                        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02 };
        XdrWriter w;

        xdr_writer_init(&w, 0);
        xdr_put_u32(&w, 0x12345678);
        xdr_put_i32(&w, -2);
        xdr_put_u64(&w, 0x0000000100000002ULL);
        CHECK_INTEQ(xdr_writer_error(&w), 0);
        CHECK_INTEQ(w.len, sizeof(want));
        CHECK(memcmp(bytes(&w), want, sizeof(want)) == 0);
        xdr_writer_done(&w);
}

static void test_string_padding_and_round_trip(void) {
        const char *cases[] = { "", "a", "ab", "abc", "abcd", "qemu:///system" };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                size_t n = strlen(cases[i]);
                XdrWriter w;
                XdrReader r;
                char *s = NULL;

                xdr_writer_init(&w, 0);
                xdr_put_string(&w, cases[i]);
                CHECK_INTEQ(w.len, 4 + ((n + 3) & ~3u));
                for (size_t j = 4 + n; j < w.len; j++)
                        CHECK(w.data[j] == 0);
                r = xdr_reader(w.data, w.len);
                CHECK_INTEQ(xdr_get_string(&r, XDR_STRING_MAX, &s), 0);
                CHECK_STREQ(s, cases[i]);
                CHECK_INTEQ(xdr_left(&r), 0);
                free(s);
                xdr_writer_done(&w);
        }
}

static void test_optional_string(void) {
        XdrWriter w;
        XdrReader r;
        char *a = (char *) "x", *b = NULL;

        xdr_writer_init(&w, 0);
        xdr_put_optional_string(&w, NULL);
        xdr_put_optional_string(&w, "hi");
        CHECK_INTEQ(w.len, 4 + 4 + 4 + 4);
        r = xdr_reader(w.data, w.len);
        CHECK_INTEQ(xdr_get_optional_string(&r, 100, &a), 0);
        CHECK(a == NULL);
        CHECK_INTEQ(xdr_get_optional_string(&r, 100, &b), 0);
        CHECK_STREQ(b, "hi");
        free(b);
        xdr_writer_done(&w);
}

/* Every read past the end, over a limit or of a malformed value is refused. */
static void test_reader_refuses_bad_input(void) {
        static const uint8_t short_word[] = { 0, 0, 1 };
        static const uint8_t long_string[] = { 0, 0, 0, 9, 'a', 'b', 'c', 'd' };
        static const uint8_t over_limit[] = { 0, 0, 0, 5, 'a', 'b', 'c', 'd', 'e', 0, 0, 0 };
        static const uint8_t nul_inside[] = { 0, 0, 0, 3, 'a', 0, 'b', 0 };
        static const uint8_t bad_pad[] = { 0, 0, 0, 1, 'a', 0, 1, 0 };
        static const uint8_t huge_len[] = { 0xff, 0xff, 0xff, 0xf0, 'a', 'b', 'c', 'd' };
        static const uint8_t bool_two[] = { 0, 0, 0, 2 };
        static const uint8_t short_uuid[12] = {};
        uint32_t u;
        uint64_t q;
        bool b;
        char *s = NULL;
        uint8_t uuid[16];
        XdrReader r;

        r = xdr_reader(short_word, sizeof(short_word));
        CHECK_INTEQ(xdr_get_u32(&r, &u), -EBADMSG);
        r = xdr_reader(long_string, 4);
        CHECK_INTEQ(xdr_get_u64(&r, &q), -EBADMSG);
        r = xdr_reader(long_string, sizeof(long_string));
        CHECK_INTEQ(xdr_get_string(&r, 100, &s), -EBADMSG);
        r = xdr_reader(over_limit, sizeof(over_limit));
        CHECK_INTEQ(xdr_get_string(&r, 4, &s), -EBADMSG);
        r = xdr_reader(over_limit, sizeof(over_limit));
        CHECK_INTEQ(xdr_get_string(&r, 5, &s), 0);
        CHECK_STREQ(s, "abcde");
        free(s);
        s = NULL;
        r = xdr_reader(nul_inside, sizeof(nul_inside));
        CHECK_INTEQ(xdr_get_string(&r, 100, &s), -EBADMSG);
        r = xdr_reader(bad_pad, sizeof(bad_pad));
        CHECK_INTEQ(xdr_get_string(&r, 100, &s), -EBADMSG);
        r = xdr_reader(huge_len, sizeof(huge_len));
        CHECK_INTEQ(xdr_get_string(&r, UINT32_MAX, &s), -EBADMSG);
        r = xdr_reader(bool_two, sizeof(bool_two));
        CHECK_INTEQ(xdr_get_bool(&r, &b), -EBADMSG);
        r = xdr_reader(bool_two, sizeof(bool_two));
        CHECK_INTEQ(xdr_get_optional_string(&r, 100, &s), -EBADMSG);
        r = xdr_reader(short_uuid, sizeof(short_uuid));
        CHECK_INTEQ(xdr_get_fixed(&r, uuid, 16), -EBADMSG);
        CHECK(s == NULL);
}

static void test_opaque_points_into_payload(void) {
        static const uint8_t in[] = { 0, 0, 0, 2, 0xaa, 0xbb, 0, 0, 0, 0, 0, 7 };
        XdrReader r = xdr_reader(in, sizeof(in));
        const uint8_t *p;
        uint32_t n, tail;

        CHECK_INTEQ(xdr_get_opaque(&r, 2, &p, &n), 0);
        CHECK_INTEQ(n, 2);
        CHECK(p == in + 4);
        CHECK_INTEQ(xdr_get_u32(&r, &tail), 0);
        CHECK_INTEQ(tail, 7);
}

static void test_writer_limit(void) {
        XdrWriter w;

        xdr_writer_init(&w, 8);
        xdr_put_u32(&w, 1);
        xdr_put_u32(&w, 2);
        CHECK_INTEQ(xdr_writer_error(&w), 0);
        xdr_put_u32(&w, 3);
        CHECK_INTEQ(xdr_writer_error(&w), -E2BIG);
        CHECK_INTEQ(w.len, 8);
        /* the first error stays */
        xdr_put_string(&w, "x");
        CHECK_INTEQ(xdr_writer_error(&w), -E2BIG);
        xdr_writer_done(&w);
}

static void test_frame_length_bounds(void) {
        CHECK_INTEQ(rpc_frame_length_check(0), -EBADMSG);
        CHECK_INTEQ(rpc_frame_length_check(27), -EBADMSG);
        CHECK_INTEQ(rpc_frame_length_check(28), 0);
        CHECK_INTEQ(rpc_frame_length_check(16777220), 0);
        CHECK_INTEQ(rpc_frame_length_check(16777221), -EBADMSG);
        CHECK_INTEQ(rpc_frame_length_check(UINT32_MAX), -EBADMSG);
}

/* The AUTH_LIST exchange of reference/libvirt-rpc.md 1.2, byte for byte. */
static void test_auth_list_reply_frame(void) {
        static const uint8_t call[] = { 0x20, 0x00, 0x80, 0x86, 0, 0, 0, 1, 0, 0, 0, 0x42,
                                        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
        static const uint8_t want[] = { 0, 0, 0, 0x24, 0x20, 0x00, 0x80, 0x86, 0, 0, 0, 1, 0, 0, 0, 0x42,
                                        0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0 };
        XdrReader r = xdr_reader(call, sizeof(call));
        RpcHeader h, reply;
        XdrWriter w;

        CHECK_INTEQ(rpc_header_read(&r, &h), 0);
        CHECK_INTEQ(h.prog, RPC_PROG_REMOTE);
        CHECK_INTEQ(h.proc, 66);
        CHECK_INTEQ(h.type, RPC_CALL);
        reply = rpc_reply_header(&h, RPC_OK);
        xdr_writer_init(&w, 0);
        rpc_frame_begin(&w, &reply);
        xdr_put_u32(&w, 1);
        xdr_put_u32(&w, 0);
        CHECK_INTEQ(rpc_frame_end(&w), 0);
        CHECK_INTEQ(w.len, sizeof(want));
        CHECK(memcmp(w.data, want, sizeof(want)) == 0);
        xdr_writer_done(&w);

        r = xdr_reader(call, 20);
        CHECK_INTEQ(rpc_header_read(&r, &h), -EBADMSG);
}

/* OPEN_GRAPHICS_FD's reply, reference/libvirt-rpc.md 1.7: type 5, the fd
 * count as a 4-byte word right after the header and no ret; the call holds
 * a copy of the fd (sent after the frame), closed with the call. */
static void test_reply_with_fds_frame(void) {
        static const uint8_t want[] = { 0, 0, 0, 0x20, 0x20, 0x00, 0x80, 0x86, 0, 0, 0, 1, 0, 0, 0x01, 0x57,
                                        0, 0, 0, 5, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1 };
        RpcHeader h = { .prog = RPC_PROG_REMOTE, .vers = 1, .proc = 343, .type = RPC_CALL, .serial = 9 };
        Client client = { .ref = 1, .fd = -1 };
        const ProcDef *def = procedure_find(343);
        int p[2], copy;
        Call *c;

        CHECK(def && def->reply && !(def->flags & PROC_READ));
        CHECK_INTEQ(pipe2(p, O_CLOEXEC), 0);
        c = call_new(&client, &h, def);
        CHECK(c != NULL);
        CHECK_INTEQ(call_reply_fd(c, p[0]), 0);
        copy = c->fd_out;
        CHECK(copy >= 0 && copy != p[0]);
        CHECK_INTEQ(rpc_frame_end(&c->w), 0);
        CHECK_INTEQ(c->w.len, sizeof(want));
        CHECK(memcmp(c->w.data, want, sizeof(want)) == 0);
        call_free(c);
        CHECK(fcntl(copy, F_GETFD) < 0 && errno == EBADF);
        CHECK(fcntl(p[0], F_GETFD) >= 0);       /* the D-Bus reply's own stays */
        CHECK_INTEQ(client.ref, 1u);
        close(p[0]);
        close(p[1]);
}

/* remote_error: 44 bytes around the message, str1 = message, int1/2 = -1. */
static void test_error_payload(void) {
        XdrWriter w;
        XdrReader r;
        int32_t code, domain, level, i1, i2;
        uint32_t dom, s2, s3, net;
        char *msg = NULL, *str1 = NULL;

        xdr_writer_init(&w, 0);
        rpc_put_error(&w, 42, 10, "Domain not found");
        /* eleven words, and twice the message (length word and bytes) */
        CHECK_INTEQ(w.len, 11 * 4 + 2 * (4 + 16));
        r = xdr_reader(w.data, w.len);
        CHECK(xdr_get_i32(&r, &code) == 0 && code == 42);
        CHECK(xdr_get_i32(&r, &domain) == 0 && domain == 10);
        CHECK_INTEQ(xdr_get_optional_string(&r, 100, &msg), 0);
        CHECK_STREQ(msg, "Domain not found");
        CHECK(xdr_get_i32(&r, &level) == 0 && level == 2);
        CHECK(xdr_get_u32(&r, &dom) == 0 && dom == 0);
        CHECK_INTEQ(xdr_get_optional_string(&r, 100, &str1), 0);
        CHECK_STREQ(str1, "Domain not found");
        CHECK(xdr_get_u32(&r, &s2) == 0 && s2 == 0);
        CHECK(xdr_get_u32(&r, &s3) == 0 && s3 == 0);
        CHECK(xdr_get_i32(&r, &i1) == 0 && i1 == -1);
        CHECK(xdr_get_i32(&r, &i2) == 0 && i2 == -1);
        CHECK(xdr_get_u32(&r, &net) == 0 && net == 0);
        CHECK_INTEQ(xdr_left(&r), 0);
        free(msg);
        free(str1);
        xdr_writer_done(&w);
}

static void test_domain_handle_round_trip(void) {
        RemoteHandle d = { .name = (char *) "demo", .id = -1 }, back;
        XdrWriter w;
        XdrReader r;

        for (int i = 0; i < 16; i++)
                d.uuid[i] = 0xa0 + i;
        xdr_writer_init(&w, 0);
        remote_put_domain(&w, &d);
        /* name 4+4, uuid 16 raw, id 4 */
        CHECK_INTEQ(w.len, 28);
        CHECK(memcmp(w.data + 8, d.uuid, 16) == 0);
        r = xdr_reader(w.data, w.len);
        CHECK_INTEQ(remote_get_domain(&r, &back), 0);
        CHECK_STREQ(back.name, "demo");
        CHECK(memcmp(back.uuid, d.uuid, 16) == 0);
        CHECK_INTEQ(back.id, -1);
        remote_handle_done(&back);
        /* cut inside the uuid: nothing leaks, nothing is kept */
        r = xdr_reader(w.data, 20);
        CHECK_INTEQ(remote_get_domain(&r, &back), -EBADMSG);
        CHECK(back.name == NULL);
        xdr_writer_done(&w);
}

/* remote_nonnull_storage_pool is name and uuid; a volume is pool, name, key. */
static void test_pool_and_vol_handles(void) {
        RemoteHandle pool = { .name = (char *) "p1", .id = 7 }, vol = { .pool = (char *) "p1",
                                                                      .name = (char *) "v.img",
                                                                      .key = (char *) "/p/v.img" }, back;
        XdrWriter w;
        XdrReader r;

        memset(pool.uuid, 0x11, 16);
        xdr_writer_init(&w, 0);
        remote_put_handle(&w, HANDLE_POOL, &pool);
        CHECK_INTEQ(w.len, 8 + 16); /* no id */
        remote_put_handle(&w, HANDLE_VOL, &vol);
        CHECK_INTEQ(w.len, 24 + 8 + 12 + 12);
        r = xdr_reader(w.data, w.len);
        CHECK_INTEQ(remote_get_handle(&r, HANDLE_POOL, &back), 0);
        CHECK_STREQ(back.name, "p1");
        CHECK(memcmp(back.uuid, pool.uuid, 16) == 0);
        CHECK_INTEQ(back.id, -1);
        remote_handle_done(&back);
        CHECK_INTEQ(remote_get_handle(&r, HANDLE_VOL, &back), 0);
        CHECK_STREQ(back.pool, "p1");
        CHECK_STREQ(back.name, "v.img");
        CHECK_STREQ(back.key, "/p/v.img");
        remote_handle_done(&back);
        CHECK_INTEQ(xdr_left(&r), 0);
        /* a volume cut inside its key */
        r = xdr_reader(w.data + 24, 8 + 12 + 6);
        CHECK_INTEQ(remote_get_handle(&r, HANDLE_VOL, &back), -EBADMSG);
        CHECK(back.pool == NULL && back.name == NULL && back.key == NULL);
        xdr_writer_done(&w);
}

/* remote_nonnull_domain_snapshot: its name, then its domain (name, uuid, id). */
static void test_snapshot_handle(void) {
        RemoteHandle s = { .name = (char *) "s1", .pool = (char *) "vm1", .id = 3 }, back;
        XdrWriter w;
        XdrReader r;

        memset(s.uuid, 0x22, 16);
        xdr_writer_init(&w, 0);
        remote_put_handle(&w, HANDLE_SNAPSHOT, &s);
        CHECK_INTEQ(w.len, 8 + 8 + 16 + 4);
        r = xdr_reader(w.data, w.len);
        CHECK_INTEQ(remote_get_handle(&r, HANDLE_SNAPSHOT, &back), 0);
        CHECK_STREQ(back.name, "s1");
        CHECK_STREQ(back.pool, "vm1");
        CHECK(memcmp(back.uuid, s.uuid, 16) == 0);
        CHECK_INTEQ(back.id, 3);
        CHECK_INTEQ(xdr_left(&r), 0);
        remote_handle_done(&back);
        xdr_writer_done(&w);
}

/* Methods that only read, and may be allowed on a read-only connection. */
static bool method_reads(const char *method) {
        static const char *const reads[] = {
                "GetXMLDesc", "GetState", "GetStats", "GetCapabilities", "GetDomainCapabilities", "GetInfo",
                "GetDHCPLeases", "GetVcpus", "MemoryStats", "GetIOThreadInfo",
                "GetJobInfo", "GetJobStats", "HasManagedSaveImage",
                "GetMetadata", "GetControlInfo", "GetDiskErrors", "GetBlockJobInfo",
                "GetSysinfo", "GetCPUModelNames", "CompareCPU", "BaselineCPU", "NodeGetCPUStats",
                "NodeGetMemoryStats", "NodeGetFreeMemory", "NodeGetCPUMap", "NodeGetMemoryParameters",
                "GetStoragePoolCapabilities",
                "GetSchedulerParameters", "GetBlockIOTune", "GetVcpuPinInfo", "GetEmulatorPinInfo",
                "GetNumaParameters", "GetMemoryParameters", "GetBlockIOParameters", "GetPerfEvents", "GetVcpuInfo",
                "GetInterfaceParameters", "MigrateGetMaxDowntime", "MigrateGetCompressionCache",
                "SnapshotCurrent", "GetParent", "IsCurrent",
                "GetSecurityLabelList", "NodeGetSecurityModel", "GetMessages",
        };
        if (strncmp(method, "List", 4) == 0 || strstr(method, "Lookup"))
                return true;
        for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
                if (strcmp(method, reads[i]) == 0)
                        return true;
        return false;
}

/* Each table sorted for the search; each row either answered here or
 * forwarded with a reply function; argument letters known; a number in one
 * table only. */
static void check_rows(const ProcDef *t, size_t n) {
        for (size_t i = 0; i < n; i++) {
                CHECK(i == 0 || t[i - 1].proc < t[i].proc);
                CHECK(t[i].api && strncmp(t[i].api, "vir", 3) == 0);
                CHECK(procedure_find(t[i].proc) == &t[i]);
                if (t[i].local)
                        CHECK(!t[i].interface && !t[i].reply);
                else
                        CHECK(t[i].interface && t[i].method && t[i].reply);
                size_t values = 0;
                for (const char *a = t[i].args; *a; a++) {
                        CHECK(strchr("DPVNYXdkpxszuihUnoALSTMC", *a) != NULL);
                        values += !strchr("DPVNYXdkpx", *a);
                }
                CHECK(values <= CALL_VALUES_MAX);
                /* what changes a domain is never allowed read-only */
                if (t[i].interface && !t[i].property && !method_reads(t[i].method))
                        CHECK(!(t[i].flags & PROC_READ));
                if (t[i].property && strcmp(t[i].method, "Set") == 0)
                        CHECK(!(t[i].flags & PROC_READ));
        }
}

static void test_procedure_table(void) {
        const ProcTable *tables[32];
        size_t n = procedure_tables(tables, 32), rows = 0;

        CHECK(n >= 2 && n < 32);
        for (size_t i = 0; i < n; i++) {
                check_rows(tables[i]->rows, tables[i]->n);
                rows += tables[i]->n;
        }
        CHECK(rows > 30);
        CHECK(procedure_find(0) == NULL);
        CHECK(procedure_find(9999) == NULL);
        CHECK(driver_find("qemu:///system") != NULL);
        CHECK(driver_find("qemu:///session") == NULL);
}

/* The rows of one signal are together (the lookup walks them), each event
 * id and message number once, within libvirt 9.0's ids. */
static void test_domain_event_table(void) {
        size_t n, m;
        const DomainEventKind *t = domain_event_table(&n);

        CHECK(n > 15);
        for (size_t i = 0; i < n; i++) {
                const DomainEventKind *k = domain_event_kinds(t[i].member, &m);
                CHECK(k != NULL && k <= &t[i] && &t[i] < k + m);
                CHECK(t[i].event_id > 0 && t[i].event_id < 27);
                CHECK(t[i].msg_proc > 318 && t[i].encode);
                for (size_t j = 0; j < i; j++)
                        CHECK(t[j].event_id != t[i].event_id && t[j].msg_proc != t[i].msg_proc);
        }
        CHECK(domain_event_kinds("DomainEvent", &m) == NULL && m == 0);
        CHECK(domain_event_kinds("IOError", &m) != NULL && m == 2);
}

UNIT_TESTS(test_put_words_big_endian, test_string_padding_and_round_trip, test_optional_string,
           test_reader_refuses_bad_input, test_opaque_points_into_payload, test_writer_limit,
           test_frame_length_bounds, test_auth_list_reply_frame, test_reply_with_fds_frame, test_error_payload,
           test_domain_handle_round_trip, test_pool_and_vol_handles, test_snapshot_handle, test_procedure_table,
           test_domain_event_table)
