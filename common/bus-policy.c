/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-policy.h"
#include "util.h"

static const BusMethod qemud_open[] = {
        { "org.libvirt.Connect", "ListDomains" },
        { "org.libvirt.Connect", "DomainLookupByName" },
        { "org.libvirt.Connect", "DomainLookupByUUID" },
        { "org.libvirt.Connect", "DomainLookupByID" },
        { "org.libvirt.Connect", "GetCapabilities" },
        { "org.libvirt.Connect", "GetDomainCapabilities" },
        /* statistics and the node (connect-node-dbus.c) */
        { "org.libvirt.Connect", "GetAllDomainStats" },
        { "org.libvirt.Connect", "NodeGetCPUStats" },
        { "org.libvirt.Connect", "NodeGetMemoryStats" },
        { "org.libvirt.Connect", "NodeGetFreeMemory" },
        { "org.libvirt.Connect", "NodeGetCPUMap" },
        { "org.libvirt.Connect", "NodeGetMemoryParameters" },
        { "org.libvirt.Connect", "GetSysinfo" },
        { "org.libvirt.Connect", "GetCPUModelNames" },
        { "org.libvirt.Connect", "CompareCPU" },
        { "org.libvirt.Connect", "BaselineCPU" },
        /* security models and labels (connect-security-dbus.c, domain-security-dbus.c) */
        { "org.libvirt.Connect", "NodeGetSecurityModel" },
        /* with the secure flag, root's only: checked by the method */
        { "org.libvirt.Domain", "GetXMLDesc" },
        { "org.libvirt.Domain", "GetState" },
        { "org.libvirt.Domain", "GetMessages" },
        { "org.libvirt.Domain", "GetStats" },
        /* vCPUs, IOThreads, balloon (domain-resources-dbus.c) */
        { "org.libvirt.Domain", "GetVcpus" },
        { "org.libvirt.Domain", "GetIOThreadInfo" },
        { "org.libvirt.Domain", "MemoryStats" },
        { "org.libvirt.Domain", "GetMetadata" },
        { "org.libvirt.Domain", "GetControlInfo" },
        { "org.libvirt.Domain", "GetDiskErrors" },
        { "org.libvirt.Domain", "GetSecurityLabelList" },
        /* block jobs (domain-block-dbus.c) */
        { "org.libvirt.Domain", "GetBlockJobInfo" },
        /* tuning (domain-tune-dbus.c) */
        { "org.libvirt.Domain", "GetSchedulerParameters" },
        { "org.libvirt.Domain", "GetBlockIOTune" },
        { "org.libvirt.Domain", "GetVcpuPinInfo" },
        { "org.libvirt.Domain", "GetEmulatorPinInfo" },
        { "org.libvirt.Domain", "GetNumaParameters" },
        { "org.libvirt.Domain", "GetMemoryParameters" },
        { "org.libvirt.Domain", "GetBlockIOParameters" },
        { "org.libvirt.Domain", "GetInterfaceParameters" },
        /* perf events (domain-perf-dbus.c), vCPU details (org.virtbus.Domain1) */
        { "org.libvirt.Domain", "GetPerfEvents" },
        { "org.virtbus.Domain1", "GetVcpuInfo" },
        /* save, job progress (domain-save-dbus.c) */
        { "org.libvirt.Domain", "GetJobInfo" },
        { "org.libvirt.Domain", "GetJobStats" },
        { "org.libvirt.Domain", "HasManagedSaveImage" },
        /* snapshots (domain-snapshot-dbus.c, domain-snapshot-obj-dbus.c) */
        { "org.libvirt.Domain", "ListDomainSnapshots" },
        { "org.libvirt.Domain", "SnapshotLookupByName" },
        { "org.libvirt.Domain", "SnapshotCurrent" },
        { "org.libvirt.DomainSnapshot", "GetXMLDesc" },
        { "org.libvirt.DomainSnapshot", "GetParent" },
        { "org.libvirt.DomainSnapshot", "ListChildren" },
        { "org.libvirt.DomainSnapshot", "IsCurrent" },
};

static const BusMethod storaged_open[] = {
        { "org.libvirt.Connect", "ListStoragePools" },
        { "org.libvirt.Connect", "StoragePoolLookupByName" },
        { "org.libvirt.Connect", "StoragePoolLookupByUUID" },
        { "org.libvirt.Connect", "StorageVolLookupByKey" },
        { "org.libvirt.Connect", "StorageVolLookupByPath" },
        { "org.libvirt.Connect", "GetStoragePoolCapabilities" },
        { "org.libvirt.StoragePool", "GetInfo" },
        { "org.libvirt.StoragePool", "GetXMLDesc" },
        { "org.libvirt.StoragePool", "ListStorageVolumes" },
        { "org.libvirt.StoragePool", "StorageVolLookupByName" },
        { "org.libvirt.StorageVol", "GetInfo" },
        { "org.libvirt.StorageVol", "GetXMLDesc" },
        { "org.virtbus.Storage1", "ResolveVolume" },
        { "org.virtbus.Storage1", "ListVolumesInUse" },
        { "org.virtbus.Storage1", "ListJobs" },
};

static const BusMethod networkd_open[] = {
        { "org.libvirt.Connect", "ListNetworks" },
        { "org.libvirt.Connect", "NetworkLookupByName" },
        { "org.libvirt.Connect", "NetworkLookupByUUID" },
        { "org.libvirt.Network", "GetXMLDesc" },
        { "org.libvirt.Network", "GetDHCPLeases" },
        { "org.virtbus.NetworkPort1", "ListPorts" },
};

static const BusMethod lockd_open[] = {
        { "org.virtbus.Lock1", "ListLeases" },
        { "org.virtbus.Lock1", "ListOwners" },
};

/* A secret's value is root's (GetValue is not listed); that it exists is not. */
static const BusMethod secretd_open[] = {
        { "org.libvirt.Connect", "ListSecrets" },
        { "org.libvirt.Connect", "SecretLookupByUUID" },
        { "org.libvirt.Connect", "SecretLookupByUsage" },
        { "org.libvirt.Secret", "GetXMLDesc" },
};

static const BusPolicy policies[] = {
        { "qemud", qemud_open, ELEMENTSOF(qemud_open) },
        /* the same domain core (common/domain/) answers them */
        { "lxcd", qemud_open, ELEMENTSOF(qemud_open) },
        { "storaged", storaged_open, ELEMENTSOF(storaged_open) },
        { "networkd", networkd_open, ELEMENTSOF(networkd_open) },
        { "lockd", lockd_open, ELEMENTSOF(lockd_open) },
        { "secretd", secretd_open, ELEMENTSOF(secretd_open) },
        /* guest logs are root's, Tail included */
        { "logd", NULL, 0 },
        /* root only until org.libvirt opens what the daemons behind it open
         * (proxy/libvirt-dbus.c, bus_access_set_open()) */
        { "proxyd", NULL, 0 },
};

const BusPolicy *bus_policy_find(const char *daemon) {
        for (size_t i = 0; i < ELEMENTSOF(policies); i++)
                if (streq(policies[i].daemon, daemon))
                        return &policies[i];
        return NULL;
}
