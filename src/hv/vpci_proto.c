/*
 * The vPCI protocol pieces both partitions share (see vpci_proto.h): the
 * message table, the two state machines and the status mapping. The table
 * is the only place that says which message may travel which way, how big
 * it may be and from which version on; vpci_vsp.c, vpci_vsc.c and the fuzz
 * targets all check packets with vpci_msg_check() before reading a field.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "base/log.h"
#include "hv/vpci_proto.h"

/* ---- device states ------------------------------------------------------ */

static const char *const vpci_dev_state_names[VPCI_DEV_STATE_COUNT] = {
	[VPCI_DEV_PENDING] = "pending",
	[VPCI_DEV_REPORTED] = "reported",
	[VPCI_DEV_ASSIGNED] = "assigned",
	[VPCI_DEV_ACTIVE] = "active",
	[VPCI_DEV_EJECTING] = "ejecting",
	[VPCI_DEV_REMOVED] = "removed",
};

#define TO(s) (1u << VPCI_DEV_##s)
/*
 * vpci_dev_transitions[from] has bit `to` set when from -> to is legal.
 * Back to pending: the guest closed the channel, so the host will report
 * the function again when it reopens. Ejecting only ends in removed: once
 * the host asked, the function leaves (gracefully or by surprise).
 */
static const unsigned vpci_dev_transitions[VPCI_DEV_STATE_COUNT] = {
	[VPCI_DEV_PENDING] = TO(REPORTED) | TO(REMOVED),
	[VPCI_DEV_REPORTED] = TO(ASSIGNED) | TO(EJECTING) | TO(PENDING) | TO(REMOVED),
	[VPCI_DEV_ASSIGNED] = TO(ACTIVE) | TO(REPORTED) | TO(EJECTING) | TO(PENDING) | TO(REMOVED),
	[VPCI_DEV_ACTIVE] = TO(ASSIGNED) | TO(EJECTING) | TO(PENDING) | TO(REMOVED),
	[VPCI_DEV_EJECTING] = TO(REMOVED),
	[VPCI_DEV_REMOVED] = 0,
};
#undef TO

const char *vpci_dev_state_name(enum vpci_dev_state s)
{
	return (unsigned)s < VPCI_DEV_STATE_COUNT ? vpci_dev_state_names[s] : "?";
}

bool vpci_dev_legal(enum vpci_dev_state from, enum vpci_dev_state to)
{
	return (unsigned)from < VPCI_DEV_STATE_COUNT && (unsigned)to < VPCI_DEV_STATE_COUNT &&
	       (vpci_dev_transitions[from] & (1u << to));
}

int vpci__dev_set_state(enum vpci_dev_state *state, enum vpci_dev_state to, const char *who)
{
	if (!vpci_dev_legal(*state, to)) {
		log_warn(VPCI_TOPIC, "%s: illegal state change %s -> %s refused", who,
			 vpci_dev_state_name(*state), vpci_dev_state_name(to));
		return -EINVAL;
	}
	log_debug(VPCI_TOPIC, "%s: %s -> %s", who, vpci_dev_state_name(*state),
		  vpci_dev_state_name(to));
	*state = to;
	return 0;
}

/* ---- bus states --------------------------------------------------------- */

static const char *const vpci_bus_state_names[VPCI_BUS_STATE_COUNT] = {
	[VPCI_BUS_CLOSED] = "closed",
	[VPCI_BUS_OPEN] = "open",
	[VPCI_BUS_NEGOTIATED] = "negotiated",
	[VPCI_BUS_D0] = "d0",
	[VPCI_BUS_GONE] = "gone",
};

#define TO(s) (1u << VPCI_BUS_##s)
static const unsigned vpci_bus_transitions[VPCI_BUS_STATE_COUNT] = {
	[VPCI_BUS_CLOSED] = TO(OPEN) | TO(GONE),
	[VPCI_BUS_OPEN] = TO(NEGOTIATED) | TO(CLOSED) | TO(GONE),
	[VPCI_BUS_NEGOTIATED] = TO(D0) | TO(CLOSED) | TO(GONE),
	[VPCI_BUS_D0] = TO(NEGOTIATED) | TO(CLOSED) | TO(GONE),
	[VPCI_BUS_GONE] = 0,
};
#undef TO

const char *vpci_bus_state_name(enum vpci_bus_state s)
{
	return (unsigned)s < VPCI_BUS_STATE_COUNT ? vpci_bus_state_names[s] : "?";
}

bool vpci_bus_legal(enum vpci_bus_state from, enum vpci_bus_state to)
{
	return (unsigned)from < VPCI_BUS_STATE_COUNT && (unsigned)to < VPCI_BUS_STATE_COUNT &&
	       (vpci_bus_transitions[from] & (1u << to));
}

int vpci__bus_set_state(enum vpci_bus_state *state, enum vpci_bus_state to, const char *who)
{
	if (!vpci_bus_legal(*state, to)) {
		log_warn(VPCI_TOPIC, "%s: illegal bus state change %s -> %s refused", who,
			 vpci_bus_state_name(*state), vpci_bus_state_name(to));
		return -EINVAL;
	}
	log_debug(VPCI_TOPIC, "%s: bus %s -> %s", who, vpci_bus_state_name(*state),
		  vpci_bus_state_name(to));
	*state = to;
	return 0;
}

/* ---- refusals ----------------------------------------------------------- */

static const struct {
	const char *name;
	uint32_t status;
} vpci_refusals[VPCI_REFUSED_COUNT] = {
	[VPCI_REFUSED_SHORT] = { "short", VPCI_STATUS_INVALID_BUFFER_SIZE },
	[VPCI_REFUSED_TYPE] = { "bad type", VPCI_STATUS_INVALID_DEVICE_REQUEST },
	[VPCI_REFUSED_VERSION] = { "bad version", VPCI_STATUS_REVISION_MISMATCH },
	[VPCI_REFUSED_LENGTH] = { "bad length", VPCI_STATUS_INVALID_BUFFER_SIZE },
	[VPCI_REFUSED_DEVICE] = { "unknown device", VPCI_STATUS_NO_SUCH_DEVICE },
	[VPCI_REFUSED_PARAM] = { "bad parameter", VPCI_STATUS_INVALID_PARAMETER },
	[VPCI_REFUSED_STATE] = { "wrong state", VPCI_STATUS_INVALID_DEVICE_STATE },
	[VPCI_REFUSED_UNEXPECTED] = { "unexpected completion", VPCI_STATUS_INVALID_DEVICE_REQUEST },
};

const char *vpci_refusal_name(enum vpci_refusal r)
{
	return (unsigned)r < VPCI_REFUSED_COUNT ? vpci_refusals[r].name : "?";
}

uint32_t vpci_refusal_status(enum vpci_refusal r)
{
	return (unsigned)r < VPCI_REFUSED_COUNT ? vpci_refusals[r].status
						: VPCI_STATUS_UNSUCCESSFUL;
}

/* ---- message table ------------------------------------------------------ */

#define FIXED(s) sizeof(s), sizeof(s)
#define RELATIONS_MAX(desc) \
	(uint32_t)(sizeof(struct vpci_msg_bus_relations) + VPCI_MAX_FUNCS * sizeof(desc))

static const struct vpci_msg_info vpci_msgs[] = {
	{ VPCI_MSG_QUERY_PROTOCOL_VERSION, "QUERY_PROTOCOL_VERSION", VPCI_TO_HOST,
	  FIXED(struct vpci_msg_version), 0, true, sizeof(struct vpci_resp_hdr) },
	{ VPCI_MSG_BUS_D0ENTRY, "BUS_D0ENTRY", VPCI_TO_HOST,
	  FIXED(struct vpci_msg_d0_entry), VPCI_PROTO_V1_1, true, sizeof(struct vpci_resp_hdr) },
	{ VPCI_MSG_BUS_D0EXIT, "BUS_D0EXIT", VPCI_TO_HOST,
	  FIXED(struct vpci_msg_hdr), VPCI_PROTO_V1_1, true, sizeof(struct vpci_resp_hdr) },
	{ VPCI_MSG_QUERY_BUS_RELATIONS, "QUERY_BUS_RELATIONS", VPCI_TO_HOST,
	  FIXED(struct vpci_msg_hdr), VPCI_PROTO_V1_1, false, 0 },
	{ VPCI_MSG_QUERY_RESOURCE_REQUIREMENTS, "QUERY_RESOURCE_REQUIREMENTS", VPCI_TO_HOST,
	  FIXED(struct vpci_msg_slot), VPCI_PROTO_V1_1, true,
	  sizeof(struct vpci_resp_probed_bars) },
	{ VPCI_MSG_QUERY_RESOURCES, "QUERY_RESOURCES", VPCI_TO_HOST,
	  FIXED(struct vpci_msg_slot), VPCI_PROTO_V1_1, true, sizeof(struct vpci_resp_resources) },
	{ VPCI_MSG_RESOURCES_ASSIGNED, "RESOURCES_ASSIGNED", VPCI_TO_HOST,
	  FIXED(struct vpci_msg_resources_assigned), VPCI_PROTO_V1_1, true,
	  sizeof(struct vpci_resp_hdr) },
	{ VPCI_MSG_RESOURCES_RELEASED, "RESOURCES_RELEASED", VPCI_TO_HOST,
	  FIXED(struct vpci_msg_slot), VPCI_PROTO_V1_1, true, sizeof(struct vpci_resp_hdr) },
	{ VPCI_MSG_POWER_STATE_CHANGE, "POWER_STATE_CHANGE", VPCI_TO_HOST,
	  FIXED(struct vpci_msg_power), VPCI_PROTO_V1_1, true, sizeof(struct vpci_resp_hdr) },
	{ VPCI_MSG_READ_BLOCK, "READ_BLOCK", VPCI_TO_HOST,
	  FIXED(struct vpci_msg_read_block), VPCI_PROTO_V1_1, true,
	  sizeof(struct vpci_resp_read_block) },
	{ VPCI_MSG_WRITE_BLOCK, "WRITE_BLOCK", VPCI_TO_HOST,
	  offsetof(struct vpci_msg_write_block, bytes), sizeof(struct vpci_msg_write_block),
	  VPCI_PROTO_V1_1, true, sizeof(struct vpci_resp_hdr) },
	{ VPCI_MSG_EJECTION_COMPLETE, "EJECTION_COMPLETE", VPCI_TO_HOST,
	  FIXED(struct vpci_msg_slot), VPCI_PROTO_V1_1, false, 0 },
	{ VPCI_MSG_CONFIG_READ, "CONFIG_READ", VPCI_TO_HOST,
	  FIXED(struct vpci_msg_config_read), VPCI_PROTO_V1_1, true,
	  sizeof(struct vpci_resp_config_read) },
	{ VPCI_MSG_CONFIG_WRITE, "CONFIG_WRITE", VPCI_TO_HOST,
	  offsetof(struct vpci_msg_config_write, data), sizeof(struct vpci_msg_config_write),
	  VPCI_PROTO_V1_1, true, sizeof(struct vpci_resp_hdr) },

	{ VPCI_MSG_BUS_RELATIONS, "BUS_RELATIONS", VPCI_TO_GUEST,
	  sizeof(struct vpci_msg_bus_relations), RELATIONS_MAX(struct vpci_func_desc),
	  VPCI_PROTO_V1_1, false, 0 },
	{ VPCI_MSG_BUS_RELATIONS2, "BUS_RELATIONS2", VPCI_TO_GUEST,
	  sizeof(struct vpci_msg_bus_relations2), RELATIONS_MAX(struct vpci_func_desc2),
	  VPCI_PROTO_V1_2, false, 0 },
	{ VPCI_MSG_EJECT, "EJECT", VPCI_TO_GUEST,
	  FIXED(struct vpci_msg_slot), VPCI_PROTO_V1_1, false, 0 },
	{ VPCI_MSG_INVALIDATE_BLOCK, "INVALIDATE_BLOCK", VPCI_TO_GUEST,
	  FIXED(struct vpci_msg_invalidate), VPCI_PROTO_V1_1, false, 0 },
};
#undef FIXED
#undef RELATIONS_MAX

const struct vpci_msg_info *vpci_msg_info(uint32_t type)
{
	for (size_t i = 0; i < sizeof(vpci_msgs) / sizeof(vpci_msgs[0]); i++)
		if (vpci_msgs[i].type == type)
			return &vpci_msgs[i];
	return NULL;
}

const char *vpci_msg_name(uint32_t type)
{
	const struct vpci_msg_info *mi = vpci_msg_info(type);

	return mi ? mi->name : "unknown";
}

int vpci_msg_check(const void *msg, uint32_t len, enum vpci_dir dir, uint32_t version,
		   const struct vpci_msg_info **info, enum vpci_refusal *why)
{
	const struct vpci_msg_info *mi;
	struct vpci_msg_hdr hdr;

	*info = NULL;
	if (len < sizeof(hdr)) {
		*why = VPCI_REFUSED_SHORT;
		return -EBADMSG;
	}
	memcpy(&hdr, msg, sizeof(hdr));
	mi = vpci_msg_info(hdr.type);
	if (!mi || mi->dir != dir) {
		*why = VPCI_REFUSED_TYPE;
		return -EBADMSG;
	}
	*info = mi;
	if (len < mi->min_len) {
		*why = VPCI_REFUSED_SHORT;
		return -EBADMSG;
	}
	if (len > mi->max_len) {
		*why = VPCI_REFUSED_LENGTH;
		return -EBADMSG;
	}
	if (mi->min_version && (!version || version < mi->min_version)) {
		*why = VPCI_REFUSED_VERSION;
		return -EBADMSG;
	}
	return 0;
}

/* ---- helpers ------------------------------------------------------------ */

int vpci_status_to_errno(uint32_t status)
{
	if (VPCI_STATUS_OK(status))
		return 0;
	switch (status) {
	case VPCI_STATUS_INVALID_PARAMETER:
	case VPCI_STATUS_INVALID_BUFFER_SIZE:
	case VPCI_STATUS_INVALID_LENGTH:
		return -EINVAL;
	case VPCI_STATUS_NO_SUCH_DEVICE:
	case VPCI_STATUS_DEVICE_REMOVED:
		return -ENODEV;
	case VPCI_STATUS_REVISION_MISMATCH:
		return -EPROTONOSUPPORT;
	case VPCI_STATUS_NOT_SUPPORTED:
	case VPCI_STATUS_INVALID_DEVICE_REQUEST:
		return -EOPNOTSUPP;
	case VPCI_STATUS_INVALID_DEVICE_STATE:
		return -EBUSY;
	default:
		return -EIO;
	}
}

bool vpci_version_known(uint32_t version)
{
	static const uint32_t versions[] = VPCI_PROTO_VERSIONS;

	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (versions[i] == version)
			return true;
	return false;
}

bool vpci_cfg_range_ok(uint32_t offset, uint32_t length)
{
	/* 64-bit sum: offset 0xfffffffc + length 8 must not wrap to 4. */
	return length >= 1 && length <= VPCI_CFG_XFER_MAX &&
	       (uint64_t)offset + length <= VPCI_CFG_SPACE_SIZE;
}
