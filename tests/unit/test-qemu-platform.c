/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The platform parts of a QEMU domain, each through the three steps a
 * definition takes: the model's parse (libvirt's define-time rules and
 * messages), qemud's own checks (qemu_validate_def()), and the command line
 * (what the golden files under tests/data/qemu-command/ do not show: the
 * refusals). */

#include "qemu-command-test.h"
#include "qemu-validate.h"
#include "uuid.h"

#define DOM(top, os) \
        "<domain type='qemu'><name>p</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>" \
        "<memory unit='MiB'>256</memory>" top "<os><type arch='x86_64' machine='q35'>hvm</type>" os "</os>" \
        "</domain>"

/* Which step refuses: the parse, qemud's check, or the command line. */
typedef enum Step { STEP_PARSE, STEP_VALIDATE, STEP_BUILD } Step;

static void check_refused_(const char *xml, Step step, const char *needle, int line) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        ConfError err = {};
        int r;

        r = domain_def_parse(xml, strlen(xml), &def, &err);
        if (r >= 0 && step > STEP_PARSE)
                r = domain_def_validate(def, &err) ?: qemu_validate_def(def, &err);
        if (r >= 0 && step > STEP_VALIDATE)
                r = build(def, &argv, &err);
        if (r >= 0 || !strstr(err.message, needle)) {
                fprintf(stderr, "  line %d: %s: got %d \"%s\", expected a refusal naming \"%s\"\n", line,
                        unit_current, r, r < 0 ? err.message : "", needle);
                unit_failed_checks++;
        }
}
#define REFUSED_AT(step, xml, needle) check_refused_(xml, step, needle, __LINE__)

static DomainDef *accepted_(const char *xml, int line) {
        DomainDef *def = NULL;
        ConfError err = {};

        if (domain_def_parse(xml, strlen(xml), &def, &err) < 0 || domain_def_validate(def, &err) < 0 ||
            qemu_validate_def(def, &err) < 0) {
                fprintf(stderr, "  line %d: %s: refused: %s\n", line, unit_current, err.message);
                unit_failed_checks++;
                def = domain_def_free(def);
        }
        return def;
}
#define ACCEPTED(xml) accepted_(xml, __LINE__)

static void test_sysinfo_rules(void) {
        REFUSED_AT(STEP_PARSE, DOM("<sysinfo type='smbios'><bios><entry name='colour'>x</entry></bios></sysinfo>", ""),
                   "entry 'colour' of <sysinfo/bios/entry> is not supported");
        REFUSED_AT(STEP_PARSE, DOM("<sysinfo type='smbios'><system><entry name='sku'>a</entry>"
                                   "<entry name='sku'>b</entry></system></sysinfo>", ""), "'sku'");
        REFUSED_AT(STEP_PARSE, DOM("<sysinfo type='smbios'><bios><entry name='date'>13/01/2020</entry></bios>"
                                   "</sysinfo>", ""), "Invalid BIOS 'date' format");
        REFUSED_AT(STEP_PARSE, DOM("<sysinfo type='smbios'><bios><entry name='date'>1/1/1899</entry></bios>"
                                   "</sysinfo>", ""), "Invalid BIOS 'date' format");
        REFUSED_AT(STEP_PARSE, DOM("<sysinfo type='smbios'><system><entry name='uuid'>"
                                   "a94b4335-6a14-8bc4-d6da-f7ea590b6816</entry></system></sysinfo>", ""),
                   "UUID mismatch between <uuid> and <sysinfo>");
        REFUSED_AT(STEP_PARSE, DOM("<sysinfo type='smbios'><system><entry name='uuid'>nope</entry></system>"
                                   "</sysinfo>", ""), "malformed <sysinfo> uuid element");
        REFUSED_AT(STEP_PARSE, DOM("<sysinfo type='fwcfg'><entry name='opt/a'/></sysinfo>", ""),
                   "must have either value or 'file' attribute");
        REFUSED_AT(STEP_PARSE, DOM("<sysinfo type='fwcfg'><entry name='opt/a' file='/f'>v</entry></sysinfo>", ""),
                   "not both");
        REFUSED_AT(STEP_PARSE, DOM("<sysinfo type='fwcfg'><entry>v</entry></sysinfo>", ""),
                   "Firmware entry is missing 'name' attribute");
        REFUSED_AT(STEP_PARSE, DOM("<sysinfo type='bogus'/>", ""), "value 'bogus' of attribute 'type' of <sysinfo>");
        REFUSED_AT(STEP_PARSE, DOM("", "<smbios mode='bogus'/>"), "value 'bogus' of attribute 'mode'");
        REFUSED_AT(STEP_VALIDATE, DOM("<sysinfo type='fwcfg'><entry name='etc/a'>v</entry></sysinfo>", ""),
                   "Invalid firmware name 'etc/a'");
        REFUSED_AT(STEP_VALIDATE, DOM("<sysinfo type='fwcfg'><entry name='opt/ovmf/X'>v</entry></sysinfo>", ""),
                   "That firmware name is reserved");
        REFUSED_AT(STEP_BUILD, DOM("<sysinfo type='smbios'><baseBoard><entry name='serial'>1</entry></baseBoard>"
                                   "<baseBoard><entry name='serial'>2</entry></baseBoard></sysinfo>",
                                   "<smbios mode='sysinfo'/>"),
                   "qemu does not support more than one entry to Type 2 in SMBIOS table");
        REFUSED_AT(STEP_BUILD, DOM("", "<smbios mode='sysinfo'/>"), "Domain 'p' sysinfo are not available");
        /* mode='host' builds the host's tables the driver read (golden
         * smbios-host); a host without any is the start's refusal
         * (test_qemud_smbios_host.py) */
}

/* libvirt's post-parse: a domain without <uuid> takes its system uuid; an
 * empty entry or section is none; without <smbios mode='sysinfo'/> the
 * tables stay QEMU's own. */
static void test_sysinfo_kept(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL, *plain = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *xml = NULL;
        char buf[UUID_STRING_MAX];
        ConfError err = {};

        def = ACCEPTED("<domain type='qemu'><name>p</name><memory unit='MiB'>256</memory>"
                       "<sysinfo type='smbios'><system><entry name='uuid'>A94B4335-6A14-8BC4-D6DA-F7EA590B6816</entry>"
                       "<entry name='sku'></entry></system><chassis><entry name='asset'/></chassis></sysinfo>"
                       "<os><type arch='x86_64'>hvm</type></os></domain>");
        if (!def)
                return;
        CHECK_STREQ(uuid_format(def->uuid, buf), "a94b4335-6a14-8bc4-d6da-f7ea590b6816");
        CHECK(domain_def_format(def, 0, &xml) == 0);
        CHECK(xml && strstr(xml, "<sysinfo type='smbios'>\n    <system>\n      <entry name='uuid'>"
                                 "a94b4335-6a14-8bc4-d6da-f7ea590b6816</entry>\n    </system>\n  </sysinfo>\n"));
        CHECK(build(def, &argv, &err) == 0);
        CHECK(argv && !strv_has(argv, "-smbios"));
}

/* libvirt's post-parse rules of the accelerator's features. */
static void test_features_rules(void) {
        REFUSED_AT(STEP_VALIDATE, "<domain type='qemu'><name>p</name><memory unit='MiB'>256</memory>"
                   "<os><type arch='x86_64' machine='pc'>hvm</type></os><features><smm state='on'>"
                   "<tseg unit='MiB'>48</tseg></smm></features></domain>",
                   "SMM TSEG is only supported with q35 machine type");
        REFUSED_AT(STEP_VALIDATE, DOM("<features><smm><tseg unit='KiB'>1000</tseg></smm></features>", ""),
                   "SMM TSEG size must be divisible by 1 MiB");
        REFUSED_AT(STEP_VALIDATE, DOM("<features><tcg><tb-cache unit='KiB'>1000</tb-cache></tcg></features>", ""),
                   "tb-cache size must be an integer multiple of MiB");
        REFUSED_AT(STEP_VALIDATE, "<domain type='kvm'><name>p</name><memory unit='MiB'>256</memory>"
                   "<os><type arch='x86_64'>hvm</type></os><features><tcg/></features></domain>",
                   "TCG features are incompatible with domain type 'kvm'");
}

/* <bios useserial='yes'> (libguestfs's appliance sets it): x86 only, with a
 * serial port; kept as written, 'no' too. */
static void test_bios_useserial(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_free_ char *xml = NULL;

        REFUSED_AT(STEP_VALIDATE, DOM("", "<bios useserial='yes'/>"), "need at least one serial port");
        REFUSED_AT(STEP_VALIDATE, "<domain type='qemu'><name>p</name><memory unit='MiB'>256</memory>"
                   "<os><type arch='aarch64' machine='virt'>hvm</type><bios useserial='yes'/></os>"
                   "<devices><serial type='pty'/></devices></domain>",
                   "BIOS serial console only supported on x86");
        REFUSED_AT(STEP_PARSE, DOM("", "<bios useserial='maybe'/>"), "useserial");
        def = ACCEPTED(DOM("", "<bios useserial='no' rebootTimeout='5'/>"));
        if (!def)
                return;
        CHECK(domain_def_format(def, DOMAIN_FORMAT_INACTIVE, &xml) == 0);
        CHECK(xml && strstr(xml, "<bios useserial='no' rebootTimeout='5'/>"));
}

/* Kept as libvirt formats them: a TSEG in its largest whole unit, a
 * dirty ring's size only when on; an smm that is off drops its TSEG (libvirt
 * reads it only with SMM on). */
static void test_features_kept(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL, *off = NULL;
        _cleanup_free_ char *xml = NULL, *xml_off = NULL;

        def = ACCEPTED(DOM("<features><smm><tseg unit='KiB'>49152</tseg></smm><vmcoreinfo/>"
                           "<kvm><dirty-ring state='off' size='4096'/><pv-ipi state='on'/></kvm>"
                           "<tcg><tb-cache unit='GiB'>1</tb-cache></tcg></features>", ""));
        if (!def)
                return;
        CHECK(domain_def_format(def, 0, &xml) == 0);
        CHECK(xml && strstr(xml, "<features>\n    <kvm>\n      <pv-ipi state='on'/>\n"
                                 "      <dirty-ring state='off'/>\n    </kvm>\n    <smm state='on'>\n"
                                 "      <tseg unit='MiB'>48</tseg>\n    </smm>\n    <vmcoreinfo state='on'/>\n"
                                 "    <tcg>\n      <tb-cache unit='KiB'>1048576</tb-cache>\n    </tcg>\n"));
        off = ACCEPTED(DOM("<features><smm state='off'><tseg>48</tseg></smm></features>", ""));
        CHECK(off && domain_def_format(off, 0, &xml_off) == 0);
        CHECK(xml_off && strstr(xml_off, "<smm state='off'/>"));
}

#define SEV(attrs, children) "<launchSecurity type='sev'" attrs ">" children "</launchSecurity>"

static void test_launch_security(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_free_ char *xml = NULL;

        REFUSED_AT(STEP_PARSE, DOM(SEV("", "<cbitpos>47</cbitpos>"), ""), "failed to get launch security policy");
        REFUSED_AT(STEP_PARSE, DOM(SEV("", "<policy>0xzz</policy>"), ""), "failed to get launch security policy");
        REFUSED_AT(STEP_PARSE, DOM(SEV("", "<policy>1</policy><cbitpos>x</cbitpos>"), ""), "<launchSecurity/cbitpos>");
        REFUSED_AT(STEP_PARSE, DOM(SEV("", "<policy>1</policy><colour/>"), ""),
                   "element <launchSecurity/colour> is not supported");
        REFUSED_AT(STEP_VALIDATE, DOM("<launchSecurity type='s390-pv'/>", ""), "S390 PV launch security");
        /* libvirt fills them from the host's SEV capabilities: qemud has none */
        REFUSED_AT(STEP_BUILD, DOM(SEV("", "<policy>0x1</policy>"), ""), "needs <cbitpos> and <reducedPhysBits>");
        def = ACCEPTED(DOM(SEV(" kernelHashes='no'", "<policy>7</policy><session>S</session>"), ""));
        CHECK(def && domain_def_format(def, 0, &xml) == 0);
        CHECK(xml && strstr(xml, "<launchSecurity type='sev' kernelHashes='no'>\n    <policy>0x0007</policy>\n"
                                 "    <session>S</session>\n  </launchSecurity>\n"));
}

static void test_cpu_vendor_id(void) {
        REFUSED_AT(STEP_PARSE, DOM("<cpu><model vendor_id='short'>qemu64</model></cpu>", ""),
                   "vendor_id must be exactly 12 characters long");
        REFUSED_AT(STEP_PARSE, DOM("<cpu><model vendor_id='Libvirt,QEMU'>qemu64</model></cpu>", ""),
                   "vendor id is invalid");
}

UNIT_TESTS(test_cpu_vendor_id, test_sysinfo_rules, test_sysinfo_kept, test_features_rules, test_bios_useserial, test_features_kept, test_launch_security)
