/*
 * The extensible switch's protocol edge (VMSP) as a driver: vmsp.so with
 * vmsp.inf, loaded into the root partition's NDIS like any protocol. It
 * binds to each PF miniport (LowerRange "ndis5"), sets its packet filter,
 * sends the frames the switch hands it through the adapter's default vPort
 * and hands up every frame the PF indicates. Where Windows' vmswitch.sys is
 * one binary with the switch inside, iovlab keeps the switch's logic in the
 * lab (src/hv/vswitch.c) and this driver exports one table the host finds
 * with ndis_protocol_driver_symbol(p, VMSP_PROTO_SYMBOL). A binding is
 * named by its adapter's permanent MAC address, so an attachment survives
 * the PF's restart (unbind, rebind).
 */
#ifndef IOVLAB_HV_VMSP_H
#define IOVLAB_HV_VMSP_H

#include <stdbool.h>
#include <stdint.h>

#define VMSP_COMPONENT_ID "VMS_PP"
#define VMSP_PROTO_NAME "VMSP"		/* as the bindings view shows it */
#define VMSP_PROTO_SYMBOL "VmspProtocol"
#define VMSP_MAX_BINDINGS 8

struct vmsp_frame {
	const void *data;
	uint32_t len;
};

/* A frame the adapter indicated; data is valid only during the call. */
typedef void (*vmsp_rx_fn)(void *ctx, const void *data, uint32_t len);

struct vmsp_counters {
	uint64_t sent, completed, failed, refused, received;
};

struct vmsp_proto {
	/*
	 * Attach the switch to the binding of the adapter whose address is mac
	 * (now, or when NDIS binds it); rx NULL detaches. 0, -ENOSPC.
	 */
	int (*attach)(const uint8_t mac[6], vmsp_rx_fn rx, void *ctx);
	/*
	 * Send frames[0..n) through that adapter, in order. Returns how many
	 * were handed to NDIS, -ENOTCONN if it is not bound and running,
	 * -EINVAL for a frame of a bad length (nothing sent).
	 */
	int (*send)(const uint8_t mac[6], const struct vmsp_frame *frames, unsigned n);
	bool (*running)(const uint8_t mac[6]);
	void (*get_counters)(const uint8_t mac[6], struct vmsp_counters *c);
};

#endif /* IOVLAB_HV_VMSP_H */
