/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <seclabel>: the security label of a domain (one per model, at the root)
 * and a disk's own override (<source><seclabel/></source>), as libvirt's
 * domain.rng has them. The model holds them as given; what each model
 * means by a label (dac's "+uid:+gid", selinux's context) is the security
 * drivers' (common/security/). */

#include <stdbool.h>

typedef enum DomainSeclabelType {
        DOMAIN_SECLABEL_DEFAULT,  /* type not given: dynamic */
        DOMAIN_SECLABEL_DYNAMIC,  /* the driver picks the label at start */
        DOMAIN_SECLABEL_STATIC,   /* the <label> given */
        DOMAIN_SECLABEL_NONE,     /* unconfined, nothing relabelled */
        _DOMAIN_SECLABEL_TYPE_MAX,
} DomainSeclabelType;

/* A domain's <seclabel type='' model='' relabel=''>. */
typedef struct DomainSeclabelDef {
        char *model;              /* "dac", "selinux", "apparmor", "none"; NULL: the host's first */
        DomainSeclabelType type;
        int relabel;              /* -1 not given; else 0/1 */
        char *label;              /* dynamic: live only (the driver's pick) */
        char *imagelabel;         /* live only */
        char *baselabel;          /* dynamic: what the label is made from */
        bool implicit;            /* added by the driver at start: never in the inactive XML */
} DomainSeclabelDef;

/* A disk's <seclabel model='' relabel='' labelskip=''>. */
typedef struct DomainDevSeclabelDef {
        char *model;              /* NULL: every model */
        int relabel;              /* -1 not given; else 0/1 */
        bool labelskip;           /* output: the driver skipped this image */
        char *label;
} DomainDevSeclabelDef;

const char *domain_seclabel_type_to_string(DomainSeclabelType t);
int domain_seclabel_type_from_string(const char *s);

/* What a label really is once defaults apply. */
DomainSeclabelType domain_seclabel_type(const DomainSeclabelDef *s);
bool domain_seclabel_relabel(const DomainSeclabelDef *s);
bool domain_dev_seclabel_relabel(const DomainDevSeclabelDef *s);

void domain_seclabel_clear(DomainSeclabelDef *s);
bool domain_seclabel_own(DomainSeclabelDef *s);
void domain_dev_seclabel_clear(DomainDevSeclabelDef *s);
bool domain_dev_seclabel_own(DomainDevSeclabelDef *s);

/* The label of model (NULL or "": the first) in a list, NULL if none. */
const DomainSeclabelDef *domain_seclabel_find(const DomainSeclabelDef *a, size_t n, const char *model);
const DomainDevSeclabelDef *domain_dev_seclabel_find(const DomainDevSeclabelDef *a, size_t n, const char *model);

/* For the model's parser and formatter (domain-conf.c, domain-disk.c). */
typedef struct DomainDef DomainDef;
typedef struct ConfError ConfError;
typedef struct XmlWriter XmlWriter;
struct _xmlNode;
int domain_parse_seclabel(DomainDef *def, struct _xmlNode *n, const char *path, ConfError *err);
/* After the whole document: one label per model, at most one without. */
int domain_seclabels_check(const DomainSeclabelDef *a, size_t n, ConfError *err);
void domain_format_seclabels(XmlWriter *w, const DomainSeclabelDef *a, size_t n, unsigned flags);
int domain_parse_dev_seclabel(DomainDevSeclabelDef **a, size_t *n, struct _xmlNode *node, const char *path,
                              ConfError *err);
void domain_format_dev_seclabels(XmlWriter *w, const DomainDevSeclabelDef *a, size_t n);
