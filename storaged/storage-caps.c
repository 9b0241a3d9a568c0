/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "command.h"
#include "error.h"
#include "manager.h"
#include "storage-caps.h"
#include "storage-pool-conf.h"
#include "xml-util.h"

static void format_enum(XmlWriter *w, const char *name, const char *const *values, size_t n) {
        xw_start(w, "enum");
        xw_attr(w, "name", name);
        for (size_t i = 0; i < n; i++)
                xw_element(w, "value", values[i]);
        xw_end(w);
}

static void format_default(XmlWriter *w, const char *type) {
        xw_start(w, "defaultFormat");
        xw_attr(w, "type", type);
        xw_end(w);
}

static void format_file_vol_options(XmlWriter *w) {
        static const char *const formats[] = { "raw", "qcow2" };

        xw_start(w, "volOptions");
        format_default(w, "raw");
        format_enum(w, "targetFormatType", formats, ELEMENTSOF(formats));
        xw_end(w);
}

static void format_pool(XmlWriter *w, StoragePoolType t) {
        static const char *const lvm_formats[] = { "unknown", "lvm2" };

        xw_start(w, "pool");
        xw_attr(w, "type", storage_pool_type_to_string(t));
        xw_attr(w, "supported", storage_pool_type_is_supported(t) ? "yes" : "no");
        switch (t) {
        case STORAGE_POOL_DIR:
                format_file_vol_options(w);
                break;
        case STORAGE_POOL_FS:
                xw_start(w, "poolOptions");
                format_default(w, "auto");
                format_enum(w, "sourceFormatType", storage_pool_fs_formats, storage_pool_n_fs_formats);
                xw_end(w);
                format_file_vol_options(w);
                break;
        case STORAGE_POOL_LOGICAL:
                xw_start(w, "poolOptions");
                format_default(w, "lvm2");
                format_enum(w, "sourceFormatType", lvm_formats, ELEMENTSOF(lvm_formats));
                xw_end(w);
                break;
        default:
                break;
        }
        xw_end(w);
}

int storage_pool_caps_format(char **ret) {
        XmlWriter w = {};

        xw_start(&w, "storagepoolCapabilities");
        for (int t = 0; t < _STORAGE_POOL_TYPE_MAX; t++)
                format_pool(&w, (StoragePoolType) t);
        xw_end(&w);
        return xw_finish(&w, ret);
}

int storage_sources_format(const LvmPv *pvs, size_t n, char **ret) {
        XmlWriter w = {};

        xw_start(&w, "sources");
        for (size_t i = 0; i < n; i++) {
                bool first = true;

                if (!*pvs[i].vg_name)
                        continue;
                for (size_t k = 0; k < i && first; k++)
                        first = !streq(pvs[k].vg_name, pvs[i].vg_name);
                if (!first)
                        continue;
                xw_start(&w, "source");
                for (size_t k = i; k < n; k++)
                        if (streq(pvs[k].vg_name, pvs[i].vg_name)) {
                                xw_start(&w, "device");
                                xw_attr(&w, "path", pvs[k].pv_name);
                                xw_end(&w);
                        }
                xw_element(&w, "name", pvs[i].vg_name);
                xw_start(&w, "format");
                xw_attr(&w, "type", "lvm2");
                xw_end(&w);
                xw_end(&w);
        }
        xw_end(&w);
        return xw_finish(&w, ret);
}

typedef struct FindCall {
        sd_bus_message *msg;
        char *xml;
} FindCall;

static int find_work(Job *j, void *userdata) {
        FindCall *c = userdata;
        _cleanup_free_ char *out = NULL;
        const char *argv[] = { "pvs", "--noheadings", "--separator", "#", "-o", "pv_name,vg_name", NULL };
        LvmPv *pvs = NULL;
        size_t n = 0;
        int r;

        r = command_run(j, argv, &out, &j->error);
        if (r < 0)
                return r;
        r = lvm_parse_pvs(out, &pvs, &n);
        if (r >= 0)
                r = storage_sources_format(pvs, n, &c->xml);
        lvm_pvs_free(pvs, n);
        if (r < 0)
                return conf_fail(&j->error, VB_ERROR_OPERATION_FAILED, "cannot list the volume groups");
        return 0;
}

static void find_done(Job *j, int r, void *userdata) {
        FindCall *c = userdata;

        if (r < 0)
                (void) reply_job_error(c->msg, &j->error, r, "cannot find storage pool sources");
        else
                (void) sd_bus_reply_method_return(c->msg, "s", c->xml);
        sd_bus_message_unref(c->msg);
        free(c->xml);
        free(c);
}

int storage_find_sources_async(Manager *m, const char *type, const char *spec, sd_bus_message *msg,
                               sd_bus_error *error) {
        int t = storage_pool_type_from_string(type);
        ConfError err = {};
        FindCall *c;
        int r;

        if (t < 0)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "unknown storage pool type '%s'", type);
        if (t != STORAGE_POOL_LOGICAL)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "finding sources of storage pool type '%s' is not supported (logical only)", type);
        if (job_queue_check_fds(&m->jobs, FD_COST_HELPER, &err) < 0)
                return vb_error_setf(error, err.name, "cannot find storage pool sources: %s", err.message);
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->msg = sd_bus_message_ref(msg);
        r = job_start(&m->jobs, "find-sources", STORAGED_ROOT, FD_COST_HELPER, find_work, find_done, c, NULL);
        if (r < 0) {
                sd_bus_message_unref(c->msg);
                free(c);
                return r;
        }
        return 1;
}
