/*
 * pf_proto: a test protocol standing where the virtual switch binds to the
 * PF (LowerRange ndis5). It sends frames the test gives it and keeps a copy
 * of every frame it receives with the NBL's vPort id. Exported as
 * "PfProto" (control block) and the PfProto* functions.
 */
#ifndef IOVLAB_TESTS_PF_PROTO_H
#define IOVLAB_TESTS_PF_PROTO_H

#include <ndis/ndis.h>

#define PF_PROTO_KEEP 256

struct pf_proto_frame {
	ULONG len;
	USHORT vport;
	UCHAR data[64];		/* the first bytes */
};

struct pf_proto {
	/* knobs */
	int hold;			/* keep received NBLs until PfProtoReturnHeld */
	/* what it saw */
	unsigned binds, unbinds;
	unsigned received;		/* frames */
	unsigned receive_calls;
	struct pf_proto_frame frames[PF_PROTO_KEEP];
	unsigned sent, completed, completed_ok;
	NDIS_STATUS last_send_status;
	unsigned link_indications;
	NET_IF_MEDIA_CONNECT_STATE last_link;
	PNET_BUFFER_LIST held;
	unsigned held_count;
};

#endif
