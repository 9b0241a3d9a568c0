/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where smartcards sit: a slot of a ccid controller. libvirt puts a card
 * without an address in controller 0, after the highest slot taken there
 * (and adds the controllers the cards name: qemu-address.c). */
#include <unistd.h>

#include "qemu-smartcard.h"
#include "util.h"

void qemu_smartcard_assign_addresses(DomainDef *def) {
        for (size_t i = 0; i < def->n_smartcards; i++) {
                DomainDeviceAddress *a = &def->smartcards[i].addr;
                int max = -1;

                if (a->type != DOMAIN_ADDRESS_NONE)
                        continue;
                for (size_t j = 0; j < def->n_smartcards; j++) {
                        const DomainDeviceAddress *o = &def->smartcards[j].addr;

                        if (o->type == DOMAIN_ADDRESS_CCID && o->controller == 0 && (int) o->slot > max)
                                max = (int) o->slot;
                }
                *a = (DomainDeviceAddress) { .type = DOMAIN_ADDRESS_CCID, .controller = 0,
                                             .slot = (unsigned) (max + 1) };
        }
}

/* NSS's databases: cert9.db (sql) or cert8.db (the older dbm). */
static bool has_nss_db(const char *dir) {
        _cleanup_free_ char *sql = NULL, *dbm = NULL;

        if (asprintf(&sql, "%s/cert9.db", dir) < 0 || asprintf(&dbm, "%s/cert8.db", dir) < 0)
                return false;
        return access(sql, R_OK) == 0 || access(dbm, R_OK) == 0;
}

int qemu_smartcard_prepare(const DomainDef *live, const char *default_db, ConfError *err) {
        for (size_t i = 0; i < live->n_smartcards; i++) {
                const DomainSmartcardDef *sc = &live->smartcards[i];
                const char *db = sc->database ?: default_db;

                if (sc->mode == DOMAIN_SMARTCARD_PASSTHROUGH || has_nss_db(db))
                        continue;
                conf_error_set(err, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: smartcard %zu: an "
                               "emulated card needs an NSS database (cert9.db or cert8.db) in %s, and there is "
                               "none on this host", i, db);
                return -ENOENT;
        }
        return 0;
}
