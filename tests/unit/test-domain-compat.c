/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Domain XML as the tools write it: virt-install, virt-manager, Windows
 * guests, UEFI firmware, addresses, timers, channels. */

#include "domain-test.h"

static void test_virt_install(void) {
        _cleanup_free_ char *path = NULL, *xml = NULL, *live = NULL, *inactive = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        const DomainChrDef *serial, *channel;

        CHECK(asprintf(&path, "%s/virt-install.xml", data_dir()) > 0);
        xml = read_file(path);
        if (!xml || !(def = parse_ok(xml, path)))
                return;
        CHECK_INTEQ(def->clock.n_timers, 3);
        CHECK_INTEQ(def->clock.timers[0].name, DOMAIN_TIMER_RTC);
        CHECK_INTEQ(def->clock.timers[0].tickpolicy, DOMAIN_TIMER_TICKPOLICY_CATCHUP);
        CHECK_INTEQ(def->clock.timers[1].name, DOMAIN_TIMER_PIT);
        CHECK_INTEQ(def->clock.timers[1].tickpolicy, DOMAIN_TIMER_TICKPOLICY_DELAY);
        CHECK_INTEQ(def->clock.timers[2].name, DOMAIN_TIMER_HPET);
        CHECK_INTEQ(def->clock.timers[2].present, TRISTATE_OFF);
        CHECK_INTEQ(def->pm.suspend_to_mem, TRISTATE_OFF);
        CHECK_INTEQ(def->pm.suspend_to_disk, TRISTATE_OFF);
        CHECK_INTEQ(def->features.vmport, TRISTATE_OFF);
        CHECK_INTEQ(def->features.smm, TRISTATE_ABSENT);
        CHECK_INTEQ(def->cpu.migratable, TRISTATE_ON);
        CHECK_INTEQ(def->disks[0].discard, DOMAIN_DISK_DISCARD_UNMAP);
        CHECK_INTEQ(def->disks[0].addr.type, DOMAIN_ADDRESS_PCI);
        CHECK_INTEQ(def->disks[0].addr.bus, 4);
        CHECK_INTEQ(def->disks[1].addr.type, DOMAIN_ADDRESS_DRIVE);
        CHECK_INTEQ(def->n_controllers, 18);
        if (def->n_controllers == 18) {
                const DomainControllerDef *rp = &def->controllers[2];

                CHECK_STREQ(rp->model_name, "pcie-root-port");
                CHECK(rp->has_target_chassis && rp->target_chassis == 1);
                CHECK(rp->has_target_port && rp->target_port == 0x10);
                CHECK_INTEQ(rp->addr.slot, 2);
                CHECK_INTEQ(rp->addr.multifunction, TRISTATE_ON);
                CHECK_INTEQ(def->controllers[16].addr.slot, 0x1f);
                CHECK_INTEQ(def->controllers[16].addr.function, 2);
        }
        CHECK_INTEQ(def->n_chrs, 3);
        if (def->n_chrs != 3)
                return;
        serial = &def->chrs[0];
        channel = &def->chrs[2];
        CHECK_STREQ(serial->target_model, "isa-serial");
        CHECK_INTEQ(channel->kind, DOMAIN_CHR_CHANNEL);
        CHECK_STREQ(channel->target_name, "org.qemu.guest_agent.0");
        CHECK(channel->listen && !channel->path);
        CHECK_INTEQ(channel->addr.type, DOMAIN_ADDRESS_VIRTIO_SERIAL);
        CHECK(channel->addr.has_port && channel->addr.port == 1);
        CHECK_INTEQ(def->inputs[0].addr.type, DOMAIN_ADDRESS_USB);
        CHECK(def->inputs[0].addr.n_usb_port == 1 && def->inputs[0].addr.usb_port[0] == 1);

        inactive = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK_CONTAINS(inactive, "<timer name='rtc' tickpolicy='catchup'/>");
        CHECK_CONTAINS(inactive, "<timer name='hpet' present='no'/>");
        CHECK_CONTAINS(inactive, "<suspend-to-disk enabled='no'/>");
        CHECK_CONTAINS(inactive, "<vmport state='off'/>");
        CHECK_CONTAINS(inactive, "<address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>");
        CHECK_CONTAINS(inactive, "<address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0' "
                                 "multifunction='on'/>");
        CHECK_CONTAINS(inactive, "<target chassis='14' port='0x1d'/>");
        CHECK_CONTAINS(inactive, "<address type='drive' controller='0' bus='0' target='0' unit='0'/>");
        CHECK_CONTAINS(inactive, "<model name='isa-serial'/>");
        CHECK_CONTAINS(inactive, "<channel type='unix'>\n      <target type='virtio' name='org.qemu.guest_agent.0'/>");
        CHECK_CONTAINS(inactive, "<address type='virtio-serial' controller='0' bus='0' port='1'/>");
        CHECK_CONTAINS(inactive, "<address type='usb' bus='0' port='1'/>");

        /* the socket the driver places and the agent's state belong to the running guest */
        def->chrs[2].path = strdup("/run/virtbus/qemu/debian12.channel0.sock");
        def->chrs[2].path_auto = true;
        def->chrs[2].target_state = strdup("connected");
        def->chrs[2].alias = strdup("channel0");
        free(inactive);
        inactive = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        live = format_ok(def, 0);
        CHECK_NOT_CONTAINS(inactive, "channel0.sock");
        CHECK_NOT_CONTAINS(inactive, "state='connected'");
        CHECK_CONTAINS(live, "<source mode='bind' path='/run/virtbus/qemu/debian12.channel0.sock'/>");
        CHECK_CONTAINS(live, "<target type='virtio' name='org.qemu.guest_agent.0' state='connected'/>");
        CHECK_CONTAINS(live, "<alias name='channel0'/>");
}

/* What virt-manager writes for a desktop guest with SPICE. */
static void test_virt_manager_desktop(void) {
        _cleanup_free_ char *path = NULL, *xml = NULL, *inactive = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        const DomainGraphicsDef *g;
        const DomainVideoDef *v;

        CHECK(asprintf(&path, "%s/virt-manager-desktop.xml", data_dir()) > 0);
        xml = read_file(path);
        if (!xml || !(def = parse_ok(xml, path)))
                return;
        CHECK(def->n_sounds == 1 && def->n_audios == 1 && def->n_redirdevs == 2 && def->n_graphics == 1 &&
              def->n_videos == 1 && def->n_chrs == 4);
        if (unit_failed_checks)
                return;
        CHECK_INTEQ(def->sounds[0].model, DOMAIN_SOUND_ICH9);
        CHECK_INTEQ(def->sounds[0].n_codecs, 0);
        CHECK_INTEQ(def->sounds[0].addr.slot, 0x1b);
        CHECK_INTEQ(def->audios[0].id, 1);
        CHECK_INTEQ(def->audios[0].type, DOMAIN_AUDIO_SPICE);
        CHECK_INTEQ(def->redirdevs[1].type, DOMAIN_CHR_SPICEVMC);
        CHECK_INTEQ(def->redirdevs[1].addr.usb_port[0], 3);
        CHECK_INTEQ(def->chrs[3].type, DOMAIN_CHR_SPICEVMC);
        CHECK_STREQ(def->chrs[3].target_name, "com.redhat.spice.0");
        g = &def->graphics[0];
        CHECK_STREQ(g->image_compression, "off");
        CHECK_INTEQ(g->gl, TRISTATE_OFF);
        v = &def->videos[0];
        CHECK(v->ram == 65536 && v->vram == 65536 && v->vgamem == 16384 && v->heads == 1 && v->primary);
        CHECK_INTEQ(domain_def_validate(def, &(ConfError) {}), 0);

        inactive = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK_CONTAINS(inactive, "<channel type='spicevmc'>\n      <target type='virtio' name='com.redhat.spice.0'/>");
        CHECK_CONTAINS(inactive, "<image compression='off'/>\n      <gl enable='no'/>\n    </graphics>");
        CHECK_CONTAINS(inactive, "<sound model='ich9'>\n      <address type='pci'");
        CHECK_CONTAINS(inactive, "<audio id='1' type='spice'/>");
        CHECK_CONTAINS(inactive, "<model type='qxl' ram='65536' vram='65536' vgamem='16384' heads='1' primary='yes'/>");
        CHECK_CONTAINS(inactive, "<redirdev bus='usb' type='spicevmc'>\n      <address type='usb' bus='0' port='3'/>");

        /* a spicevmc channel without a name is the agent's, as in libvirt */
        {
                _cleanup_free_ char *x = domain_with(NULL, "<channel type='spicevmc'><target type='virtio'/></channel>");
                _cleanup_(domain_def_freep) DomainDef *d = parse_ok(x, "spicevmc without name");

                CHECK(d && d->n_chrs == 1 && streq_ptr(d->chrs[0].target_name, "com.redhat.spice.0"));
        }
}

static void test_addresses(void) {
        {
                _cleanup_free_ char *xml = domain_with(NULL,
                        "<interface type='user'><mac address='52:54:00:00:00:01'/>"
                        "<address type='pci' bus='4' slot='0x1F' function='7' multifunction='off'/></interface>"
                        "<input type='tablet' bus='usb'><address type='usb' bus='1' port='1.2.3'/></input>"
                        "<console type='pty'><target type='virtio'/><address type='virtio-serial' controller='1'/></console>");
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "addresses");
                _cleanup_free_ char *out = def ? format_ok(def, 0) : NULL;

                if (def) {
                        CHECK_INTEQ(def->nets[0].addr.bus, 4);
                        CHECK_INTEQ(def->nets[0].addr.slot, 31);
                        CHECK_INTEQ(def->nets[0].addr.function, 7);
                        CHECK_INTEQ(def->inputs[0].addr.n_usb_port, 3);
                        CHECK(!def->chrs[0].addr.has_port);
                }
                CHECK_CONTAINS(out, "<address type='pci' domain='0x0000' bus='0x04' slot='0x1f' function='0x7' "
                                    "multifunction='off'/>");
                CHECK_CONTAINS(out, "<address type='usb' bus='1' port='1.2.3'/>");
                CHECK_CONTAINS(out, "<address type='virtio-serial' controller='1' bus='0'/>");
        }
        REFUSED(NULL, "<interface type='user'><address type='pci' slot='32'/></interface>", VB_ERROR_INVALID_ARG,
                "'32' of attribute 'slot' of <devices/interface/address> is out of range");
        REFUSED(NULL, "<interface type='user'><address type='pci' slot='5' function='8'/></interface>",
                VB_ERROR_INVALID_ARG, "'function'");
        REFUSED(NULL, "<interface type='user'><address type='pci' bus='0x100' slot='5'/></interface>",
                VB_ERROR_INVALID_ARG, "'bus'");
        REFUSED(NULL, "<interface type='user'><address type='pci' slot='08'/></interface>", VB_ERROR_INVALID_ARG,
                "'08' of attribute 'slot'");
        REFUSED(NULL, "<interface type='user'><address type='pci' slot='0x'/></interface>", VB_ERROR_INVALID_ARG,
                "'0x'");
        REFUSED(NULL, "<interface type='user'><address type='pci' domain='0x0001' slot='5'/></interface>",
                VB_ERROR_NOT_SUPPORTED, "PCI domain 0x0001");
        REFUSED(NULL, "<interface type='user'><address type='pci' slot='5'/><address type='pci' slot='6'/></interface>",
                VB_ERROR_XML, "<devices/interface/address> is given more than once");
        REFUSED(NULL, "<interface type='user'><address type='drive' unit='1'/></interface>", VB_ERROR_NOT_SUPPORTED,
                "address type 'drive' of <devices/interface/address> is not supported for this device");
        REFUSED(NULL, "<interface type='user'><address slot='1'/></interface>", VB_ERROR_XML, "'type'");
        REFUSED(NULL, "<input type='mouse' bus='ps2'><address type='usb' bus='0' port='1'/></input>",
                VB_ERROR_NOT_SUPPORTED, "address type 'usb' of <devices/input/address>");
        REFUSED(NULL, "<input type='tablet' bus='usb'><address type='usb' port='1'/></input>", VB_ERROR_XML,
                "'bus' of <devices/input/address>");
        REFUSED(NULL, "<input type='tablet' bus='usb'><address type='usb' bus='0' port='1..2'/></input>",
                VB_ERROR_INVALID_ARG, "'1..2'");
        REFUSED(NULL, "<input type='tablet' bus='usb'><address type='usb' bus='0' port='1.2.3.4.5'/></input>",
                VB_ERROR_INVALID_ARG, "'1.2.3.4.5'");
        REFUSED(NULL, "<disk type='file'><source file='/a'/><target dev='sda' bus='sata'/>"
                      "<address type='drive' controller='100'/></disk>", VB_ERROR_INVALID_ARG, "'controller'");
        REFUSED(NULL, "<disk type='file'><source file='/a'/><target dev='vda'/>"
                      "<address type='virtio-serial' controller='0'/></disk>", VB_ERROR_NOT_SUPPORTED,
                "address type 'virtio-serial'");
        REFUSED(NULL, "<controller type='pci' index='0' model='pcie-root'><address type='pci' slot='1'/></controller>",
                VB_ERROR_NOT_SUPPORTED, "<devices/controller/address>");
        REFUSED(NULL, "<serial type='pty'><target type='isa-serial'/><address type='pci' slot='5'/></serial>",
                VB_ERROR_NOT_SUPPORTED, "address type 'pci' of <devices/serial/address>");

        /* the address fits the bus */
        INVALID(NULL, DISK("", "<target dev='vda'/>", "<address type='drive' unit='1'/>"), VB_ERROR_INVALID_ARG,
                "disk 'vda': <devices/disk/address> of type 'drive' does not fit bus 'virtio'");
        INVALID(NULL, DISK("", "<target dev='sda' bus='sata'/>", "<address type='pci' slot='5'/>"),
                VB_ERROR_INVALID_ARG, "use type 'drive'");
        INVALID(NULL, DISK("", "<target dev='sda' bus='sata'/>", "<address type='drive' unit='6'/>"),
                VB_ERROR_INVALID_ARG, "SATA");
        /* IDE: libvirt's define checks controller and target only (bus 2 fails the start) */
        INVALID(NULL, DISK("", "<target dev='hda' bus='ide'/>", "<address type='drive' controller='1'/>"),
                VB_ERROR_INVALID_ARG, "Only 1 IDE controller is supported");
        /* no two devices in one place, naming both */
        INVALID(NULL,
                DISK("", "<target dev='vda'/>", "<address type='pci' bus='0' slot='5' function='0'/>")
                "<interface type='user'><mac address='52:54:00:00:00:01'/>"
                "<address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/></interface>",
                VB_ERROR_INVALID_ARG, "address 0000:00:05.0 is used twice, by disk 'vda' and by interface "
                                      "52:54:00:00:00:01");
        INVALID(NULL,
                DISK("", "<target dev='sda' bus='sata'/>", "<address type='drive' unit='1'/>")
                DISK("", "<target dev='sdb' bus='sata'/>", "<address type='drive' unit='1'/>"),
                VB_ERROR_INVALID_ARG, "by disk 'sda' and by disk 'sdb'");
        INVALID(NULL,
                "<channel type='pty'><target type='virtio' name='a'/><address type='virtio-serial' controller='0' port='1'/></channel>"
                "<channel type='pty'><target type='virtio' name='b'/><address type='virtio-serial' controller='0' port='1'/></channel>",
                VB_ERROR_INVALID_ARG, "by channel 'a' and by channel 'b'");
        INVALID(NULL,
                "<input type='tablet' bus='usb'><address type='usb' bus='0' port='1'/></input>"
                "<input type='mouse' bus='usb'><address type='usb' bus='0' port='1'/></input>",
                VB_ERROR_INVALID_ARG, "usb 0:1");
        INVALID(NULL,
                "<channel type='pty'><target type='virtio' name='a'/></channel>"
                "<channel type='pty'><target type='virtio' name='a'/></channel>",
                VB_ERROR_INVALID_ARG, "target name 'a'");
        /* <address type='pci'/> means "anywhere on PCI": two of them do not clash */
        {
                _cleanup_free_ char *xml = domain_with(NULL,
                        "<interface type='user'><address type='pci'/></interface>"
                        "<interface type='user'><address type='pci'/></interface>");
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "empty PCI addresses");
                ConfError err = {};

                CHECK(def && domain_def_validate(def, &err) == 0);
                CHECK(def && domain_address_pci_is_empty(&def->nets[0].addr));
        }

        /* PCI controllers' <model name=''/> and <target/> */
        REFUSED(NULL, "<controller type='pci' index='1' model='pcie-root-port'><model name='pci-bridge'/></controller>",
                VB_ERROR_INVALID_ARG, "'pci-bridge' does not implement");
        REFUSED(NULL, "<controller type='pci' index='1' model='pcie-switch-upstream-port'><model name='pxb'/>"
                      "</controller>", VB_ERROR_INVALID_ARG, "'pxb' does not implement");
        REFUSED(NULL, "<controller type='pci' index='1' model='pcie-switch-upstream-port'><target chassis='3'/>"
                      "</controller>", VB_ERROR_NOT_SUPPORTED, "which takes none");
        REFUSED(NULL, "<controller type='pci' index='1' model='pci-expander-bus'><target busNr='256'/></controller>",
                VB_ERROR_INVALID_ARG, "'256'");
        REFUSED(NULL, "<controller type='pci' index='0' model='pcie-root'><target hotplug='off'/></controller>",
                VB_ERROR_NOT_SUPPORTED, "attribute 'hotplug'");
        REFUSED(NULL, "<controller type='pci' index='1' model='pcie-root-port'><target><node>0</node></target>"
                      "</controller>", VB_ERROR_NOT_SUPPORTED, "element 'node'");
        INVALID(NULL, "<controller type='scsi' index='0' model='lsilogic'><driver iothread='1'/></controller>",
                VB_ERROR_NOT_SUPPORTED, "iothread need a scsi controller of model 'virtio-scsi'");
        REFUSED(NULL, "<controller type='pci' index='1' model='pcie-root-port'><target port='300'/></controller>",
                VB_ERROR_INVALID_ARG, "'300'");
        REFUSED(NULL, "<controller type='pci' index='1' model='pci-bridge'><target chassis='1'/></controller>",
                VB_ERROR_NOT_SUPPORTED, "chassisNr");
        REFUSED(NULL, "<controller type='usb' index='0'><model name='pcie-root-port'/></controller>",
                VB_ERROR_NOT_SUPPORTED, "<devices/controller/model>");
}

static void test_timers_pm_features(void) {
        /* which values QEMU honours (rtc merge, track boot, ...) is qemud's check: test-qemu-validate.c */
        REFUSED("<clock offset='utc'><timer name='pit' track='wall'/></clock>", NULL, VB_ERROR_NOT_SUPPORTED,
                "attribute 'track' of <clock/timer> is not supported for timer 'pit'");
        REFUSED("<clock offset='utc'><timer name='pit' tickpolicy='delay' present='no'/></clock>", NULL,
                VB_ERROR_INVALID_ARG, "present='no'");
        REFUSED("<clock offset='utc'><timer name='hpet' present='no'/><timer name='hpet' present='yes'/></clock>",
                NULL, VB_ERROR_INVALID_ARG, "timer 'hpet' is given more than once");
        REFUSED("<clock offset='utc'><timer name='hypervclock' tickpolicy='delay'/></clock>", NULL,
                VB_ERROR_NOT_SUPPORTED, "attribute 'tickpolicy' of <clock/timer> is not supported for timer 'hypervclock'");
        REFUSED("<clock offset='utc'><timer name='platform'/></clock>", NULL,
                VB_ERROR_NOT_SUPPORTED, "timer 'platform'");
        REFUSED("<clock offset='utc'><timer name='rtc' tickpolicy='fast'/></clock>", NULL, VB_ERROR_NOT_SUPPORTED,
                "'fast'");
        REFUSED("<clock offset='utc'><timer name='kvmclock' present='maybe'/></clock>", NULL, VB_ERROR_INVALID_ARG,
                "'maybe'");
        REFUSED("<clock offset='utc'><timer present='yes'/></clock>", NULL, VB_ERROR_XML, "'name'");
        REFUSED("<pm><suspend-to-mem enabled='maybe'/></pm>", NULL, VB_ERROR_INVALID_ARG, "'maybe'");
        REFUSED("<pm><suspend-to-mem enabled='no'/><suspend-to-mem enabled='yes'/></pm>", NULL, VB_ERROR_XML,
                "<pm/suspend-to-mem> is given more than once");
        REFUSED("<features><vmport state='auto'/></features>", NULL, VB_ERROR_INVALID_ARG, "'auto'");
        {
                _cleanup_free_ char *xml = domain_with(
                        "<features><vmport/><smm/></features>"
                        "<clock offset='localtime'><timer name='kvmclock' present='no'/>"
                        "<timer name='rtc' track='realtime' tickpolicy='delay' present='yes'/></clock>"
                        "<pm><suspend-to-disk/></pm>", NULL);
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "features");
                _cleanup_free_ char *out = def ? format_ok(def, 0) : NULL;

                if (def) {
                        CHECK_INTEQ(def->features.vmport, TRISTATE_ON);
                        CHECK_INTEQ(def->features.smm, TRISTATE_ON);
                        CHECK_INTEQ(def->clock.timers[1].track, DOMAIN_TIMER_TRACK_REALTIME);
                        CHECK_INTEQ(def->pm.suspend_to_disk, TRISTATE_ABSENT);
                }
                CHECK_CONTAINS(out, "<vmport state='on'/>");
                CHECK_CONTAINS(out, "<smm state='on'/>");
                CHECK_CONTAINS(out, "<clock offset='localtime'>\n    <timer name='kvmclock' present='no'/>\n"
                                    "    <timer name='rtc' track='realtime' tickpolicy='delay' present='yes'/>");
                CHECK_NOT_CONTAINS(out, "<pm>");
        }
}

static void test_hyperv(void) {
        REFUSED("<features><hyperv mode='passthrough'><relaxed state='on'/></hyperv></features>", NULL,
                VB_ERROR_NOT_SUPPORTED, "<features/hyperv/relaxed> in <features/hyperv mode='passthrough'>");
        REFUSED("<features><hyperv mode='auto'/></features>", NULL, VB_ERROR_NOT_SUPPORTED, "'auto'");
        REFUSED("<features><hyperv><relaxed/></hyperv></features>", NULL, VB_ERROR_XML,
                "missing attribute 'state' of <features/hyperv/relaxed>");
        REFUSED("<features><hyperv><relaxed state='yes'/></hyperv></features>", NULL, VB_ERROR_INVALID_ARG, "'yes'");
        REFUSED("<features><hyperv><relaxed state='on'/><relaxed state='off'/></hyperv></features>", NULL,
                VB_ERROR_XML, "<features/hyperv/relaxed> is given more than once");
        REFUSED("<features><hyperv><relaxed state='on'>x</relaxed></hyperv></features>", NULL, VB_ERROR_XML,
                "<features/hyperv/relaxed>");
        REFUSED("<features><hyperv><vapic state='on' retries='9000'/></hyperv></features>", NULL,
                VB_ERROR_NOT_SUPPORTED, "retries");
        REFUSED("<features><hyperv><spinlocks state='on'/></hyperv></features>", NULL, VB_ERROR_XML,
                "missing attribute 'retries'");
        REFUSED("<features><hyperv><spinlocks state='on' retries='4094'/></hyperv></features>", NULL,
                VB_ERROR_INVALID_ARG, "at least 4095");
        REFUSED("<features><hyperv><spinlocks state='on' retries='-1'/></hyperv></features>", NULL,
                VB_ERROR_INVALID_ARG, "retries");
        REFUSED("<features><hyperv><vendor_id state='on'/></hyperv></features>", NULL, VB_ERROR_XML,
                "missing attribute 'value'");
        REFUSED("<features><hyperv><vendor_id state='on' value='0123456789abc'/></hyperv></features>", NULL,
                VB_ERROR_INVALID_ARG, "1 to 12 characters");
        REFUSED("<features><hyperv><vendor_id state='off' value='a,b'/></hyperv></features>", NULL,
                VB_ERROR_INVALID_ARG, "'value'");
        REFUSED("<features><hyperv><stimer/></hyperv></features>", NULL, VB_ERROR_XML, "missing attribute 'state'");
        REFUSED("<features><hyperv><stimer state='on'><direct/></stimer></hyperv></features>", NULL, VB_ERROR_XML,
                "missing attribute 'state' of <features/hyperv/stimer/direct>");
        REFUSED("<features><hyperv><stimer state='on'><indirect state='on'/></stimer></hyperv></features>", NULL,
                VB_ERROR_NOT_SUPPORTED, "<features/hyperv/stimer/indirect>");
        {
                _cleanup_free_ char *path = NULL, *out = NULL;
                _cleanup_free_ char *xml = NULL;
                _cleanup_(domain_def_freep) DomainDef *def = NULL;
                const DomainFeaturesDef *f;

                CHECK(asprintf(&path, "%s/windows.xml", data_dir()) > 0);
                xml = read_file(path);
                def = xml ? parse_ok(xml, "windows.xml") : NULL;
                out = def ? format_ok(def, DOMAIN_FORMAT_INACTIVE) : NULL;
                CHECK(def != NULL);
                if (!def)
                        return;
                f = &def->features;
                CHECK_INTEQ(f->hyperv_mode, DOMAIN_HYPERV_MODE_CUSTOM);
                CHECK_INTEQ(f->hyperv[DOMAIN_HYPERV_RELAXED], TRISTATE_ON);
                CHECK_INTEQ(f->hyperv[DOMAIN_HYPERV_RESET], TRISTATE_OFF);
                CHECK_INTEQ(f->hyperv[DOMAIN_HYPERV_EVMCS], TRISTATE_OFF);
                CHECK_INTEQ(f->hyperv[DOMAIN_HYPERV_AVIC], TRISTATE_ON);
                CHECK_INTEQ(f->hyperv_spinlocks, 8191);
                CHECK_INTEQ(f->hyperv_stimer_direct, TRISTATE_ON);
                CHECK_STREQ(f->hyperv_vendor_id, "KVM Hv");
                CHECK_INTEQ(f->kvm_hidden, TRISTATE_ON);
                CHECK_INTEQ(def->clock.timers[3].name, DOMAIN_TIMER_HYPERVCLOCK);
                CHECK_INTEQ(def->clock.timers[3].present, TRISTATE_ON);
                CHECK_CONTAINS(out, "<hyperv mode='custom'>\n      <relaxed state='on'/>");
                CHECK_CONTAINS(out, "<spinlocks state='on' retries='8191'/>");
                CHECK_CONTAINS(out, "<stimer state='on'>\n        <direct state='on'/>\n      </stimer>");
                CHECK_CONTAINS(out, "<vendor_id state='on' value='KVM Hv'/>");
                CHECK_CONTAINS(out, "<avic state='on'/>\n    </hyperv>\n    <kvm>");
                CHECK_CONTAINS(out, "<timer name='hypervclock' present='yes'/>");
        }
        {
                _cleanup_free_ char *xml = domain_with(
                        "<features><hyperv mode='passthrough'/></features>"
                        "<clock offset='utc'><timer name='hypervclock' present='no'/></clock>", NULL);
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "passthrough");
                _cleanup_free_ char *out = def ? format_ok(def, 0) : NULL;

                if (def)
                        CHECK_INTEQ(def->features.hyperv_mode, DOMAIN_HYPERV_MODE_PASSTHROUGH);
                CHECK_CONTAINS(out, "<features>\n    <hyperv mode='passthrough'/>\n  </features>");
                CHECK_CONTAINS(out, "<timer name='hypervclock' present='no'/>");
        }
        {
                /* no mode is custom; <stimer> with only <direct/> is valid */
                _cleanup_free_ char *xml = domain_with(
                        "<features><hyperv><stimer><direct state='off'/></stimer>"
                        "<vendor_id state='off'/><spinlocks state='off'/></hyperv></features>", NULL);
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "custom");
                _cleanup_free_ char *out = def ? format_ok(def, 0) : NULL;

                CHECK_CONTAINS(out, "<hyperv mode='custom'>\n      <spinlocks state='off'/>\n"
                                    "      <stimer>\n        <direct state='off'/>\n      </stimer>\n"
                                    "      <vendor_id state='off'/>\n    </hyperv>");
                if (out && load_schema())
                        CHECK(schema_valid(load_schema(), out));
        }
}

static void test_firmware(void) {
        check_refused("<domain type='kvm'><name>x</name><os firmware='efi'><type>hvm</type>"
                      "<firmware><feature enabled='yes' name='secure-boot'/><feature enabled='no' "
                      "name='secure-boot'/></firmware></os></domain>",
                      VB_ERROR_XML, "feature 'secure-boot' of <os/firmware/feature> is given twice");
        check_refused("<domain type='kvm'><name>x</name><os firmware='efi'><type>hvm</type>"
                      "<firmware/></os></domain>", VB_ERROR_XML, "<os/firmware> needs at least one <feature>");
        check_refused("<domain type='kvm'><name>x</name><os firmware='efi'><type>hvm</type>"
                      "<nvram template='OVMF_VARS_4M.fd'/></os></domain>",
                      VB_ERROR_INVALID_ARG, "template");
        check_refused("<domain type='kvm'><name>x</name><os><type>hvm</type>"
                      "<nvram type='file'>/var/x.fd</nvram></os></domain>",
                      VB_ERROR_XML, "");
        check_refused("<domain type='kvm'><name>x</name><os firmware='uefi'><type>hvm</type></os></domain>",
                      VB_ERROR_NOT_SUPPORTED, "'uefi'");
        check_refused("<domain type='kvm'><name>x</name><os firmware='efi'><type>hvm</type>"
                      "<loader type='rom'/></os></domain>", VB_ERROR_INVALID_ARG, "not 'rom'");
        check_refused("<domain type='kvm'><name>x</name><os firmware='bios'><type>hvm</type>"
                      "<loader secure='yes'/></os></domain>", VB_ERROR_INVALID_ARG, "needs firmware='efi'");
        {
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(
                        "<domain type='kvm'><name>x</name><os firmware='efi'><type>hvm</type>"
                        "<loader readonly='yes' secure='yes' type='pflash'/></os>"
                        "<features><smm state='on'/></features></domain>", "efi");
                _cleanup_free_ char *out = def ? format_ok(def, 0) : NULL;

                if (def) {
                        CHECK_INTEQ(def->os.firmware, DOMAIN_FIRMWARE_EFI);
                        CHECK_INTEQ(def->os.loader_secure, TRISTATE_ON);
                        CHECK(def->os.loader == NULL);
                }
                CHECK_CONTAINS(out, "<os firmware='efi'>\n    <type>hvm</type>\n"
                                    "    <loader readonly='yes' secure='yes' type='pflash'/>\n  </os>");
                if (out && load_schema())
                        CHECK(schema_valid(load_schema(), out));
        }
}

static void test_serial_and_channel(void) {
        REFUSED(NULL, "<serial type='pty'><target type='isa-serial'><model name='pci-serial'/></target></serial>",
                VB_ERROR_INVALID_ARG, "serial model 'pci-serial'");
        REFUSED(NULL, "<serial type='pty'><target type='isa-serial'><model name='16550a'/></target></serial>",
                VB_ERROR_NOT_SUPPORTED, "'16550a'");
        REFUSED(NULL, "<channel type='unix'/>", VB_ERROR_XML, "<devices/channel/target>");
        REFUSED(NULL, "<channel type='unix'><source mode='connect'/><target type='virtio' name='x'/></channel>",
                VB_ERROR_XML, "'path'");
        REFUSED(NULL, "<channel type='unix'><target type='virtio' name='x' port='1'/></channel>",
                VB_ERROR_NOT_SUPPORTED, "attribute 'port' of <devices/channel/target>");
        REFUSED(NULL, "<channel type='unix'><target type='virtio' state='asleep'/></channel>",
                VB_ERROR_NOT_SUPPORTED, "'asleep'");
        REFUSED(NULL, "<channel><target type='virtio'/></channel>", VB_ERROR_XML, "'type' of <devices/channel>");
        {
                /* a serial model alone says its target type */
                _cleanup_free_ char *xml = domain_with(NULL,
                        "<serial type='pty'><target port='1'><model name='isa-serial'/></target></serial>"
                        "<channel type='unix'><source mode='bind'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
                        "<channel type='unix'><source path='/run/x.sock'/><target type='virtio'/></channel>");
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "serial model");
                _cleanup_free_ char *out = def ? format_ok(def, DOMAIN_FORMAT_INACTIVE) : NULL;

                if (def) {
                        CHECK_STREQ(def->chrs[0].target_type, "isa-serial");
                        CHECK(def->chrs[1].listen && !def->chrs[1].path);
                        CHECK(!def->chrs[2].listen);
                }
                CHECK_CONTAINS(out, "<target type='isa-serial' port='1'>\n        <model name='isa-serial'/>");
                CHECK_CONTAINS(out, "<source mode='connect' path='/run/x.sock'/>\n      <target type='virtio'/>");
        }
}

/* ---- live, secure and defaults ---------------------------------------------- */


UNIT_TESTS(test_virt_install, test_virt_manager_desktop, test_addresses, test_timers_pm_features,
           test_hyperv, test_firmware, test_serial_and_channel)
