/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Connect: DomainRestore and the XML of a save image. */
#include "bus-access.h"
#include "bus-util.h"
#include "connect-dbus.h"
#include "domain-driver.h"
#include "domain-save.h"
#include "error.h"
#include "log.h"
#include "util.h"
#include "uuid.h"

static int need_ops(Manager *m, bool have, const char *what, sd_bus_error *error) {
        if (m->driver->save && have)
                return 0;
        return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "this function is not supported by the %s driver: %s",
                             m->driver->name, what);
}

static int check_file(const char *path, sd_bus_error *error) {
        if (!path_is_normalized_absolute(path) || streq(path, "/"))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "save file '%s' is not an absolute path to a file",
                                     path);
        return 0;
}

/* The XML to use instead of the image's must be for the same domain. */
static int check_same_domain(const DomainDef *image, const DomainDef *def, const char *path, sd_bus_error *error) {
        char a[UUID_STRING_MAX], b[UUID_STRING_MAX];

        if (memcmp(image->uuid, def->uuid, 16) == 0 && streq(image->name, def->name))
                return 0;
        uuid_format(image->uuid, a);
        uuid_format(def->uuid, b);
        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                             "the XML given is for domain '%s' (uuid %s), but the save image %s holds domain '%s' "
                             "(uuid %s)",
                             def->name, b, path, image->name, a);
}

/* The image's definition, or the caller's replacement for it (checked). */
static int image_definition(Manager *m, const char *path, const char *xml, DomainDef **ret, bool *ret_running,
                            sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *image = NULL, *def = NULL;
        _cleanup_free_ char *image_xml = NULL;
        int r;

        r = m->driver->save->image_read(m, path, &image_xml, ret_running, error);
        if (r < 0)
                return r;
        r = connect_parse_definition(m, image_xml, &image, error);
        if (r < 0)
                return r;
        if (xml && *xml) {
                r = connect_parse_definition(m, xml, &def, error);
                if (r >= 0)
                        r = check_same_domain(image, def, path, error);
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(def);
        } else
                *ret = TAKE_PTR(image);
        return 0;
}

static int method_restore(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        const char *from, *xml;
        uint32_t flags;
        Domain *d;
        int r;

        r = sd_bus_message_read(msg, "ssu", &from, &xml, &flags);
        if (r < 0)
                return r;
        r = bus_check_flags(flags,
                            DOMAIN_SAVE_BYPASS_CACHE | DOMAIN_SAVE_RUNNING | DOMAIN_SAVE_PAUSED |
                                    DOMAIN_SAVE_RESET_NVRAM,
                            error);
        if (r >= 0 && (flags & DOMAIN_SAVE_RUNNING) && (flags & DOMAIN_SAVE_PAUSED))
                r = vb_error_setf(error, VB_ERROR_INVALID_ARG, "the flags RUNNING and PAUSED are mutually exclusive");
        if (r >= 0)
                r = check_file(from, error);
        if (r >= 0)
                r = need_ops(m, m->driver->save && m->driver->save->restore && m->driver->save->image_read,
                             "DomainRestore", error);
        if (r >= 0)
                r = image_definition(m, from, xml, &def, NULL, error);
        if (r >= 0)
                r = connect_check_duplicates(m, def, &d, error);
        if (r < 0)
                return r;
        if (d && domain_is_active(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "cannot restore %s: domain '%s' (uuid %s) is already running", from,
                                     d->def->name, d->uuid_str);
        if (d) {
                /* A defined domain: it runs the image's definition, its own
                 * stays as it is. */
                r = domain_job_begin(d->jobs, DOMAIN_JOB_START, msg, method_restore, m, error);
                if (r <= 0)
                        return r < 0 ? r : 1;
                d->start_def = TAKE_PTR(def);
                r = m->driver->save->restore(d, from, flags, false, msg, error);
                if (r < 0) {
                        d->start_def = domain_def_free(d->start_def);
                        if (domain_job_is(d->jobs, DOMAIN_JOB_START))
                                domain_job_end(d->jobs);
                }
                return r < 0 ? r : 1;
        }
        r = domain_new(m, TAKE_PTR(def), &d);
        if (r < 0)
                return r;
        r = manager_add_domain(m, d);
        if (r < 0) {
                domain_free(d);
                return r;
        }
        r = m->driver->save->restore(d, from, flags, false, msg, error);
        if (r < 0) {
                manager_remove_domain(m, d);
                domain_free(d);
                return r;
        }
        return 1; /* answered once it runs */
}

static int method_image_get_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_free_ char *out = NULL;
        const char *file;
        uint32_t flags;
        int r;

        r = sd_bus_message_read(msg, "su", &file, &flags);
        if (r < 0)
                return r;
        r = bus_check_flags(flags, DOMAIN_SAVE_IMAGE_XML_SECURE, error);
        if (r >= 0)
                r = check_file(file, error);
        if (r >= 0)
                r = need_ops(m, m->driver->save && m->driver->save->image_read, "DomainSaveImageGetXMLDesc", error);
        if (r >= 0)
                r = image_definition(m, file, NULL, &def, NULL, error);
        if (r < 0)
                return r;
        if ((flags & DOMAIN_SAVE_IMAGE_XML_SECURE) && !bus_access_caller_is_root(msg))
                return vb_error_setf(error, VB_ERROR_ACCESS_DENIED, "the SECURE flag (passwords) is for root only");
        r = domain_def_format(def,
                              DOMAIN_FORMAT_INACTIVE | (flags & DOMAIN_SAVE_IMAGE_XML_SECURE ? DOMAIN_FORMAT_SECURE : 0),
                              &out);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot format the XML of %s: %s", file, strerror(-r));
        return sd_bus_reply_method_return(msg, "s", out);
}

static int method_image_define_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_free_ char *out = NULL;
        const char *file, *xml;
        uint32_t flags;
        int r;

        r = sd_bus_message_read(msg, "ssu", &file, &xml, &flags);
        if (r < 0)
                return r;
        r = bus_check_flags(flags, DOMAIN_SAVE_RUNNING | DOMAIN_SAVE_PAUSED, error);
        if (r >= 0 && (flags & DOMAIN_SAVE_RUNNING) && (flags & DOMAIN_SAVE_PAUSED))
                r = vb_error_setf(error, VB_ERROR_INVALID_ARG, "the flags RUNNING and PAUSED are mutually exclusive");
        if (r >= 0)
                r = check_file(file, error);
        if (r >= 0)
                r = need_ops(m, m->driver->save && m->driver->save->image_read && m->driver->save->image_update,
                             "DomainSaveImageDefineXML", error);
        if (r >= 0 && !*xml)
                r = vb_error_setf(error, VB_ERROR_INVALID_ARG, "no XML given for the save image %s", file);
        if (r >= 0)
                r = image_definition(m, file, xml, &def, NULL, error);
        if (r < 0)
                return r;
        r = domain_def_format(def, DOMAIN_FORMAT_INACTIVE | DOMAIN_FORMAT_SECURE, &out);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot format the XML for %s: %s", file, strerror(-r));
        r = m->driver->save->image_update(m, file, out,
                                          flags & DOMAIN_SAVE_RUNNING ? 1 : flags & DOMAIN_SAVE_PAUSED ? 0 : -1,
                                          error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, NULL);
}

#define READ SD_BUS_VTABLE_UNPRIVILEGED

const sd_bus_vtable connect_save_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("DomainRestore", "ssu", SD_BUS_PARAM(from) SD_BUS_PARAM(xml) SD_BUS_PARAM(flags),
                                 NULL, , method_restore, 0),
        SD_BUS_METHOD_WITH_NAMES("DomainSaveImageDefineXML", "ssu",
                                 SD_BUS_PARAM(file) SD_BUS_PARAM(xml) SD_BUS_PARAM(flags), NULL, ,
                                 method_image_define_xml, 0),
        SD_BUS_METHOD_WITH_NAMES("DomainSaveImageGetXMLDesc", "su", SD_BUS_PARAM(file) SD_BUS_PARAM(flags), "s",
                                 SD_BUS_PARAM(xml), method_image_get_xml, 0),
        SD_BUS_VTABLE_END,
};
