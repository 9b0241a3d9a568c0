/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host's SMBIOS table, parsed (dmi-table.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "dmi-table.h"
#include "util.h"

#define DMI_END_OF_TABLE 127
#define DMI_MAX_SIZE (1 << 20)

/* A structure: its formatted area and its string set. */
typedef struct DmiStruct {
        const uint8_t *data;
        size_t len;          /* of the formatted area */
        const char *strings; /* the first string; the set ends with an empty one */
        size_t strings_len;
} DmiStruct;

/* String number n (from 1) of s, or NULL. */
static const char *dmi_string(const DmiStruct *s, uint8_t n) {
        const char *p = s->strings, *end = s->strings + s->strings_len;

        if (n == 0)
                return NULL;
        while (p < end && *p) {
                if (--n == 0)
                        return p;
                p += strnlen(p, (size_t) (end - p)) + 1;
        }
        return NULL;
}

/* The string whose number is at offset off, if the area reaches it. */
static int take_string(const DmiStruct *s, size_t off, char **field) {
        const char *v;

        if (off >= s->len || !(v = dmi_string(s, s->data[off])) || *field)
                return 0;
        /* all blanks: what a vendor leaves empty */
        if (v[strspn(v, " ")] == 0)
                return 0;
        *field = strdup(v);
        return *field ? 0 : -ENOMEM;
}

typedef struct FieldAt {
        int field;   /* place in domain_smbios_fields[kind] */
        size_t off;
} FieldAt;

static int take_fields(const DmiStruct *s, const FieldAt *at, size_t n, DomainSmbiosSection *sec) {
        for (size_t i = 0; i < n; i++) {
                int r = take_string(s, at[i].off, &sec->fields[at[i].field]);

                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_bios(const DmiStruct *s, DomainSysinfo *si) {
        static const FieldAt at[] = { { 0, 0x04 }, { 1, 0x05 }, { 2, 0x08 } };
        DomainSmbiosSection *sec = &si->sections[DOMAIN_SMBIOS_BIOS];
        int r = take_fields(s, at, ELEMENTSOF(at), sec);

        /* the BIOS's release (SMBIOS 2.4): 0xff when it has none */
        if (r >= 0 && s->len > 0x15 && s->data[0x14] != 0xff && !sec->fields[3] &&
            asprintf(&sec->fields[3], "%u.%u", s->data[0x14], s->data[0x15]) < 0) {
                sec->fields[3] = NULL;
                r = -ENOMEM;
        }
        return r;
}

/* The uuid is not taken: the guest's is its own, as in libvirt. */
static int parse_system(const DmiStruct *s, DomainSysinfo *si) {
        static const FieldAt at[] = { { 0, 0x04 }, { 1, 0x05 }, { 2, 0x06 }, { 3, 0x07 }, { 5, 0x19 }, { 6, 0x1a } };

        return take_fields(s, at, ELEMENTSOF(at), &si->sections[DOMAIN_SMBIOS_SYSTEM]);
}

static int parse_baseboard(const DmiStruct *s, DomainSysinfo *si) {
        static const FieldAt at[] = { { 0, 0x04 }, { 1, 0x05 }, { 2, 0x06 }, { 3, 0x07 }, { 4, 0x08 }, { 5, 0x0a } };
        DomainSmbiosSection *b = reallocarray(si->baseboards, si->n_baseboards + 1, sizeof(*b));

        if (!b)
                return -ENOMEM;
        si->baseboards = b;
        b = &si->baseboards[si->n_baseboards++];
        *b = (DomainSmbiosSection) {};
        return take_fields(s, at, ELEMENTSOF(at), b);
}

static int parse_chassis(const DmiStruct *s, DomainSysinfo *si) {
        static const FieldAt at[] = { { 0, 0x04 }, { 1, 0x06 }, { 2, 0x07 }, { 3, 0x08 } };
        DomainSmbiosSection *sec = &si->sections[DOMAIN_SMBIOS_CHASSIS];
        int r = take_fields(s, at, ELEMENTSOF(at), sec);

        /* SKU (2.7) follows the contained elements: count at 0x13, size at 0x14 */
        if (r >= 0 && s->len > 0x14)
                r = take_string(s, 0x15 + (size_t) s->data[0x13] * s->data[0x14], &sec->fields[4]);
        return r;
}

static int parse_oem_strings(const DmiStruct *s, DomainSysinfo *si) {
        unsigned n = s->len > 4 ? s->data[4] : 0;
        char **v;

        if (n == 0)
                return 0;
        v = reallocarray(si->oem_strings, si->n_oem_strings + n, sizeof(char *));
        if (!v)
                return -ENOMEM;
        si->oem_strings = v;
        for (unsigned k = 1; k <= n; k++) {
                const char *str = dmi_string(s, (uint8_t) k);

                if (!str)
                        continue;
                v[si->n_oem_strings] = strdup(str);
                if (!v[si->n_oem_strings])
                        return -ENOMEM;
                si->n_oem_strings++;
        }
        return 0;
}

static int parse_struct(const DmiStruct *s, DomainSysinfo *si) {
        switch (s->data[0]) {
        case 0:
                return parse_bios(s, si);
        case 1:
                return parse_system(s, si);
        case 2:
                return parse_baseboard(s, si);
        case 3:
                return parse_chassis(s, si);
        case 11:
                return parse_oem_strings(s, si);
        default:
                return 0;
        }
}

/* The structure at buf[*pos], its end in *pos. 0 at the end of the table. */
static int next_struct(const uint8_t *buf, size_t len, size_t *pos, DmiStruct *ret) {
        size_t p = *pos, q;

        if (p + 4 > len)
                return p == len ? 0 : -EBADMSG;
        ret->data = buf + p;
        ret->len = buf[p + 1];
        if (ret->len < 4 || p + ret->len > len)
                return -EBADMSG;
        /* the string set ends with two NULs (just two when it is empty) */
        for (q = p + ret->len; q + 1 < len && (buf[q] || buf[q + 1]); q++)
                ;
        if (q + 1 >= len)
                return -EBADMSG;
        ret->strings = (const char *) buf + p + ret->len;
        ret->strings_len = q + 1 - (p + ret->len);
        *pos = q + 2;
        return 1;
}

int dmi_table_parse(const uint8_t *buf, size_t len, DomainSysinfo *ret) {
        DomainSysinfo si = { .type = DOMAIN_SYSINFO_SMBIOS };
        size_t pos = 0;
        DmiStruct s;
        int r;

        while ((r = next_struct(buf, len, &pos, &s)) > 0 && s.data[0] != DMI_END_OF_TABLE) {
                r = parse_struct(&s, &si);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                dmi_sysinfo_clear(&si);
                return r;
        }
        *ret = si;
        return 0;
}

int dmi_table_read(const char *path, DomainSysinfo *ret) {
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = read_full_file(path, DMI_MAX_SIZE, &buf, &len);

        if (r < 0)
                return r;
        return dmi_table_parse((const uint8_t *) buf, len, ret);
}

static void section_clear(DomainSmbiosSection *s) {
        for (size_t i = 0; i < DOMAIN_SMBIOS_FIELDS_MAX; i++)
                free(s->fields[i]);
}

void dmi_sysinfo_clear(DomainSysinfo *si) {
        for (size_t i = 0; i < _DOMAIN_SMBIOS_SECTION_MAX; i++)
                section_clear(&si->sections[i]);
        for (size_t i = 0; i < si->n_baseboards; i++)
                section_clear(&si->baseboards[i]);
        free(si->baseboards);
        for (size_t i = 0; i < si->n_oem_strings; i++)
                free(si->oem_strings[i]);
        free(si->oem_strings);
        *si = (DomainSysinfo) {};
}
