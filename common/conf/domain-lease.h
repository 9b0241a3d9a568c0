/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Included by domain-conf.h; include that one. */

/* <lease>: a lock the guest holds while it runs (libvirt's lock manager
 * lease: parse and format in domain-lease.c):
 *
 *   <lease>
 *     <lockspace>area</lockspace>
 *     <key>name</key>
 *     <target path='/var/lib/leases/area' offset='0'/>
 *   </lease>
 *
 * virtbus' lock manager is lockd: qemud takes the lease there at start
 * (domain_lease_resource()), as libvirt's lockd driver does by lockspace
 * and key, and lockd lets it go when the guest stops. */

#include <stddef.h>
#include <stdint.h>

typedef struct DomainLeaseDef {
        char *lockspace;
        char *key;
        char *path;                /* <target path=''> */
        uint64_t offset;           /* <target offset=''>: 0 = not given */
} DomainLeaseDef;

/* The resource lockd holds for it: "<path>/<lockspace>/<key>", the
 * lockspace directory and lease name of libvirt's lockd driver; NULL when
 * that is no normalized absolute path (a relative target, a key with '/'). */
char *domain_lease_resource(const DomainLeaseDef *l);
/* "lockspace 'area' key 'name'": the lease as messages name it. */
void domain_lease_describe(const DomainLeaseDef *l, char *buf, size_t size);
