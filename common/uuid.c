/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <systemd/sd-id128.h>

#include "util.h"
#include "uuid.h"

char *uuid_format(const uint8_t uuid[16], char buf[UUID_STRING_MAX]) {
        static const char hex[] = "0123456789abcdef";
        char *p = buf;

        for (int i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        *p++ = '-';
                *p++ = hex[uuid[i] >> 4];
                *p++ = hex[uuid[i] & 15];
        }
        *p = 0;
        return buf;
}

/* hex digit -> value + 1, 0 for any other byte: a start parses 10,000 uuids
 * of the index, and the three range tests per digit were most of it */
static const uint8_t unhex_table[256] = {
        ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
        ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
        ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

int uuid_parse(const char *s, uint8_t uuid[16]) {
        size_t len = strlen(s);
        bool dashed = len == 36;

        if (len != 36 && len != 32)
                return -EINVAL;
        for (int i = 0; i < 16; i++) {
                unsigned hi, lo;

                if (dashed && (i == 4 || i == 6 || i == 8 || i == 10)) {
                        if (*s != '-')
                                return -EINVAL;
                        s++;
                }
                hi = unhex_table[(unsigned char) s[0]];
                lo = hi ? unhex_table[(unsigned char) s[1]] : 0;
                if (!lo)
                        return -EINVAL;
                uuid[i] = (uint8_t) ((hi - 1) << 4 | (lo - 1));
                s += 2;
        }
        return 0;
}

int uuid_generate(uint8_t uuid[16]) {
        sd_id128_t id;
        int r = sd_id128_randomize(&id);

        if (r < 0)
                return r;
        memcpy(uuid, id.bytes, 16);
        return 0;
}

bool uuid_is_null(const uint8_t uuid[16]) {
        for (int i = 0; i < 16; i++)
                if (uuid[i])
                        return false;
        return true;
}
