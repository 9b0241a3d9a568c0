/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a domain needs from the other daemons before its process can start:
 * its volumes resolved by storaged (domain-storage.c) and its network ports
 * from networkd (domain-network.c). Each asks for everything at once and
 * reports once, with the first error met. */

#include <systemd/sd-bus.h>

#include "domain.h"

typedef void (*domain_prepare_fn)(Domain *d, int r, const sd_bus_error *error);

typedef struct PrepareJob {
        DomainHandle *handle;   /* its owner is NULL once the domain stopped or went away */
        domain_prepare_fn done;
        unsigned pending;
        int r;
        sd_bus_error error;
} PrepareJob;

/* A job holding one reference for its creator: add one per request with
 * prepare_job_hold(), and drop the creator's with prepare_job_release(job, 0,
 * NULL) once every request is sent. done() runs when the last one is dropped,
 * unless the domain cancelled its handle meanwhile (domain-handle.h): then
 * the replies still to come touch nothing of it. */
PrepareJob *prepare_job_new(Domain *d, domain_prepare_fn done);
/* The domain of the job, NULL once it stopped or went away. */
Domain *prepare_job_domain(const PrepareJob *job);
void prepare_job_hold(PrepareJob *job);
void prepare_job_release(PrepareJob *job, int r, const sd_bus_error *error);
/* Records a failure found before any request went out. */
void prepare_job_fail(PrepareJob *job, int r, const char *name, const char *fmt, ...) _printf_(4, 5);

int domain_storage_prepare(Domain *d, domain_prepare_fn done);
void domain_storage_release(Domain *d);

int domain_network_prepare(Domain *d, domain_prepare_fn done);
/* The same with veth ports (lxcd): peers[i] names the container's end of
 * live->nets[i]; its host end becomes the interface's ifname. */
int domain_network_prepare_veth(Domain *d, char *const *peers, domain_prepare_fn done);
/* Closes our copies of the tap fds (the guest process has its own once
 * started). */
void domain_network_close_taps(Domain *d);
void domain_network_release(Domain *d);
