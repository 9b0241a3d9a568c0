/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dlfcn.h>
#include <stdbool.h>

#include "log.h"
#include "xml-lazy.h"

#define XML_SONAME "libxml2.so.2"

static XmlLib lib;
static bool tried, loaded;

static void *sym(void *h, const char *name, bool *ok) {
        void *p = dlsym(h, name);
        if (!p) {
                log_error("Cannot find %s in %s: %s", name, XML_SONAME, dlerror());
                *ok = false;
        }
        return p;
}

static bool load(void) {
        void *h = dlopen(XML_SONAME, RTLD_NOW | RTLD_LOCAL);
        bool ok = true;
        xmlFreeFunc *free_var;

        if (!h) {
                log_error("Cannot load %s: %s", XML_SONAME, dlerror());
                return false;
        }
        lib.read_memory = sym(h, "xmlReadMemory", &ok);
        lib.doc_get_root_element = sym(h, "xmlDocGetRootElement", &ok);
        lib.free_doc = sym(h, "xmlFreeDoc", &ok);
        lib.doc_copy_node = sym(h, "xmlDocCopyNode", &ok);
        lib.add_child = sym(h, "xmlAddChild", &ok);
        lib.free_node = sym(h, "xmlFreeNode", &ok);
        lib.get_prop = sym(h, "xmlGetProp", &ok);
        lib.str_equal = sym(h, "xmlStrEqual", &ok);
        lib.node_get_content = sym(h, "xmlNodeGetContent", &ok);
        lib.doc_dump_format_memory = sym(h, "xmlDocDumpFormatMemory", &ok);
        /* xmlFree is a variable holding the library's free function. */
        free_var = sym(h, "xmlFree", &ok);
        if (ok)
                lib.free = *free_var;
        /* The handle stays open for the life of the process: the library
         * keeps global state (its parser, its allocator) once used. */
        return ok;
}

const XmlLib *xml_lib(void) {
        if (!tried) {
                tried = true;
                loaded = load();
        }
        return loaded ? &lib : NULL;
}
