/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Included by domain-conf.h (after DomainDeviceAddress and DomainNetIp);
 * include that one. */

/* <hostdev>: a device of the host given to the guest (part of
 * domain-conf.h; parse and format in domain-hostdev.c).
 *
 * mode='subsystem' passes a bus device through to a machine: pci, usb,
 * scsi, scsi_host (vhost-scsi) and mdev. mode='capabilities' gives a
 * container what the host has: a block device node (storage), a character
 * device node (misc) or a network interface moved into its namespace
 * (net). The model holds every form of libvirt's schema; which one a
 * driver runs is its own check (lxcd: the capabilities; qemud: none yet). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum DomainHostdevMode {
        DOMAIN_HOSTDEV_MODE_SUBSYSTEM,
        DOMAIN_HOSTDEV_MODE_CAPABILITIES,
        _DOMAIN_HOSTDEV_MODE_MAX,
} DomainHostdevMode;

typedef enum DomainHostdevType {
        /* subsystem */
        DOMAIN_HOSTDEV_PCI,
        DOMAIN_HOSTDEV_USB,
        DOMAIN_HOSTDEV_SCSI,
        DOMAIN_HOSTDEV_SCSI_HOST,
        DOMAIN_HOSTDEV_MDEV,
        /* capabilities */
        DOMAIN_HOSTDEV_STORAGE,
        DOMAIN_HOSTDEV_MISC,
        DOMAIN_HOSTDEV_NET,
        _DOMAIN_HOSTDEV_TYPE_MAX,
} DomainHostdevType;

/* <interface type='hostdev'>: an SR-IOV VF given as a PCI hostdev, with
 * the network side libvirt sets on it (domain-net-hostdev.c). It lives in
 * the hostdev list (QEMU sees a vfio-pci device, "hostdev<N>") and is
 * formatted among the interfaces, at its place. */
typedef struct DomainVlanTag {
        unsigned id;
        char *native_mode;         /* tagged, untagged; NULL: not given */
} DomainVlanTag;

typedef struct DomainHostdevNet {
        bool is_interface;
        size_t position;           /* how many other <interface>s come before it */
        uint8_t mac[6];
        bool mac_given;            /* else generated at parse, then formatted */
        char *model;               /* <model type=''/>: kept, QEMU sees the VF */
        DomainVlanTag *tags;       /* <vlan><tag id=''/></vlan> */
        size_t n_tags;
        Tristate trunk;            /* <vlan trunk=''> */
        char *vport_type;          /* <virtualport type=''>: 802.1Qbg, 802.1Qbh */
        char *managerid, *typeid, *typeidversion, *instanceid, *profileid; /* its <parameters> */
        bool has_vport;
        char *teaming_persistent;  /* <teaming type='transient' persistent=''/>: virtio-net's failover pair */
} DomainHostdevNet;

typedef struct DomainHostdevDef {
        DomainHostdevMode mode;
        DomainHostdevType type;
        int managed;               /* Tristate (subsystem only) */

        /* pci: <driver name=''/>, <source><address domain bus slot function/> */
        char *driver_name;
        unsigned pci_domain, pci_bus, pci_slot, pci_function;
        /* usb: <vendor id=''/><product id=''/> and/or <address bus device/> */
        unsigned usb_vendor, usb_product, usb_bus, usb_device;
        bool has_usb_product, has_usb_address;
        char *startup_policy;      /* pci, usb */
        char *guest_reset;         /* usb */
        /* scsi: <source><adapter name=''/><address bus target unit/> */
        char *scsi_adapter;
        unsigned scsi_bus, scsi_target, scsi_unit;
        char *sgio;                /* filtered, unfiltered */
        /* scsi over iSCSI: <source protocol='iscsi' name='IQN/LUN'> with its
         * <host>, <auth>, <initiator>, held as a network disk's source
         * (domain-hostdev-iscsi.c); NULL: the host's adapter above */
        DomainDiskDef *iscsi;
        int rawio;                 /* Tristate */
        /* scsi_host: <source protocol='vhost' wwpn=''/>, model='' */
        char *wwpn;
        char *model;               /* scsi_host: virtio...; mdev: vfio-pci, vfio-ccw, vfio-ap */
        /* mdev: <source><address uuid=''/></source>, display='', ramfb='' */
        char *mdev_uuid;
        int display, ramfb;        /* Tristate */

        /* storage: <source><block>, misc: <source><char>, net: <source><interface> */
        char *caps_path;
        char *caps_ifname;
        DomainNetIp *ips;          /* net: <ip>, <route> set in the container */
        size_t n_ips;
        DomainNetRoute *routes;
        size_t n_routes;

        unsigned boot_order;
        DomainRomDef rom;          /* pci: <rom bar='' file='' enabled=''/> */
        bool readonly, shareable;
        DomainDeviceAddress addr;  /* pci, drive or usb; NONE: not given */
        char *alias;               /* live */
        DomainHostdevNet net;
} DomainHostdevDef;

const char *domain_hostdev_mode_to_string(DomainHostdevMode m);
const char *domain_hostdev_type_to_string(DomainHostdevType t);
/* "pci 0000:06:12.5", "net eth3", "storage /dev/sdb": the device as messages name it. */
void domain_hostdev_describe(const DomainHostdevDef *h, char *buf, size_t size);
