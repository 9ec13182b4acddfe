/*
 * What the vPCI VSP (host, vpci_vsp.c) and the vPCI bus driver (guest,
 * vpci_vsc.c) share besides the byte layouts of wire/vpci.h: the one
 * message table both sides check every packet against, the life cycle of a
 * vPCI function and of the vPCI bus (each a state enum, a transition table,
 * a name for logs and one checked setter), the reasons a message is
 * refused, and the mapping of wire statuses to -errno. Both sides walk the
 * same device diagram (docs/hv/vpci.md): the host from "pending", the guest
 * from "reported".
 */
#ifndef IOVLAB_HV_VPCI_PROTO_H
#define IOVLAB_HV_VPCI_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#include "wire/vpci.h"

#define VPCI_TOPIC "lab.hv.vpci"

/* ---- function (device) life cycle --------------------------------------- */

enum vpci_dev_state {
	VPCI_DEV_PENDING,	/* host only: added, not yet in relations the guest got */
	VPCI_DEV_REPORTED,	/* in the guest's bus relations; no resources yet */
	VPCI_DEV_ASSIGNED,	/* BAR resources assigned (RESOURCES_ASSIGNED succeeded) */
	VPCI_DEV_ACTIVE,	/* powered up: D0 */
	VPCI_DEV_EJECTING,	/* the host asked the guest to eject it */
	VPCI_DEV_REMOVED,	/* ejected, surprise-removed or the guest is gone (final) */
	VPCI_DEV_STATE_COUNT,
};

const char *vpci_dev_state_name(enum vpci_dev_state s);
bool vpci_dev_legal(enum vpci_dev_state from, enum vpci_dev_state to);
/*
 * The one place a function changes state: checks the table, traces
 * "who: old -> new" at debug and refuses (-EINVAL, logged) an illegal
 * change, which the other side can provoke -- so it is never an assert.
 */
int vpci__dev_set_state(enum vpci_dev_state *state, enum vpci_dev_state to, const char *who);

/* ---- bus (channel protocol) life cycle ---------------------------------- */

enum vpci_bus_state {
	VPCI_BUS_CLOSED,	/* channel not open */
	VPCI_BUS_OPEN,		/* channel open, no version agreed yet */
	VPCI_BUS_NEGOTIATED,	/* version agreed */
	VPCI_BUS_D0,		/* bus powered (BUS_D0ENTRY succeeded) */
	VPCI_BUS_GONE,		/* channel rescinded or the partition is gone (final) */
	VPCI_BUS_STATE_COUNT,
};

const char *vpci_bus_state_name(enum vpci_bus_state s);
bool vpci_bus_legal(enum vpci_bus_state from, enum vpci_bus_state to);
int vpci__bus_set_state(enum vpci_bus_state *state, enum vpci_bus_state to, const char *who);

/* ---- refusals ----------------------------------------------------------- */

/* Why a message from the other side was refused; each is counted. */
enum vpci_refusal {
	VPCI_REFUSED_SHORT,	/* shorter than its header or its type's size */
	VPCI_REFUSED_TYPE,	/* unknown type, wrong direction or packet type */
	VPCI_REFUSED_VERSION,	/* before a version was agreed, or newer than it */
	VPCI_REFUSED_LENGTH,	/* longer than its type allows, or count and size disagree */
	VPCI_REFUSED_DEVICE,	/* no such function */
	VPCI_REFUSED_PARAM,	/* a field out of range (offset, length, power state ...) */
	VPCI_REFUSED_STATE,	/* not allowed in the bus's or the function's state */
	VPCI_REFUSED_UNEXPECTED, /* a completion nobody waits for */
	VPCI_REFUSED_COUNT,
};

const char *vpci_refusal_name(enum vpci_refusal r);
/* The status a refusal is answered with (VPCI_STATUS_*). */
uint32_t vpci_refusal_status(enum vpci_refusal r);

/* ---- message table ------------------------------------------------------ */

enum vpci_dir {
	VPCI_TO_HOST,
	VPCI_TO_GUEST,
};

struct vpci_msg_info {
	uint32_t type;		/* VPCI_MSG_* */
	const char *name;	/* "QUERY_PROTOCOL_VERSION" */
	enum vpci_dir dir;
	uint32_t min_len;	/* packet bytes, inclusive */
	uint32_t max_len;
	uint32_t min_version;	/* 0: allowed before negotiation; else the version it needs */
	bool completion;	/* guest -> host: answered with a completion */
	uint32_t resp_len;	/* size of a successful completion */
};

/* The entry for type, or NULL. */
const struct vpci_msg_info *vpci_msg_info(uint32_t type);
/* "BUS_RELATIONS" ...; "unknown" for anything else. */
const char *vpci_msg_name(uint32_t type);

/*
 * Check a message of len bytes arriving in direction dir while version is
 * agreed (0: none yet): long enough for a header, a known type for that
 * direction, a size within the type's bounds, allowed at that version.
 * Returns 0 with *info set, or -EBADMSG with *why (VPCI_REFUSED_SHORT,
 * _TYPE, _LENGTH or _VERSION). Fields are the handler's to check.
 */
int vpci_msg_check(const void *msg, uint32_t len, enum vpci_dir dir, uint32_t version,
		   const struct vpci_msg_info **info, enum vpci_refusal *why);

/* ---- helpers ------------------------------------------------------------ */

/* 0 for a success status, else the closest -errno (-EINVAL, -ENODEV, -EIO ...). */
int vpci_status_to_errno(uint32_t status);

/* True if version is in the wire list VPCI_PROTO_VERSIONS. */
bool vpci_version_known(uint32_t version);

/*
 * True if [offset, offset + length) is a valid config-space transfer:
 * 1 <= length <= VPCI_CFG_XFER_MAX and the end within VPCI_CFG_SPACE_SIZE,
 * computed without wrap-around.
 */
bool vpci_cfg_range_ok(uint32_t offset, uint32_t length);

#endif /* IOVLAB_HV_VPCI_PROTO_H */
