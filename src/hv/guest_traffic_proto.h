/*
 * The guest traffic protocol driver (guest_traffic_proto.c, built as
 * guest_traffic.so with guest_traffic.inf): a raw Ethernet NDIS protocol in
 * the mould of the WDK's NDISPROT sample. It binds to VM network adapters
 * (LowerRange "ndis5", so never to a VF: that is "ndisvf"), sets their
 * packet filter, sends frames it is given and hands up the frames it
 * receives. Where NDISPROT exposes a device to user mode, this driver
 * exports one table the lab finds with ndis_protocol_driver_symbol(p,
 * GUEST_TRAFFIC_PROTO_SYMBOL); guest_traffic.h builds the numbered stream
 * on it. One binding at a time (the first adapter offered).
 */
#ifndef IOVLAB_HV_GUEST_TRAFFIC_PROTO_H
#define IOVLAB_HV_GUEST_TRAFFIC_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#define GUEST_TRAFFIC_PROTO_COMPONENT_ID "IOVLAB_GUEST_TRAFFIC"
#define GUEST_TRAFFIC_PROTO_NAME "IOVTRAFFIC"	/* as the bindings view shows it */
#define GUEST_TRAFFIC_PROTO_SYMBOL "GuestTrafficProtocol"

/* A frame handed to send(): copied before send() returns. */
struct guest_traffic_frame {
	const void *data;
	uint32_t len;
};

/*
 * A frame received on the binding, in order. Runs inside NDIS's receive
 * indication; data is valid only during the call.
 */
typedef void (*guest_traffic_rx_fn)(void *ctx, const void *data, uint32_t len);
/* Send completions: how many NBLs came back, and how many of them failed. */
typedef void (*guest_traffic_tx_done_fn)(void *ctx, unsigned completed, unsigned failed);

struct guest_traffic_proto_counters {
	uint64_t sent;			/* frames handed to NdisSendNetBufferLists */
	uint64_t completed, failed;	/* send completions, by status */
	uint64_t refused;		/* send() calls refused: not bound or paused */
	uint64_t received;		/* frames indicated to us */
	uint32_t last_failure;		/* NDIS_STATUS of the last failed send */
	uint32_t binds, unbinds, pauses, restarts;
};

struct guest_traffic_proto {
	/* Install the sink (rx, tx_done may be NULL); attach(NULL, NULL, NULL) detaches. 0 or -EBUSY. */
	int (*attach)(guest_traffic_rx_fn rx, guest_traffic_tx_done_fn tx_done, void *ctx);
	/*
	 * Send frames[0..n) as one NBL chain, in order. Returns how many were
	 * handed to NDIS (fewer when the driver's NBLs are all out), -ENOTCONN
	 * if not bound or the binding is paused, -EINVAL for a frame of a bad
	 * length (nothing sent).
	 */
	int (*send)(const struct guest_traffic_frame *frames, unsigned n);
	/* Bound and running; the adapter's current MAC address if mac is not NULL. */
	bool (*running)(uint8_t mac[6]);
	void (*get_counters)(struct guest_traffic_proto_counters *c);
};

#endif /* IOVLAB_HV_GUEST_TRAFFIC_PROTO_H */
