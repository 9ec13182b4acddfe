/*
 * Inside vPCI (src/hv and its tests and fuzz targets only): ways to drive
 * the VSP and the VSC without a real VMBus channel. The fuzz targets feed
 * packets straight into the parsers and collect what they send; the tests
 * use vpci_vsc__request() to put malformed requests on a real channel.
 */
#ifndef IOVLAB_HV_VPCI_PRIV_H
#define IOVLAB_HV_VPCI_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "hv/ring.h"
#include "hv/vpci_vsc.h"
#include "hv/vpci_vsp.h"

/* Send one packet: 1 sent, 0 no room now, or -errno. */
typedef int (*vpci__send_fn)(void *arg, const struct vmbus_pkt *pkt);

/* ---- host ---------------------------------------------------------------- */

/*
 * A VSP with no channel and no event loop: its packets go to send, its
 * channel events come from vpci_vsp__chan_event(), guest packets from
 * vpci_vsp__handle(); nothing is deferred, so call vpci_vsp__flush() to
 * send what vpci_vsp_add_device()/_invalidate() queued, and there are no
 * eject timers (vpci_vsp__eject_timeout() fires one).
 */
int vpci_vsp__create_detached(const struct vpci_vsp_config *cfg, vpci__send_fn send, void *arg,
			      struct vpci_vsp **out);
/* One packet from the guest, as vmbus_chan_recv() returned it. */
void vpci_vsp__handle(struct vpci_vsp *vsp, const struct vmbus_pkt_in *pkt);
void vpci_vsp__chan_event(struct vpci_vsp *vsp, enum vmbus_chan_event ev);
/* Send pending relations, ejects and invalidates. */
void vpci_vsp__flush(struct vpci_vsp *vsp);
void vpci_vsp__eject_timeout(struct vpci_vsp_dev *dev);
/* The i-th function slot of the bus table (NULL if empty), i < VPCI_MAX_FUNCS. */
struct vpci_vsp_dev *vpci_vsp__dev_at(struct vpci_vsp *vsp, unsigned i);

/* ---- guest --------------------------------------------------------------- */

/* The channel as the VSC uses it; vmbus_chan_* semantics. */
struct vpci_vsc_io {
	vpci__send_fn send;
	/* One packet into buf: 1, 0 (none), -ENOBUFS (pkt->len = size needed) or -errno. */
	int (*recv)(void *arg, struct vmbus_pkt_in *pkt, void *buf, size_t buflen);
	/* 1: a packet may be there, 0: timeout, -errno (-ENODEV: rescinded). */
	int (*wait)(void *arg, int timeout_ms);
	/* As wait, for need bytes of room in the send ring. */
	int (*wait_space)(void *arg, uint32_t need, int timeout_ms);
	void *arg;
};

/*
 * vpci_vsc_create() over io instead of a VMBus channel (the bus starts
 * open): negotiates, enters D0, waits for relations and brings the
 * functions up, all through io.
 */
int vpci_vsc__create_io(const struct vpci_vsc_config *cfg, const struct vpci_vsc_io *io,
			struct vpci_vsc **out);

/*
 * Send any message (len bytes, header included) as a request asking for a
 * completion and wait for it; the completion's payload is copied to resp
 * (cap bytes) and its length to *resp_len. No checks on msg: this is how
 * tests send malformed requests. Returns 0 once a completion came (whatever
 * its status), or -errno (-ETIMEDOUT, -ENODEV, -EPROTO for a completion too
 * short to hold a status).
 */
int vpci_vsc__request(struct vpci_vsc *v, const void *msg, uint32_t len, void *resp,
		      uint32_t cap, uint32_t *resp_len);

/* Send a message that asks for no completion. Returns 0 or -errno. */
int vpci_vsc__post(struct vpci_vsc *v, const void *msg, uint32_t len);

/* The i-th record of the function table (NULL if empty), i < VPCI_MAX_FUNCS. */
struct vpci_vsc_dev *vpci_vsc__dev_at(struct vpci_vsc *v, unsigned i);

#endif /* IOVLAB_HV_VPCI_PRIV_H */
