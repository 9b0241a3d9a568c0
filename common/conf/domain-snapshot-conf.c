/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain-snapshot-conf.h"
#include "util.h"
#include "xml-util.h"

static const char *const location_names[] = {
        [SNAPSHOT_LOCATION_DEFAULT] = NULL,
        [SNAPSHOT_LOCATION_NO] = "no",
        [SNAPSHOT_LOCATION_INTERNAL] = "internal",
        [SNAPSHOT_LOCATION_EXTERNAL] = "external",
        [SNAPSHOT_LOCATION_MANUAL] = "manual",
};

static const char *const state_names[] = {
        "running", "blocked", "paused", "shutdown", "shutoff", "crashed", "disk-snapshot", "pmsuspended",
};

static const char *const no_attrs[] = { NULL };

const char *snapshot_location_to_string(SnapshotLocation l) {
        return l < ELEMENTSOF(location_names) ? location_names[l] : NULL;
}

DomainSnapshotDef *domain_snapshot_def_free(DomainSnapshotDef *def) {
        if (!def)
                return NULL;
        free(def->name);
        free(def->description);
        free(def->state);
        free(def->memory_file);
        for (size_t i = 0; i < def->n_disks; i++) {
                free(def->disks[i].name);
                free(def->disks[i].driver_type);
                free(def->disks[i].source_file);
        }
        free(def->disks);
        free(def->parent);
        free(def->domain_xml);
        free(def);
        return NULL;
}

DomainSnapshotDiskDef *domain_snapshot_def_find_disk(const DomainSnapshotDef *def, const char *target) {
        for (size_t i = 0; i < def->n_disks; i++)
                if (streq(def->disks[i].name, target))
                        return &def->disks[i];
        return NULL;
}

DomainSnapshotDiskDef *domain_snapshot_def_add_disk(DomainSnapshotDef *def, const char *name) {
        DomainSnapshotDiskDef *l = reallocarray(def->disks, def->n_disks + 1, sizeof(*l));

        if (!l)
                return NULL;
        def->disks = l;
        l = &def->disks[def->n_disks];
        *l = (DomainSnapshotDiskDef) { .name = strdup(name) };
        if (!l->name)
                return NULL;
        def->n_disks++;
        return l;
}

static int parse_location(xmlNodePtr n, const char *path, SnapshotLocation *ret, ConfError *err) {
        int v = 0;
        int r = xml_attr_enum(n, path, "snapshot", location_names, ELEMENTSOF(location_names), &v, err);

        if (r > 0)
                *ret = v;
        return r;
}

static int parse_memory(DomainSnapshotDef *def, xmlNodePtr n, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, "memory", err, "snapshot", "file");

        if (r >= 0)
                r = xml_check_empty(n, "memory", err);
        if (r >= 0)
                r = parse_location(n, "memory", &def->memory, err);
        if (r >= 0)
                r = xml_attr_str(n, "memory", "file", &def->memory_file, err);
        if (r < 0)
                return r;
        if (def->memory_file && def->memory == SNAPSHOT_LOCATION_DEFAULT)
                def->memory = SNAPSHOT_LOCATION_EXTERNAL;
        if (def->memory_file && def->memory != SNAPSHOT_LOCATION_EXTERNAL)
                return xml_err_unsupported(err, "memory file '%s' needs snapshot='external'", def->memory_file);
        if (def->memory_file && !str_is_abs_path(def->memory_file))
                return xml_err_invalid(err, "memory file '%s' must be an absolute path", def->memory_file);
        return 0;
}

static int parse_disk(DomainSnapshotDef *def, xmlNodePtr n, ConfError *err) {
        _cleanup_free_ char *name = NULL, *type = NULL;
        DomainSnapshotDiskDef *disk;
        int r = XML_CHECK_ATTRS(n, "disks/disk", err, "name", "snapshot", "type");

        if (r >= 0)
                r = xml_attr_str_required(n, "disks/disk", "name", &name, err);
        if (r < 0)
                return r;
        if (domain_snapshot_def_find_disk(def, name))
                return xml_err_invalid(err, "disk '%s' specified twice", name);
        disk = domain_snapshot_def_add_disk(def, name);
        if (!disk)
                return xml_err_oom(err);
        r = parse_location(n, "disks/disk", &disk->snapshot, err);
        if (r >= 0)
                r = xml_attr_str(n, "disks/disk", "type", &type, err);
        if (r < 0)
                return r;
        if (type && !streq(type, "file"))
                return xml_err_unsupported(err, "disk '%s': snapshot of type '%s' (only 'file')", name, type);
        XML_FOREACH_ELEMENT(c, n) {
                if (xml_is(c, "source")) {
                        r = XML_CHECK_ATTRS(c, "disks/disk/source", err, "file");
                        if (r >= 0)
                                r = xml_attr_str_required(c, "disks/disk/source", "file",
                                                          &disk->source_file, err);
                } else if (xml_is(c, "driver")) {
                        r = XML_CHECK_ATTRS(c, "disks/disk/driver", err, "type");
                        if (r >= 0)
                                r = xml_attr_str(c, "disks/disk/driver", "type", &disk->driver_type, err);
                } else
                        r = xml_unsupported_element(c, "disks/disk", err);
                if (r < 0)
                        return r;
        }
        if ((disk->source_file || disk->driver_type) && disk->snapshot == SNAPSHOT_LOCATION_DEFAULT)
                disk->snapshot = SNAPSHOT_LOCATION_EXTERNAL;
        if ((disk->source_file || disk->driver_type) && disk->snapshot != SNAPSHOT_LOCATION_EXTERNAL)
                return xml_err_unsupported(err, "disk '%s': a source or driver needs snapshot='external'", name);
        if (disk->source_file && !str_is_abs_path(disk->source_file))
                return xml_err_invalid(err, "disk '%s': source file '%s' must be an absolute path", name,
                                       disk->source_file);
        return 0;
}

static int parse_disks(DomainSnapshotDef *def, xmlNodePtr n, ConfError *err) {
        int r = xml_check_attrs(n, "disks", no_attrs, err);

        if (r >= 0)
                r = xml_check_no_text(n, "disks", err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                r = xml_is(c, "disk") ? parse_disk(def, c, err) : xml_unsupported_element(c, "disks", err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The <domain> element as text: kept verbatim, checked to be a definition
 * we can read back (revert runs it). A bare <domain><uuid/></domain> of old
 * libvirt is refused. */
static int parse_domain(DomainSnapshotDef *def, xmlDocPtr doc, xmlNodePtr n, ConfError *err) {
        _cleanup_(xml_buffer_freep) xmlBufferPtr buf = xmlBufferCreate();
        _cleanup_(domain_def_freep) DomainDef *dom = NULL;
        int r;

        if (!buf)
                return xml_err_oom(err);
        if (xmlNodeDump(buf, doc, n, 0, 0) < 0)
                return xml_err_oom(err);
        r = domain_def_parse((const char *) xmlBufferContent(buf), 0, &dom, err);
        if (r < 0)
                return r;
        /* Kept as we format it, so that it reads the same after each round. */
        r = domain_def_format(dom, DOMAIN_FORMAT_SECURE, &def->domain_xml);
        return r < 0 ? xml_err_oom(err) : 0;
}

static int parse_text_once(xmlNodePtr c, const char *name, char **ret, ConfError *err) {
        int r = xml_check_unique(c, name, err);

        if (r >= 0)
                r = xml_check_attrs(c, name, no_attrs, err);
        if (r >= 0)
                r = xml_text(c, name, ret, err);
        return r < 0 ? r : 0;
}

static int parse_child(DomainSnapshotDef *def, xmlDocPtr doc, xmlNodePtr c, ConfError *err) {
        _cleanup_free_ char *text = NULL;
        int r;

        if (xml_is(c, "name"))
                return parse_text_once(c, "name", &def->name, err);
        if (xml_is(c, "description"))
                return parse_text_once(c, "description", &def->description, err);
        if (xml_is(c, "state")) {
                r = parse_text_once(c, "state", &def->state, err);
                if (r >= 0 && table_lookup(state_names, ELEMENTSOF(state_names), str_strip(def->state)) < 0)
                        return xml_err_unsupported(err, "snapshot state '%s' is not one of libvirt's", def->state);
                return r;
        }
        if (xml_is(c, "creationTime")) {
                r = xml_check_unique(c, "creationTime", err);
                if (r >= 0)
                        r = xml_text_llong(c, "creationTime", &def->creation_time, err);
                return r < 0 ? r : 0;
        }
        if (xml_is(c, "memory"))
                return parse_memory(def, c, err);
        if (xml_is(c, "disks"))
                return parse_disks(def, c, err);
        if (xml_is(c, "active")) {
                r = parse_text_once(c, "active", &text, err);
                if (r < 0)
                        return r;
                if (!streq(str_strip(text), "0") && !streq(text, "1"))
                        return xml_err_invalid(err, "snapshot active '%s' is neither 0 nor 1", text);
                def->active = streq(text, "1");
                return 0;
        }
        if (xml_is(c, "parent")) {
                r = xml_check_unique(c, "parent", err);
                XML_FOREACH_ELEMENT(p, c) {
                        if (r < 0)
                                break;
                        r = xml_is(p, "name") ? parse_text_once(p, "parent/name", &def->parent, err)
                                               : xml_unsupported_element(p, "parent", err);
                }
                return r < 0 ? r : 0;
        }
        if (xml_is(c, "domain")) {
                r = xml_check_unique(c, "domain", err);
                return r < 0 ? r : parse_domain(def, doc, c, err);
        }
        return xml_unsupported_element(c, "", err);
}

static bool name_is_file_name(const char *s) {
        return s[0] && s[0] != '.' && !strchr(s, '/') && strlen(s) < 200;
}

int domain_snapshot_def_parse(const char *xml, size_t len, DomainSnapshotDef **ret, ConfError *err) {
        _cleanup_(domain_snapshot_def_freep) DomainSnapshotDef *def = NULL;
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        xmlNodePtr root;
        int r;

        r = xml_read_document(xml, len, "domainsnapshot", &doc, err);
        if (r < 0)
                return r;
        root = xmlDocGetRootElement(doc);
        def = calloc(1, sizeof(*def));
        if (!def)
                return xml_err_oom(err);
        def->creation_time = -1;
        def->active = -1;
        r = xml_check_attrs(root, "domainsnapshot", no_attrs, err);
        if (r >= 0)
                r = xml_check_no_text(root, "", err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, root) {
                r = parse_child(def, doc, c, err);
                if (r < 0)
                        return r;
        }
        if (def->name) {
                str_strip(def->name);
                if (!name_is_file_name(def->name))
                        return xml_err_invalid(err, "invalid snapshot name '%s' (empty, starting with '.', "
                                               "with '/' or too long)", def->name);
        }
        *ret = TAKE_PTR(def);
        return 0;
}

static void format_disk(XmlWriter *w, const DomainSnapshotDiskDef *disk) {
        bool children = disk->source_file || disk->driver_type;

        xw_start(w, "disk");
        xw_attr(w, "name", disk->name);
        xw_attr(w, "snapshot", snapshot_location_to_string(disk->snapshot));
        if (disk->source_file)
                xw_attr(w, "type", "file");
        if (children) {
                if (disk->driver_type) {
                        xw_start(w, "driver");
                        xw_attr(w, "type", disk->driver_type);
                        xw_end(w);
                }
                if (disk->source_file) {
                        xw_start(w, "source");
                        xw_attr(w, "file", disk->source_file);
                        xw_end(w);
                }
        }
        xw_end(w);
}

/* Appends text with each line indented by two spaces. */
static int append_indented(char **buf, const char *text) {
        size_t n = strlen(*buf), extra = strlen(text) + 4;
        char *out;

        for (const char *p = text; *p; p++)
                if (*p == '\n')
                        extra += 2;
        out = realloc(*buf, n + extra + 1);
        if (!out)
                return -ENOMEM;
        *buf = out;
        out += n;
        *out++ = ' ';
        *out++ = ' ';
        for (const char *p = text; *p; p++) {
                *out++ = *p;
                if (*p == '\n' && p[1]) {
                        *out++ = ' ';
                        *out++ = ' ';
                }
        }
        if (out[-1] != '\n')
                *out++ = '\n';
        *out = 0;
        return 0;
}

int domain_snapshot_def_format(const DomainSnapshotDef *def, unsigned flags, char **ret) {
        _cleanup_free_ char *head = NULL;
        XmlWriter w = {};
        char *end;
        int r;

        xw_start(&w, "domainsnapshot");
        xw_element(&w, "name", def->name);
        xw_element(&w, "description", def->description);
        xw_element(&w, "state", def->state);
        if (def->parent) {
                xw_start(&w, "parent");
                xw_element(&w, "name", def->parent);
                xw_end(&w);
        }
        if (def->creation_time >= 0)
                xw_elementf(&w, "creationTime", "%lld", (long long) def->creation_time);
        if (def->memory != SNAPSHOT_LOCATION_DEFAULT) {
                xw_start(&w, "memory");
                xw_attr(&w, "snapshot", snapshot_location_to_string(def->memory));
                xw_attr(&w, "file", def->memory_file);
                xw_end(&w);
        }
        if (def->n_disks > 0) {
                xw_start(&w, "disks");
                for (size_t i = 0; i < def->n_disks; i++)
                        format_disk(&w, &def->disks[i]);
                xw_end(&w);
        }
        xw_empty(&w, "x-domain-here");
        xw_end(&w);
        r = xw_finish(&w, &head);
        if (r < 0)
                return r;
        /* The definition and <active> go where the placeholder is. */
        end = strstr(head, "  <x-domain-here/>\n");
        if (!end)
                return -EINVAL;
        *end = 0;
        if (def->domain_xml && (r = append_indented(&head, def->domain_xml)) < 0)
                return r;
        if ((flags & DOMAIN_SNAPSHOT_FORMAT_INTERNAL) &&
            (r = append_indented(&head, def->active == 1 ? "<active>1</active>" : "<active>0</active>")) < 0)
                return r;
        if (asprintf(ret, "%s</domainsnapshot>\n", head) < 0)
                return -ENOMEM;
        return 0;
}
