/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Connect: the control group's one method. */
#include "connect-dbus.h"
#include "error.h"

/* libvirt's QEMU driver has no domainCreateXMLWithFiles (only LXC has):
 * libvirt answers "not supported", and so does qemud. A driver that takes
 * files will get a hook in DomainControlOps. */
static int method_domain_create_xml_with_files(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                             "this function is not supported by the connection driver: virDomainCreateXMLWithFiles");
}

const sd_bus_vtable connect_control_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("DomainCreateXMLWithFiles", "sahu",
                                 SD_BUS_PARAM(xml) SD_BUS_PARAM(files) SD_BUS_PARAM(flags), "o", SD_BUS_PARAM(domain),
                                 method_domain_create_xml_with_files, 0),
        SD_BUS_VTABLE_END,
};
