/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proxy/typed-params.c: libvirt's remote_typed_param lists against
 * hand-written wire bytes, their bounds, and the D-Bus a{sv} both ways. */

#include <sys/socket.h>
#include <unistd.h>

#include "typed-params.h"
#include "bus-test.h"
#include "unit.h"

/* "cpu_shares" UINT 1024, as libvirt's encoder writes it. */
static const uint8_t one_uint[] = {
        0, 0, 0, 1,                                     /* count */
        0, 0, 0, 10, 'c', 'p', 'u', '_', 's', 'h', 'a', 'r', 'e', 's', 0, 0,
        0, 0, 0, 2,                                     /* UINT */
        0, 0, 4, 0,
};

static void test_read_wire(void) {
        TypedParams tp = {};
        XdrReader r = xdr_reader(one_uint, sizeof(one_uint));

        CHECK_INTEQ(typed_params_read_xdr(&r, 16, &tp), 0);
        CHECK_INTEQ(tp.n, 1);
        CHECK_STREQ(tp.p[0].field, "cpu_shares");
        CHECK_INTEQ(tp.p[0].type, TYPED_PARAM_UINT);
        CHECK_INTEQ(tp.p[0].v.ui, 1024);
        CHECK_INTEQ(xdr_left(&r), 0);
        typed_params_done(&tp);
}

static void test_every_type_round_trip(void) {
        TypedParams tp = {}, back = {};
        XdrWriter w;
        XdrReader r;

        CHECK(typed_params_add_u64(&tp, "i", TYPED_PARAM_INT, (uint64_t) -5) == 0);
        CHECK(typed_params_add_u64(&tp, "ui", TYPED_PARAM_UINT, 4000000000u) == 0);
        CHECK(typed_params_add_u64(&tp, "l", TYPED_PARAM_LLONG, (uint64_t) -1234567890123LL) == 0);
        CHECK(typed_params_add_u64(&tp, "ul", TYPED_PARAM_ULLONG, 18446744073709551615ull) == 0);
        CHECK(typed_params_add_double(&tp, "d", 2.5) == 0);
        CHECK(typed_params_add_u64(&tp, "b", TYPED_PARAM_BOOLEAN, 1) == 0);
        CHECK(typed_params_add_string(&tp, "numa_nodeset", "0-1") == 0);
        xdr_writer_init(&w, 0);
        typed_params_write_xdr(&w, &tp, 16);
        CHECK_INTEQ(xdr_writer_error(&w), 0);
        /* the double: 2.5 is 0x4004000000000000, big-endian */
        {
                static const uint8_t d25[] = { 0, 0, 0, 1, 'd', 0, 0, 0, 0, 0, 0, 5, 0x40, 0x04, 0, 0, 0, 0, 0, 0 };
                bool found = false;
                for (size_t i = 0; i + sizeof(d25) <= w.len; i++)
                        found = found || memcmp(w.data + i, d25, sizeof(d25)) == 0;
                CHECK(found);
        }
        r = xdr_reader(w.data, w.len);
        CHECK_INTEQ(typed_params_read_xdr(&r, 16, &back), 0);
        CHECK_INTEQ(back.n, 7);
        CHECK_INTEQ(typed_params_find(&back, "i")->v.i, -5);
        CHECK(typed_params_find(&back, "ui")->v.ui == 4000000000u);
        CHECK(typed_params_find(&back, "l")->v.l == -1234567890123LL);
        CHECK(typed_params_find(&back, "ul")->v.ul == 18446744073709551615ull);
        CHECK(typed_params_find(&back, "d")->v.d == 2.5);
        CHECK(typed_params_find(&back, "b")->v.b);
        CHECK_STREQ(typed_params_find(&back, "numa_nodeset")->v.s, "0-1");
        CHECK(typed_params_find(&back, "nope") == NULL);
        xdr_writer_done(&w);
        typed_params_done(&tp);
        typed_params_done(&back);
}

/* Writes a list with the given count word, then n entries "f" INT 0. */
static void put_list(XdrWriter *w, uint32_t count, uint32_t n) {
        xdr_put_u32(w, count);
        for (uint32_t i = 0; i < n; i++) {
                xdr_put_string(w, "f");
                xdr_put_i32(w, TYPED_PARAM_INT);
                xdr_put_i32(w, 0);
        }
}

static int read_bytes(const XdrWriter *w, uint32_t max) {
        TypedParams tp = {};
        XdrReader r = xdr_reader(w->data, w->len);
        int e = typed_params_read_xdr(&r, max, &tp);

        CHECK(e < 0 ? tp.n == 0 && tp.p == NULL : 1);
        typed_params_done(&tp);
        return e;
}

static void test_wire_bounds(void) {
        XdrWriter w;
        char longname[TYPED_PARAM_FIELD_MAX + 2];

        /* exactly the limit is fine, one more is refused */
        xdr_writer_init(&w, 0);
        put_list(&w, 16, 16);
        CHECK_INTEQ(read_bytes(&w, REMOTE_DOMAIN_BLKIO_PARAMETERS_MAX), 0);
        xdr_writer_done(&w);
        xdr_writer_init(&w, 0);
        put_list(&w, 17, 17);
        CHECK_INTEQ(read_bytes(&w, REMOTE_DOMAIN_BLKIO_PARAMETERS_MAX), -EBADMSG);
        xdr_writer_done(&w);
        /* a count larger than the payload */
        xdr_writer_init(&w, 0);
        put_list(&w, 5, 1);
        CHECK_INTEQ(read_bytes(&w, 16), -EBADMSG);
        xdr_writer_done(&w);
        /* an unknown type number, and 0 */
        for (int32_t type = 0; type <= 8; type += 8) {
                xdr_writer_init(&w, 0);
                xdr_put_u32(&w, 1);
                xdr_put_string(&w, "f");
                xdr_put_i32(&w, type);
                xdr_put_i32(&w, 0);
                CHECK_INTEQ(read_bytes(&w, 16), -EBADMSG);
                xdr_writer_done(&w);
        }
        /* a boolean other than 0 or 1 */
        xdr_writer_init(&w, 0);
        xdr_put_u32(&w, 1);
        xdr_put_string(&w, "f");
        xdr_put_i32(&w, TYPED_PARAM_BOOLEAN);
        xdr_put_i32(&w, 2);
        CHECK_INTEQ(read_bytes(&w, 16), -EBADMSG);
        xdr_writer_done(&w);
        /* field names: 79 bytes fit, 80 do not, nor an empty one */
        memset(longname, 'a', sizeof(longname));
        for (size_t len = TYPED_PARAM_FIELD_MAX; len <= TYPED_PARAM_FIELD_MAX + 1; len++) {
                longname[len] = 0;
                xdr_writer_init(&w, 0);
                xdr_put_u32(&w, 1);
                xdr_put_string(&w, longname);
                xdr_put_i32(&w, TYPED_PARAM_INT);
                xdr_put_i32(&w, 0);
                CHECK_INTEQ(read_bytes(&w, 16), len == TYPED_PARAM_FIELD_MAX ? 0 : -EBADMSG);
                xdr_writer_done(&w);
                longname[len] = 'a';
        }
        xdr_writer_init(&w, 0);
        xdr_put_u32(&w, 1);
        xdr_put_string(&w, "");
        xdr_put_i32(&w, TYPED_PARAM_INT);
        xdr_put_i32(&w, 0);
        CHECK_INTEQ(read_bytes(&w, 16), -EBADMSG);
        xdr_writer_done(&w);
        /* a truncated value */
        xdr_writer_init(&w, 0);
        xdr_put_u32(&w, 1);
        xdr_put_string(&w, "f");
        xdr_put_i32(&w, TYPED_PARAM_ULLONG);
        xdr_put_i32(&w, 0);
        CHECK_INTEQ(read_bytes(&w, 16), -EBADMSG);
        xdr_writer_done(&w);
}

static void test_write_over_max(void) {
        TypedParams tp = {};
        XdrWriter w;

        for (int i = 0; i < 3; i++)
                CHECK(typed_params_add_u64(&tp, "f", TYPED_PARAM_INT, i) == 0);
        xdr_writer_init(&w, 0);
        typed_params_write_xdr(&w, &tp, 2);
        CHECK_INTEQ(xdr_writer_error(&w), -E2BIG);
        xdr_writer_done(&w);
        CHECK_INTEQ(typed_params_add_u64(&tp, "", TYPED_PARAM_INT, 0), -EINVAL);
        CHECK_INTEQ(typed_params_add_u64(&tp, "x", 9, 0), -EINVAL);
        typed_params_done(&tp);
}

static void test_bus_both_ways(void) {
        int fds[2] = { -1, -1 };
        sd_bus *b = offline_bus(fds);
        sd_bus_message *m = NULL;
        TypedParams tp = {}, back = {};
        const char *bad = NULL;

        CHECK(b != NULL);
        if (!b)
                return;
        CHECK(typed_params_add_u64(&tp, "total_bytes_sec", TYPED_PARAM_ULLONG, 1048576) == 0);
        CHECK(typed_params_add_u64(&tp, "weight", TYPED_PARAM_UINT, 500) == 0);
        CHECK(typed_params_add_u64(&tp, "vcpu_quota", TYPED_PARAM_LLONG, (uint64_t) -1) == 0);
        CHECK(typed_params_add_u64(&tp, "i", TYPED_PARAM_INT, 7) == 0);
        CHECK(typed_params_add_u64(&tp, "on", TYPED_PARAM_BOOLEAN, 1) == 0);
        CHECK(typed_params_add_double(&tp, "d", 0.5) == 0);
        CHECK(typed_params_add_string(&tp, "group_name", "g1") == 0);
        CHECK(sd_bus_message_new_method_call(b, &m, "org.virtbus.qemud", "/", "x.y", "Z") >= 0);
        CHECK(typed_params_append_bus(m, &tp) >= 0);
        CHECK(sd_bus_message_seal(m, 1, 0) >= 0);
        CHECK_STREQ(sd_bus_message_get_signature(m, true), "a{sv}");
        CHECK(sd_bus_message_rewind(m, true) >= 0);
        CHECK_INTEQ(typed_params_read_bus(m, 16, &back, &bad), 0);
        CHECK_INTEQ(back.n, 7);
        CHECK(typed_params_find(&back, "total_bytes_sec")->type == TYPED_PARAM_ULLONG &&
              typed_params_find(&back, "total_bytes_sec")->v.ul == 1048576);
        CHECK(typed_params_find(&back, "weight")->type == TYPED_PARAM_UINT);
        CHECK(typed_params_find(&back, "vcpu_quota")->v.l == -1);
        CHECK(typed_params_find(&back, "i")->type == TYPED_PARAM_INT);
        CHECK(typed_params_find(&back, "on")->v.b);
        CHECK(typed_params_find(&back, "d")->v.d == 0.5);
        CHECK_STREQ(typed_params_find(&back, "group_name")->v.s, "g1");
        /* the same message read with a smaller limit is refused and keeps nothing */
        CHECK(sd_bus_message_rewind(m, true) >= 0);
        typed_params_done(&back);
        CHECK_INTEQ(typed_params_read_bus(m, 3, &back, &bad), -E2BIG);
        CHECK_INTEQ(back.n, 0);
        sd_bus_message_unref(m);

        /* a variant libvirt has no type for (here an object path) names its field */
        CHECK(sd_bus_message_new_method_call(b, &m, "org.virtbus.qemud", "/", "x.y", "Z") >= 0);
        CHECK(sd_bus_message_append(m, "a{sv}", 2, "ok", "u", 1u, "path", "o", "/x") >= 0);
        CHECK(sd_bus_message_seal(m, 2, 0) >= 0);
        CHECK(sd_bus_message_rewind(m, true) >= 0);
        CHECK_INTEQ(typed_params_read_bus(m, 16, &back, &bad), -EINVAL);
        CHECK_STREQ(bad, "path");
        CHECK_INTEQ(back.n, 0);
        sd_bus_message_unref(m);
        /* libvirt-dbus's results: each value in a second variant */
        CHECK(sd_bus_message_new_method_call(b, &m, "org.virtbus.qemud", "/", "x.y", "Z") >= 0);
        CHECK(sd_bus_message_append(m, "a{sv}", 2, "cpu_shares", "v", "t", (uint64_t) 2048, "plain", "u", 3u) >= 0);
        CHECK(sd_bus_message_seal(m, 3, 0) >= 0);
        CHECK(sd_bus_message_rewind(m, true) >= 0);
        CHECK_INTEQ(typed_params_read_bus(m, 16, &back, &bad), 0);
        CHECK_INTEQ(back.n, 2);
        CHECK(back.n == 2 && back.p[0].type == TYPED_PARAM_ULLONG && back.p[0].v.ul == 2048);
        CHECK(back.n == 2 && back.p[1].type == TYPED_PARAM_UINT && back.p[1].v.ui == 3);
        typed_params_done(&back);
        sd_bus_message_unref(m);
        typed_params_done(&tp);
        offline_bus_close(b, fds);
}

UNIT_TESTS(test_read_wire, test_every_type_round_trip, test_wire_bounds, test_write_over_max, test_bus_both_ways)
