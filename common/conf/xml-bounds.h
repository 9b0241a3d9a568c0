/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What one XML document may hold, checked on the raw text in one linear pass
 * before libxml2 sees it. libxml2 compares each attribute of an element with
 * every other one, so 200,000 attributes on one element take minutes, and
 * the models' own checks are not all linear either; within these bounds every
 * accepted document parses and validates in milliseconds. libvirt's largest
 * elements have about twenty attributes and its deepest nesting is about ten. */

#include <stddef.h>

typedef struct ConfError ConfError;

#define XML_MAX_ATTRIBUTES 64      /* per element */
#define XML_MAX_CHILDREN 10000     /* child elements of one element */
#define XML_MAX_ELEMENTS 100000    /* in the whole document */
#define XML_MAX_ATTRIBUTES_TOTAL 100000 /* in the whole document */
#define XML_MAX_DEPTH 64           /* elements nested in one another */

/* 0 when the document keeps within the bounds; otherwise -EINVAL with err
 * naming the bound and the element that broke it. A malformed document may
 * pass: the parser refuses it afterwards. */
int xml_check_bounds(const char *xml, size_t len, ConfError *err);
