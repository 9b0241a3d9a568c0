/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <clock> and its <timer>s: the guest's RTC base and its time sources. */
#include <inttypes.h>

#include "domain-conf-internal.h"

/* What a timer's attributes mean whatever runs it (the schema's rules):
 * track belongs to the RTC, frequency and mode to the TSC, kvmclock and
 * hypervclock have no ticks to lose, a pit left out has no tick policy,
 * <catchup> tunes tickpolicy='catchup'. Which values a hypervisor honours is
 * its driver's check (qemud/qemu-validate.c). */
static int check_timer(const DomainTimerDef *t, const char *name, const char *path, bool has_track,
                       bool has_catchup, ConfError *err) {
        const char *tp = domain_timer_tickpolicy_to_string(t->tickpolicy);

        if (has_track && t->name != DOMAIN_TIMER_RTC)
                return xml_err_unsupported(err, "attribute 'track' of <%s> is not supported for timer '%s'",
                                           path, name);
        if ((t->frequency || t->mode) && t->name != DOMAIN_TIMER_TSC)
                return xml_err_unsupported(err, "attributes 'frequency' and 'mode' of <%s> are only supported "
                                           "for timer 'tsc', not '%s'", path, name);
        if (has_catchup && t->tickpolicy != DOMAIN_TIMER_TICKPOLICY_CATCHUP)
                return xml_err_invalid(err, "<%s/catchup> of timer '%s' needs tickpolicy='catchup'", path, name);
        switch (t->name) {
        case DOMAIN_TIMER_PIT:
                if (t->present == TRISTATE_OFF && tp)
                        return xml_err_invalid(err, "timer 'pit' in <%s> has a tickpolicy but present='no'", path);
                return 0;
        case DOMAIN_TIMER_KVMCLOCK:
        case DOMAIN_TIMER_HYPERVCLOCK:
                if (tp)
                        return xml_err_unsupported(err, "attribute 'tickpolicy' of <%s> is not supported for "
                                                   "timer '%s'", path, name);
                return 0;
        default:
                return 0;
        }
}

/* <catchup threshold='' slew='' limit=''/>: how fast ticks are caught up. */
static int parse_catchup(DomainTimerDef *t, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "threshold", "slew", "limit");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_ullong(n, path, "threshold", &t->catchup_threshold, err);
        if (r >= 0)
                r = xml_attr_ullong(n, path, "slew", &t->catchup_slew, err);
        if (r >= 0)
                r = xml_attr_ullong(n, path, "limit", &t->catchup_limit, err);
        if (r < 0)
                return r;
        /* the schema's unsignedInt */
        if (t->catchup_threshold > UINT32_MAX || t->catchup_slew > UINT32_MAX || t->catchup_limit > UINT32_MAX)
                return xml_err_invalid(err, "a value of <%s> is above %u", path, UINT32_MAX);
        return 0;
}

static int parse_timer_children(DomainTimerDef *t, xmlNodePtr n, const char *path, bool *has_catchup,
                                ConfError *err) {
        int r;

        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is(c, "catchup"))
                        return xml_unsupported_element(c, path, err);
                XML_SUBPATH(sub, path, "catchup");
                r = parse_catchup(t, c, sub, err);
                if (r < 0)
                        return r;
                *has_catchup = true;
        }
        return 0;
}

static int parse_timer_attrs(DomainTimerDef *t, xmlNodePtr n, const char *path, bool *has_track, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "name", "present", "tickpolicy", "track", "frequency", "mode");
        if (r >= 0)
                r = domain_attr_tristate(n, path, "present", "yes", "no", &t->present, err);
        if (r >= 0)
                r = DOMAIN_ATTR_ENUM(n, path, "tickpolicy", domain_timer_tickpolicy, &t->tickpolicy, err);
        if (r >= 0)
                r = xml_attr_ullong(n, path, "frequency", &t->frequency, err);
        if (r >= 0)
                r = DOMAIN_ATTR_ENUM(n, path, "mode", domain_timer_mode, &t->mode, err);
        if (r < 0)
                return r;
        r = DOMAIN_ATTR_ENUM(n, path, "track", domain_timer_track, &t->track, err);
        if (r < 0)
                return r;
        *has_track = r > 0;
        return 0;
}

static int parse_timer(DomainClockDef *clock, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *name = NULL;
        DomainTimerDef t = {};
        bool has_track = false, has_catchup = false;
        int r, i;

        r = xml_attr_str_required(n, path, "name", &name, err);
        if (r < 0)
                return r;
        i = domain_timer_name_from_string(name);
        if (i < 0)
                return xml_err_unsupported(err, "timer '%s' in <%s> is not supported", name, path);
        t.name = (DomainTimerName) i;
        r = parse_timer_attrs(&t, n, path, &has_track, err);
        if (r >= 0)
                r = parse_timer_children(&t, n, path, &has_catchup, err);
        if (r >= 0)
                r = check_timer(&t, name, path, has_track, has_catchup, err);
        if (r < 0)
                return r;
        for (size_t j = 0; j < clock->n_timers; j++)
                if (clock->timers[j].name == t.name)
                        return xml_err_invalid(err, "timer '%s' is given more than once in <%s>", name, path);
        clock->timers[clock->n_timers++] = t; /* each name at most once: it fits */
        return 0;
}

/* The schema's timeZone: a zone name goes into QEMU's environment as TZ. */
static bool timezone_valid(const char *tz) {
        return tz[0] && tz[strspn(tz, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-/")] == '\0';
}

/* What each offset takes besides itself: adjustment and basis belong to
 * 'variable', timezone to 'timezone', start to 'absolute'. */
static int parse_offset_data(DomainClockDef *clock, xmlNodePtr n, const char *path, ConfError *err) {
        bool variable = clock->offset == DOMAIN_CLOCK_VARIABLE;
        int r_adj, r_basis, r_tz, r_start;

        r_adj = xml_attr_llong(n, path, "adjustment", &clock->adjustment, err);
        if (r_adj < 0)
                return r_adj;
        r_basis = DOMAIN_ATTR_ENUM(n, path, "basis", domain_clock_basis, &clock->basis, err);
        if (r_basis < 0)
                return r_basis;
        r_tz = xml_attr_str(n, path, "timezone", &clock->timezone, err);
        if (r_tz < 0)
                return r_tz;
        r_start = xml_attr_ullong(n, path, "start", &clock->start, err);
        if (r_start < 0)
                return r_start;
        if (r_adj > 0 && !variable)
                return xml_err_unsupported(err, "attribute 'adjustment' of <%s> is only supported "
                                           "with offset='variable'", path);
        if (r_basis > 0 && !variable)
                return xml_err_invalid(err, "attribute 'basis' of <%s> needs offset='variable'", path);
        if ((r_tz > 0) != (clock->offset == DOMAIN_CLOCK_TIMEZONE))
                return r_tz > 0 ? xml_err_invalid(err, "attribute 'timezone' of <%s> needs offset='timezone'", path)
                                : xml_err_xml(err, "missing 'timezone' attribute for clock with offset='timezone'");
        if (r_tz > 0 && !timezone_valid(clock->timezone))
                return xml_err_invalid(err, "timezone '%s' of <%s> is not a zone name", clock->timezone, path);
        if ((r_start > 0) != (clock->offset == DOMAIN_CLOCK_ABSOLUTE))
                return r_start > 0 ? xml_err_invalid(err, "attribute 'start' of <%s> needs offset='absolute'", path)
                                   : xml_err_xml(err, "missing 'start' attribute for clock with offset='absolute'");
        return 0;
}

int domain_parse_clock(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainClockDef *clock = &def->clock;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "offset", "adjustment", "basis", "timezone", "start");
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        r = DOMAIN_ATTR_ENUM(n, path, "offset", domain_clock_offset, &clock->offset, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'offset' of <%s>", path);
        r = parse_offset_data(clock, n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is(c, "timer"))
                        return xml_unsupported_element(c, path, err);
                XML_SUBPATH(sub, path, "timer");
                r = parse_timer(clock, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void format_catchup(XmlWriter *w, const DomainTimerDef *t) {
        if (!t->catchup_threshold && !t->catchup_slew && !t->catchup_limit)
                return;
        xw_start(w, "catchup");
        if (t->catchup_threshold)
                xw_attrf(w, "threshold", "%" PRIu64, t->catchup_threshold);
        if (t->catchup_slew)
                xw_attrf(w, "slew", "%" PRIu64, t->catchup_slew);
        if (t->catchup_limit)
                xw_attrf(w, "limit", "%" PRIu64, t->catchup_limit);
        xw_end(w);
}

static void format_timer(XmlWriter *w, const DomainTimerDef *t) {
        xw_start(w, "timer");
        xw_attr(w, "name", domain_timer_name_to_string(t->name));
        xw_attr(w, "track", domain_timer_track_to_string(t->track));
        xw_attr(w, "tickpolicy", domain_timer_tickpolicy_to_string(t->tickpolicy));
        if (t->frequency)
                xw_attrf(w, "frequency", "%" PRIu64, t->frequency);
        xw_attr(w, "mode", domain_timer_mode_to_string(t->mode));
        xw_attr(w, "present", tristate_word(t->present, "yes", "no"));
        format_catchup(w, t);
        xw_end(w);
}

void domain_format_clock(XmlWriter *w, const DomainClockDef *clock) {
        xw_start(w, "clock");
        xw_attr(w, "offset", domain_clock_offset_to_string(clock->offset));
        if (clock->offset == DOMAIN_CLOCK_VARIABLE) {
                xw_attrf(w, "adjustment", "%" PRId64, clock->adjustment);
                xw_attr(w, "basis", domain_clock_basis_to_string(clock->basis));
        }
        if (clock->offset == DOMAIN_CLOCK_TIMEZONE)
                xw_attr(w, "timezone", clock->timezone);
        if (clock->offset == DOMAIN_CLOCK_ABSOLUTE)
                xw_attrf(w, "start", "%" PRIu64, clock->start);
        for (size_t i = 0; i < clock->n_timers && i < _DOMAIN_TIMER_MAX; i++)
                format_timer(w, &clock->timers[i]);
        xw_end(w);
}
