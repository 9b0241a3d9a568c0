/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <disk>: its source (file, block, volume, network), driver, guest-visible
 * options, backing chain and mirror.
 * Part of domain-conf.h, which includes it where these types belong: include
 * domain-conf.h, not this file. */

typedef enum DomainDiskType {
        DOMAIN_DISK_TYPE_FILE,
        DOMAIN_DISK_TYPE_BLOCK,
        DOMAIN_DISK_TYPE_VOLUME,  /* <source pool='' volume=''/>, resolved by storaged */
        DOMAIN_DISK_TYPE_NETWORK, /* <source protocol=''>: DomainDiskNetSource, domain-disk-net.c */
        DOMAIN_DISK_TYPE_DIR,     /* <source dir=''/>: a host directory as a read-only FAT disk (vvfat) */
        DOMAIN_DISK_TYPE_NVME,    /* <source type='pci' namespace=''>: DomainDiskNvme, domain-disk-nvme.c */
        DOMAIN_DISK_TYPE_VHOSTUSER, /* <source type='unix' path=''>: DomainDiskVhostUser, domain-disk-vhostuser.c */
        _DOMAIN_DISK_TYPE_MAX,
} DomainDiskType;

/* <source protocol=''> of a network disk: libvirt's protocols, whether or
 * not a driver can use them (that is the driver's own check). */
typedef enum DomainDiskProtocol {
        DOMAIN_DISK_PROTOCOL_NBD,
        DOMAIN_DISK_PROTOCOL_ISCSI,
        DOMAIN_DISK_PROTOCOL_RBD,
        DOMAIN_DISK_PROTOCOL_SHEEPDOG,
        DOMAIN_DISK_PROTOCOL_GLUSTER,
        DOMAIN_DISK_PROTOCOL_VXHS,
        DOMAIN_DISK_PROTOCOL_NFS,
        DOMAIN_DISK_PROTOCOL_HTTP,
        DOMAIN_DISK_PROTOCOL_HTTPS,
        DOMAIN_DISK_PROTOCOL_FTP,
        DOMAIN_DISK_PROTOCOL_FTPS,
        DOMAIN_DISK_PROTOCOL_TFTP,
        _DOMAIN_DISK_PROTOCOL_MAX,
} DomainDiskProtocol;

typedef enum DomainDiskTransport {
        DOMAIN_DISK_TRANSPORT_DEFAULT, /* not given: tcp */
        DOMAIN_DISK_TRANSPORT_TCP,
        DOMAIN_DISK_TRANSPORT_UNIX,
        DOMAIN_DISK_TRANSPORT_RDMA,
        _DOMAIN_DISK_TRANSPORT_MAX,
} DomainDiskTransport;

/* <host name='' port='' transport='' socket=''/> */
typedef struct DomainDiskHost {
        char *name;            /* tcp, rdma */
        unsigned port;         /* 0: not given, the protocol's default */
        DomainDiskTransport transport;
        char *socket;          /* unix */
} DomainDiskHost;

typedef struct DomainDiskCookie {
        char *name, *value;
} DomainDiskCookie;

typedef struct DomainDiskNetSource {
        DomainDiskProtocol protocol;
        char *name;            /* export, target, pool/image, volume/path, or the URL's path */
        char *query;           /* http, https */
        Tristate tls;          /* nbd, vxhs: tls='yes|no' */
        char *tls_hostname;    /* nbd */
        DomainDiskHost *hosts;
        size_t n_hosts;
        char *snapshot, *config; /* rbd: <snapshot name=''/>, <config file=''/> */
        char *initiator_iqn;   /* iscsi: <initiator><iqn name=''/></initiator> */
        Tristate ssl_verify;   /* https, ftps: <ssl verify='yes|no'/> */
        DomainDiskCookie *cookies; /* http, https */
        size_t n_cookies;
        uint64_t readahead;    /* bytes, 0 = not given */
        uint64_t timeout;      /* seconds, 0 = not given */
        char *nfs_user, *nfs_group; /* nfs: <identity user='' group=''/> */
} DomainDiskNetSource;

/* <disk type='nvme'>: a namespace of the host's NVMe controller at a PCI address. */
typedef struct DomainDiskNvme {
        uint64_t ns;           /* namespace='', from 1 */
        Tristate managed;      /* managed='yes|no' */
        bool has_address;
        unsigned pci_domain, pci_bus, pci_slot, pci_function;
} DomainDiskNvme;

/* <disk type='vhostuser'>: a vhost-user-blk back end (qemu-storage-daemon,
 * SPDK...) on a unix socket QEMU connects to. */
typedef struct DomainDiskVhostUser {
        char *path;            /* the socket */
        Tristate reconnect;    /* <reconnect enabled='yes|no'> */
        unsigned reconnect_timeout; /* seconds, 0 = not given */
} DomainDiskVhostUser;

/* <source><reservations managed=''>: SCSI persistent reservations of a
 * device='lun' disk go through a qemu-pr-helper (domain-disk-reservations.c):
 * managed='yes' one the driver runs for the guest, else the one listening on
 * <source type='unix' path='' mode='client'/>. */
typedef struct DomainDiskReservations {
        Tristate managed;
        char *path;            /* managed='no': the helper's socket; managed: live, the driver's */
} DomainDiskReservations;

typedef enum DomainDiskDevice {
        DOMAIN_DISK_DEVICE_DISK,
        DOMAIN_DISK_DEVICE_CDROM,
        DOMAIN_DISK_DEVICE_FLOPPY,     /* on bus fdc only */
        DOMAIN_DISK_DEVICE_LUN,        /* SCSI commands passed to the host's device: scsi-block */
        _DOMAIN_DISK_DEVICE_MAX,
} DomainDiskDevice;

typedef enum DomainDiskBus {
        DOMAIN_DISK_BUS_VIRTIO,
        DOMAIN_DISK_BUS_SATA,
        DOMAIN_DISK_BUS_SCSI,
        DOMAIN_DISK_BUS_IDE,
        DOMAIN_DISK_BUS_FDC,           /* floppies: fda, fdb */
        DOMAIN_DISK_BUS_USB,           /* usb-storage: bus='usb' only, never derived from dst */
        DOMAIN_DISK_BUS_SD,            /* an SD card: QEMU's -drive if=sd, bus='sd' only */
        _DOMAIN_DISK_BUS_MAX,
} DomainDiskBus;

typedef enum DomainDiskFormat {
        DOMAIN_DISK_FORMAT_NONE, /* not given: raw */
        DOMAIN_DISK_FORMAT_RAW,
        DOMAIN_DISK_FORMAT_QCOW2,
        DOMAIN_DISK_FORMAT_FAT,  /* type='dir' only: QEMU's vvfat under a raw node */
        DOMAIN_DISK_FORMAT_VMDK, /* QEMU's vmdk driver */
        _DOMAIN_DISK_FORMAT_MAX,
} DomainDiskFormat;

typedef enum DomainDiskCache {
        DOMAIN_DISK_CACHE_DEFAULT,
        DOMAIN_DISK_CACHE_NONE,
        DOMAIN_DISK_CACHE_WRITETHROUGH,
        DOMAIN_DISK_CACHE_WRITEBACK,
        DOMAIN_DISK_CACHE_DIRECTSYNC,
        DOMAIN_DISK_CACHE_UNSAFE,
        _DOMAIN_DISK_CACHE_MAX,
} DomainDiskCache;

/* <driver discard=''/>: what a guest's TRIM does to the image. */
typedef enum DomainDiskDiscard {
        DOMAIN_DISK_DISCARD_DEFAULT, /* not given: QEMU's default, ignore */
        DOMAIN_DISK_DISCARD_UNMAP,
        DOMAIN_DISK_DISCARD_IGNORE,
        _DOMAIN_DISK_DISCARD_MAX,
} DomainDiskDiscard;

typedef enum DomainDiskIo {
        DOMAIN_DISK_IO_DEFAULT,
        DOMAIN_DISK_IO_THREADS,
        DOMAIN_DISK_IO_NATIVE,
        DOMAIN_DISK_IO_URING,
        _DOMAIN_DISK_IO_MAX,
} DomainDiskIo;

/* <iotune>: 0 means not set. Values are checked against LLONG_MAX. */
typedef struct DomainDiskIotune {
        uint64_t total_bytes_sec, read_bytes_sec, write_bytes_sec;
        uint64_t total_iops_sec, read_iops_sec, write_iops_sec;
        uint64_t total_bytes_sec_max, read_bytes_sec_max, write_bytes_sec_max;
        uint64_t total_iops_sec_max, read_iops_sec_max, write_iops_sec_max;
        uint64_t size_iops_sec;
        char *group_name;
        /* how long (seconds) a *_max burst may last */
        uint64_t total_bytes_sec_max_length, read_bytes_sec_max_length, write_bytes_sec_max_length;
        uint64_t total_iops_sec_max_length, read_iops_sec_max_length, write_iops_sec_max_length;
} DomainDiskIotune;

/* <source><slices><slice type='storage' offset='' size=''/>: the bytes
 * of the file or device the image is in (domain-disk-slice.c). */
typedef struct DomainDiskSlice {
        bool set;
        uint64_t offset, size;
} DomainDiskSlice;

/* One layer under a disk's image, as the live XML shows it:
 * <backingStore type='file' index='1'><format type='raw'/><source file=''/>
 * ...</backingStore>. */
typedef struct DomainDiskBacking {
        DomainDiskType type;   /* file, block or network */
        DomainDiskFormat format;
        char *path;
        unsigned index;        /* libvirt's: 1 for the first layer under the image, 0 = not given */
        char *fdgroup;         /* <source fdgroup=''>: file only, as the image's */
        DomainDevSeclabelDef *seclabels; /* <source><seclabel> */
        size_t n_seclabels;
        uint64_t metadata_cache_max; /* <format><metadata_cache><max_size>: bytes, 0 = not set */
        DomainDiskSlice slice;  /* <source><slices> */
        /* type network: its <source protocol=''> (path NULL then), and a
         * layer's <source><encryption> (domain-disk-backing-src.c) */
        DomainDiskNetSource *net;
        struct DomainDiskEncryption *encryption;
} DomainDiskBacking;

/* The other end of a running block copy or active commit, live only:
 * <mirror type='file' file='' format='' job='copy' ready='yes'>. */
typedef struct DomainDiskMirror {
        DomainDiskType type;   /* file or block */
        DomainDiskFormat format;
        uint64_t metadata_cache_max; /* as a backing layer's */
        char *path;
        char *job;             /* "copy" or "active-commit" */
        char *ready;           /* NULL (not yet), "yes", "abort" or "pivot" */
        unsigned src_index;    /* <source index=''>, 0 = not given */
        /* its own chain, as a disk's: <mirror><backingStore>, top first */
        DomainDiskBacking *backing;
        size_t n_backing;
        bool backing_known;
} DomainDiskMirror;

/* What the guest sees of a drive besides its contents (domain-disk-guest.c):
 * <wwn>, <vendor>, <product>, <geometry>, <blockio>, <target tray=''
 * rotation_rate=''/>, <transient/>. Strings are as given, NULL = not set. */
typedef struct DomainDiskGuestOpts {
        char *wwn;             /* 16 hex digits, "0x" allowed */
        char *vendor, *product;
        unsigned cyls, heads, secs; /* <geometry>: all three or none */
        char *trans;           /* <geometry trans=''>: none, lba, auto */
        unsigned logical_block_size, physical_block_size; /* <blockio>, 0 = not set */
        bool tray_open;        /* <target tray='open'/>: cdrom and floppy */
        unsigned rotation_rate; /* 0 = not set, 1 = solid state */
        bool transient, transient_share_backing; /* <transient shareBacking='yes'/> */
        bool transient_overlay; /* live only: this start made the overlay (qemud), to remove at the end */
} DomainDiskGuestOpts;

/* <driver> attributes beyond the image format and cache (domain-disk-driver.c). */
typedef struct DomainDiskDriverOpts {
        char *error_policy, *rerror_policy; /* stop, report, ignore, enospace (write only) */
        char *detect_zeroes;   /* off, on, unmap */
        Tristate copy_on_read;
        unsigned queues, queue_size; /* virtio-blk, 0 = not set */
        DomainVirtioOpts virtio;
        uint64_t metadata_cache_max; /* <metadata_cache><max_size>: bytes, 0 = not set */
} DomainDiskDriverOpts;

typedef struct DomainDiskDef {
        DomainDiskType type;
        DomainDiskDevice device;
        DomainDiskFormat format;
        DomainDiskCache cache;
        DomainDiskIo io;
        DomainDiskDiscard discard;
        char *driver_name;     /* <driver name=''/> as given ("qemu"); which a driver takes is its own rule */
        char *src;             /* file or block device path; live: resolved volume path */
        char *src_pool, *src_volume; /* type=volume; both NULL: an empty drive */
        char *src_mode;        /* type=volume: <source mode='host|direct'>, how an iSCSI pool's LUN is reached */
        char *fdgroup;         /* type=file: <source fdgroup=''>, fds passed by the client instead of a path */
        unsigned src_index;    /* live: <source index=''>, libvirt's number of the image in the chain, 0 = none */
        DomainDiskSlice slice; /* <source><slices> */
        DomainDiskNetSource *net; /* type=network */
        DomainDiskNvme *nvme;  /* type=nvme */
        DomainDiskVhostUser *vhostuser; /* type=vhostuser */
        DomainDiskReservations *pr; /* <source><reservations> */
        char *dst;             /* target dev: "vda", "sda", "hdc" */
        DomainDiskBus bus;
        bool bus_given;        /* bus attribute present (else derived from dst) */
        Tristate removable;    /* <target removable='on|off'/>: usb only */
        bool readonly, shareable;
        char *serial;
        unsigned boot_order;   /* 0 = none */
        unsigned iothread;     /* <driver iothread=''/>: the IOThread's id, 0 = none */
        Tristate ioeventfd, event_idx; /* <driver ioeventfd='on|off' event_idx='on|off'/>: virtio only */
        bool has_iotune;
        DomainDiskIotune iotune;
        DomainDeviceAddress addr; /* pci (virtio), drive (sata, scsi, ide) or usb */
        char *alias;           /* live: "virtio-disk0" */
        /* Live: the layers under src, top first, and whether they were read
         * (a known chain ends in an empty <backingStore/>). */
        DomainDiskBacking *backing;
        size_t n_backing;
        bool backing_known;
        DomainDiskMirror *mirror; /* live: a block copy's or active commit's target */
        DomainDevSeclabelDef *seclabels; /* <source><seclabel>: domain-seclabel.h */
        size_t n_seclabels;
        DomainDiskGuestOpts guest;     /* what the guest sees of the drive: domain-disk-guest.c */
        DomainDiskDriverOpts drv;      /* the rest of <driver>: domain-disk-driver.c */
        char *model;           /* <disk model=''>: virtio, virtio-transitional, virtio-non-transitional */
        char *snapshot;        /* <disk snapshot=''>: no, internal, external, manual */
        char *startup_policy;  /* <source startupPolicy=''>: mandatory, requisite, optional */
        unsigned acpi_index;   /* <acpi index=''/>, 0 = not set */
        Tristate rawio;        /* <disk rawio='yes|no'>: device='lun' only, QEMU keeps CAP_SYS_RAWIO */
        char *sgio;            /* <disk sgio='filtered'>: device='lun' only */
        struct DomainDiskEncryption *encryption; /* domain-disk-secret.h */
        struct DomainDiskAuth *auth;
} DomainDiskDef;
