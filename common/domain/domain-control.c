/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The parts of the guest's other controls that need no hypervisor: the
 * metadata of a definition and the signals of org.libvirt.Domain. */
#include <stdarg.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "domain-control.h"
#include "domain-manager.h"
#include "domain.h"
#include "log.h"
#include "util.h"
#include "xml-util.h"

/* An element as the model keeps it (XML text with its namespaces). */
static int element_parse(const char *text, xmlDocPtr *ret) {
        size_t len = strlen(text);
        xmlDocPtr doc;

        if (len > XML_DOCUMENT_MAX_SIZE)
                return -E2BIG;
        doc = xmlReadMemory(text, (int) len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!doc)
                return -EBADMSG;
        if (!xmlDocGetRootElement(doc) || doc->intSubset) {
                xmlFreeDoc(doc);
                return -EBADMSG;
        }
        *ret = doc;
        return 0;
}

static int node_dump(xmlDocPtr doc, xmlNodePtr n, char **ret) {
        _cleanup_(xml_buffer_freep) xmlBufferPtr buf = xmlBufferCreate();
        char *s;

        if (!buf || xmlNodeDump(buf, doc, n, 0, 0) < 0)
                return -ENOMEM;
        s = strdup((const char *) xmlBufferContent(buf));
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static bool element_has_uri(const char *text, const char *uri) {
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        xmlNodePtr root;

        if (element_parse(text, &doc) < 0)
                return false;
        root = xmlDocGetRootElement(doc);
        return root->ns && root->ns->href && xmlStrEqual(root->ns->href, BAD_CAST uri);
}

static bool ns_used_below(xmlNodePtr n, xmlNsPtr ns) {
        for (xmlNodePtr c = n->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (c->ns == ns || ns_used_below(c, ns))
                        return true;
                for (xmlAttrPtr a = c->properties; a; a = a->next)
                        if (a->ns == ns)
                                return true;
        }
        return false;
}

/* Takes the namespace off n's descendant elements that have it. */
static void drop_ns_below(xmlNodePtr n, xmlNsPtr ns) {
        for (xmlNodePtr c = n->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (c->ns == ns)
                        xmlSetNs(c, NULL);
                drop_ns_below(c, ns);
        }
}

/* libvirt gives an element back without its namespace prefix, on it and on
 * the elements inside it of that namespace (oVirt's <ovirt-vm:vm> has
 * <ovirt-vm:...> children), so that it can be set again as it came. */
static int element_unprefixed(const char *text, char **ret) {
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        xmlNodePtr root;
        xmlNsPtr ns, *link;
        int r = element_parse(text, &doc);

        if (r < 0)
                return r;
        root = xmlDocGetRootElement(doc);
        ns = root->ns;
        xmlSetNs(root, NULL);
        if (ns)
                drop_ns_below(root, ns);
        if (ns && !ns_used_below(root, ns))
                for (link = &root->nsDef; *link; link = &(*link)->next)
                        if (*link == ns) {
                                *link = ns->next;
                                ns->next = NULL;
                                xmlFreeNs(ns);
                                break;
                        }
        return node_dump(doc, root, ret);
}

int domain_metadata_get(const DomainDef *def, DomainMetadataType type, const char *uri, char **ret) {
        const char *s = NULL;

        switch (type) {
        case DOMAIN_METADATA_DESCRIPTION:
                s = def->description;
                break;
        case DOMAIN_METADATA_TITLE:
                s = def->title;
                break;
        case DOMAIN_METADATA_ELEMENT:
                for (char **i = def->metadata; uri && i && *i; i++)
                        if (element_has_uri(*i, uri))
                                return element_unprefixed(*i, ret);
                return -ENOENT;
        default:
                return -EINVAL;
        }
        if (!s)
                return -ENOENT;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static bool key_is_valid(const char *key) {
        /* an XML prefix: a name without ':' */
        return key && *key && xmlValidateNCName(BAD_CAST key, 0) == 0;
}

/* value as an element in namespace uri under prefix key, as XML text. */
static int element_with_ns(const char *value, const char *key, const char *uri, char **ret, ConfError *err) {
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        xmlNodePtr root;
        xmlNsPtr ns;
        int r = element_parse(value, &doc);

        if (r == -E2BIG)
                return xml_err_invalid(err, "metadata too large: %zu bytes, at most %zu", strlen(value),
                                       XML_DOCUMENT_MAX_SIZE);
        if (r < 0)
                return xml_err_xml(err, "the metadata is not a well-formed XML element");
        root = xmlDocGetRootElement(doc);
        ns = xmlNewNs(root, BAD_CAST uri, BAD_CAST key);
        if (!ns) /* the element declares that prefix already */
                ns = xmlSearchNs(doc, root, BAD_CAST key);
        if (!ns)
                return xml_err_oom(err);
        xmlSetNs(root, ns);
        r = node_dump(doc, root, ret);
        return r < 0 ? xml_err_oom(err) : 0;
}

static int set_element(DomainDef *def, const char *value, const char *key, const char *uri, ConfError *err) {
        _cleanup_free_ char *text = NULL;
        char **l = def->metadata;
        size_t j = 0;
        int r;

        if (!uri || !*uri)
                return xml_err_invalid(err, "a metadata element needs its namespace URI");
        if (value && *value) {
                if (!key_is_valid(key))
                        return xml_err_invalid(err, "a metadata element needs a key (its namespace prefix), "
                                               "a name without ':', not '%s'", key ? key : "");
                r = element_with_ns(value, key, uri, &text, err);
                if (r < 0)
                        return r;
        }
        /* the element of that namespace is replaced (or removed) */
        for (size_t i = 0; l && l[i]; i++) {
                if (element_has_uri(l[i], uri))
                        free(l[i]);
                else
                        l[j++] = l[i];
        }
        if (l)
                l[j] = NULL;
        if (l && j == 0)
                def->metadata = mfree(def->metadata);
        if (text && strv_consume(&def->metadata, TAKE_PTR(text)) < 0)
                return xml_err_oom(err);
        return 0;
}

int domain_metadata_set(DomainDef *def, DomainMetadataType type, const char *value, const char *key,
                        const char *uri, ConfError *err) {
        char **field;
        char *copy = NULL;

        if (type == DOMAIN_METADATA_ELEMENT)
                return set_element(def, value, key, uri, err);
        if (type != DOMAIN_METADATA_TITLE && type != DOMAIN_METADATA_DESCRIPTION)
                return xml_err_invalid(err, "unknown metadata type '%d'", (int) type);
        if ((key && *key) || (uri && *uri))
                return xml_err_invalid(err, "a %s takes no key and no namespace URI",
                                       type == DOMAIN_METADATA_TITLE ? "title" : "description");
        if (type == DOMAIN_METADATA_TITLE && value && strpbrk(value, "\r\n"))
                return xml_err_invalid(err, "a domain title can't contain newlines");
        if (value && *value) {
                copy = strdup(value);
                if (!copy)
                        return xml_err_oom(err);
        }
        field = type == DOMAIN_METADATA_TITLE ? &def->title : &def->description;
        free(*field);
        *field = copy;
        return 0;
}

void domain_emit_signal(Domain *d, const char *member, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_signal(d->manager->bus, &m, d->path, "org.libvirt.Domain", member);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_send(d->manager->bus, m, NULL);
        if (r < 0)
                log_warning_errno(r, "Cannot emit %s for %s: %m", member, d->def->name);
}

void domain_emit_io_error(Domain *d, const char *src_path, const char *device, int action, const char *reason) {
        domain_emit_signal(d, "IOError", "ssis", src_path ? src_path : "", device ? device : "", (int32_t) action,
                           reason ? reason : "");
}
