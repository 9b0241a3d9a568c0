/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The device of a definition named by its alias, as the XML DetachDevice
 * takes: what DetachDeviceAlias (libvirt's virDomainDetachDeviceAlias)
 * hands to the driver's detach, so that both go through one path. */
#include <errno.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "domain-device.h"
#include "domain-conf.h"
#include "macro.h"

static bool has_alias(xmlNodePtr dev, const char *alias) {
        for (xmlNodePtr c = dev->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE || !xmlStrEqual(c->name, BAD_CAST "alias"))
                        continue;
                xmlChar *name = xmlGetProp(c, BAD_CAST "name");
                bool match = name && xmlStrEqual(name, BAD_CAST alias);

                xmlFree(name);
                return match;
        }
        return false;
}

static xmlNodePtr find_devices(xmlNodePtr root) {
        for (xmlNodePtr c = root ? root->children : NULL; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, BAD_CAST "devices"))
                        return c;
        return NULL;
}

static int dump_node(xmlDocPtr doc, xmlNodePtr n, char **ret) {
        xmlBufferPtr buf = xmlBufferCreate();
        char *s;

        if (!buf)
                return -ENOMEM;
        if (xmlNodeDump(buf, doc, n, 0, 0) < 0) {
                xmlBufferFree(buf);
                return -ENOMEM;
        }
        s = strdup((const char *) xmlBufferContent(buf));
        xmlBufferFree(buf);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int domain_device_xml_by_alias(const DomainDef *def, const char *alias, unsigned format_flags, char **ret) {
        _cleanup_free_ char *xml = NULL;
        xmlDocPtr doc;
        xmlNodePtr devices;
        int r;

        if (!def || !alias)
                return -ENOENT;
        r = domain_def_format(def, format_flags, &xml);
        if (r < 0)
                return r;
        doc = xmlReadMemory(xml, (int) strlen(xml), NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
        if (!doc)
                return -ENOMEM;
        r = -ENOENT;
        devices = find_devices(xmlDocGetRootElement(doc));
        for (xmlNodePtr c = devices ? devices->children : NULL; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && has_alias(c, alias)) {
                        r = dump_node(doc, c, ret);
                        break;
                }
        xmlFreeDoc(doc);
        return r;
}
