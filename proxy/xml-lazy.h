/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The few libxml2 calls the proxy makes, loaded the first time one is
 * needed. The proxy reads XML only to merge introspection data and to name
 * an incoming guest; linking libxml2 (and ICU and libstdc++ behind it) would
 * cost every idle proxy about 2 MiB of resident pages for that. */
#include <libxml/parser.h>
#include <libxml/tree.h>

typedef struct XmlLib {
        xmlDocPtr (*read_memory)(const char *buffer, int size, const char *url, const char *encoding, int options);
        xmlNodePtr (*doc_get_root_element)(const xmlDoc *doc);
        void (*free_doc)(xmlDocPtr doc);
        xmlNodePtr (*doc_copy_node)(xmlNodePtr node, xmlDocPtr doc, int extended);
        xmlNodePtr (*add_child)(xmlNodePtr parent, xmlNodePtr cur);
        void (*free_node)(xmlNodePtr cur);
        xmlChar *(*get_prop)(const xmlNode *node, const xmlChar *name);
        int (*str_equal)(const xmlChar *a, const xmlChar *b);
        xmlChar *(*node_get_content)(const xmlNode *cur);
        void (*doc_dump_format_memory)(xmlDocPtr doc, xmlChar **mem, int *size, int format);
        void (*free)(void *mem);
} XmlLib;

/* The library, or NULL (logged once) where it cannot be loaded. */
const XmlLib *xml_lib(void);
