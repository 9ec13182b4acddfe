/*
 * srnic's NIC switch: the bridge between the uplink and the vPorts (vPort 0
 * the PF's default vPort, others attached to a VF or the PF), each vPort
 * owning queue pairs of its function and receiving the frames its MAC/VLAN
 * filters match. TX of any function goes to the vPort whose filter matches
 * the destination (VEB hairpin) or else to the uplink; uplink RX goes to the
 * matching vPort or is dropped (no filter matched); broadcast and multicast
 * replicate to every other vPort on the VLAN and the uplink. Every drop is
 * counted with its reason on the switch and on the function involved. Models
 * the NDIS NIC switch of ndis-sriov-spec.md 1.1 rows 4-5 and 2.10; the PF
 * programs it through registers 0x2000.. (docs/hw/srnic.md "NIC switch").
 */
#include <errno.h>
#include <string.h>

#include "base/log.h"
#include "hw/srnic/srnic_int.h"

static bool vport_valid(const struct srnic *nic, unsigned v)
{
	return v < SRNIC_NUM_VPORTS && (nic->vport_cfg[v] & SRNIC_VPORT_CFG_VALID);
}

static void rebuild(struct srnic *nic)
{
	for (unsigned i = 0; i < SRNIC_FHASH; i++)
		nic->fhash[i].vport = -1;
	for (unsigned i = 0; i < SRNIC_NUM_FILTERS; i++) {
		const struct srnic_filter *fl = &nic->filters[i];
		unsigned s;

		if (!(fl->cfg & SRNIC_FILTER_CFG_VALID) ||
		    !vport_valid(nic, SRNIC_FILTER_CFG_GET_VPORT(fl->cfg)))
			continue;
		uint64_t k = srnic__fkey(fl->mac, fl->cfg & SRNIC_FILTER_CFG_VLAN_EN,
				  SRNIC_FILTER_CFG_GET_VLAN(fl->cfg));
		s = srnic__fhash_slot(k);
		while (nic->fhash[s].vport >= 0)
			s = (s + 1) & (SRNIC_FHASH - 1);
		nic->fhash[s].key = k;
		nic->fhash[s].vport = (int16_t)SRNIC_FILTER_CFG_GET_VPORT(fl->cfg);
	}
	for (unsigned f = 0; f < SRNIC_NFUNCS; f++)
		nic->fns[f].vport = -1;
	for (unsigned v = SRNIC_NUM_VPORTS; v-- > 0;)
		if (vport_valid(nic, v))
			nic->fns[SRNIC_VPORT_CFG_GET_FUNC(nic->vport_cfg[v])].vport = (int)v;
	srnic__changed(nic);
}

void srnic__switch_reset(struct srnic *nic)
{
	nic->sw_ctrl = 0;
	nic->vport_sel = nic->filter_sel = nic->cmd_status = 0;
	memset(nic->vport_cfg, 0, sizeof(nic->vport_cfg));
	memset(nic->filters, 0, sizeof(nic->filters));
	memset(nic->sw_drops, 0, sizeof(nic->sw_drops));
	nic->sw_uplink_tx = nic->sw_uplink_rx = 0;
	/* The default vPort always exists on the PF, with all its queue pairs. */
	nic->vport_cfg[0] = SRNIC_VPORT_CFG_VALID | SRNIC_VPORT_CFG_FUNC(0) |
			    SRNIC_VPORT_CFG_QP_FIRST(0) | SRNIC_VPORT_CFG_QP_NUM(SRNIC_PF_NUM_QP);
	rebuild(nic);
}

static const char *const drop_names[] = { "no filter matched", "ring full", "bad descriptor", "link down" };

void srnic__drop(struct srnic *nic, struct srnic_fn *f, enum srnic_drop why)
{
	nic->sw_drops[why]++;
	if (f)
		f->stats[SRNIC_ST_DROP_NO_FILTER + why]++;
	log_trace(SRNIC_TOPIC, "drop (%s) on fn %d", drop_names[why], f ? (int)f->index : -1);
}

bool srnic__uplink_up(const struct srnic *nic)
{
	return nic->uplink && (!nic->uplink->link_up || nic->uplink->link_up(nic->uplink_ctx));
}

void srnic__uplink_tx(struct srnic *nic, struct srnic_fn *src, const uint8_t *frame, uint32_t len)
{
	if (!srnic__uplink_up(nic) || nic->uplink->transmit(nic->uplink_ctx, frame, len)) {
		srnic__drop(nic, src, SRNIC_DROP_LINK_DOWN);
		return;
	}
	nic->sw_uplink_tx++;
	if (nic->cap)
		nic->cap(nic->cap_ctx, SRNIC_CAPTURE_UPLINK, false, frame, len);
}

/* Which vPorts are on the frame's VLAN: those with a filter for it. */
static void vlan_members(const struct srnic *nic, bool tagged, unsigned vlan, bool *member)
{
	memset(member, 0, SRNIC_NUM_VPORTS);
	for (unsigned i = 0; i < SRNIC_NUM_FILTERS; i++) {
		uint32_t c = nic->filters[i].cfg;
		bool en = c & SRNIC_FILTER_CFG_VLAN_EN;

		if (!(c & SRNIC_FILTER_CFG_VALID))
			continue;
		if (tagged ? (en && SRNIC_FILTER_CFG_GET_VLAN(c) == vlan) : !en)
			member[SRNIC_FILTER_CFG_GET_VPORT(c)] = true;
	}
}

/* src_vport < 0: the frame came from the uplink. */
static void forward(struct srnic *nic, int src_vport, struct srnic_fn *src, const uint8_t *frame,
		    uint32_t len)
{
	bool tagged = false;
	unsigned vlan = 0;
	int dst;

	if (len >= 18 && frame[12] == 0x81 && frame[13] == 0x00) {
		vlan = ((unsigned)frame[14] << 8 | frame[15]) & 0xfff;
		tagged = vlan != 0;	/* priority-tagged counts as untagged (spec 8.7 #11) */
	}
	if (frame[0] & 1) {
		bool member[SRNIC_NUM_VPORTS];
		unsigned copies = 0;

		vlan_members(nic, tagged, vlan, member);
		for (unsigned v = 0; v < SRNIC_NUM_VPORTS; v++)
			if ((int)v != src_vport && member[v] && vport_valid(nic, v)) {
				srnic__rx_deliver(nic, v, frame, len);
				copies++;
			}
		if (src_vport >= 0)
			srnic__uplink_tx(nic, src, frame, len);
		else if (!copies)
			srnic__drop(nic, NULL, SRNIC_DROP_NO_FILTER);
		return;
	}
	dst = srnic__lookup(nic, frame, tagged, vlan);
	if (dst >= 0 && dst != src_vport) {
		srnic__rx_deliver(nic, (unsigned)dst, frame, len);
		return;
	}
	if (src_vport >= 0)
		srnic__uplink_tx(nic, src, frame, len);	/* unknown unicast leaves by the uplink */
	else
		srnic__drop(nic, NULL, SRNIC_DROP_NO_FILTER);
}

void srnic__switch_tx(struct srnic_fn *src, const uint8_t *frame, uint32_t len)
{
	struct srnic *nic = src->nic;

	if (!(nic->sw_ctrl & SRNIC_SW_CTRL_ENABLE)) {
		/* No switch: the PF is a plain NIC, VFs have no path out. */
		if (src->index == 0)
			srnic__uplink_tx(nic, src, frame, len);
		else
			srnic__drop(nic, src, SRNIC_DROP_LINK_DOWN);
		return;
	}
	if (src->vport < 0) {
		srnic__drop(nic, src, SRNIC_DROP_LINK_DOWN);	/* not attached to a vPort */
		return;
	}
	forward(nic, src->vport, src, frame, len);
}

void srnic__switch_from_uplink(struct srnic *nic, const uint8_t *frame, uint32_t len)
{
	nic->sw_uplink_rx++;
	if (nic->cap)
		nic->cap(nic->cap_ctx, SRNIC_CAPTURE_UPLINK, true, frame, len);
	if (!(nic->sw_ctrl & SRNIC_SW_CTRL_ENABLE)) {
		srnic__rx_deliver(nic, 0, frame, len);
		return;
	}
	forward(nic, -1, NULL, frame, len);
}

/* ---- PF registers 0x2000.. ---- */

static int cmd_fail(struct srnic *nic, uint32_t off, int err, const char *why)
{
	log_warn(SRNIC_TOPIC, "PF: NIC switch register 0x%x: %s", off, why);
	nic->cmd_status = (uint32_t)err;
	nic->fns[0].err_cause |= SRNIC_ERR_REG;
	return -err;
}

static unsigned fn_nqp(unsigned fn)
{
	return fn ? SRNIC_VF_NUM_QP : SRNIC_PF_NUM_QP;
}

static int vport_write(struct srnic *nic, uint32_t val)
{
	unsigned v = nic->vport_sel;
	unsigned fn = SRNIC_VPORT_CFG_GET_FUNC(val);
	unsigned first = SRNIC_VPORT_CFG_GET_QP_FIRST(val), num = SRNIC_VPORT_CFG_GET_QP_NUM(val);
	uint32_t known = SRNIC_VPORT_CFG_VALID | SRNIC_VPORT_CFG_FUNC(~0u) | SRNIC_VPORT_CFG_QP_FIRST(~0u) |
			 SRNIC_VPORT_CFG_QP_NUM(~0u);

	if (val & ~known)
		return cmd_fail(nic, SRNIC_REG_VPORT_CFG, EINVAL, "reserved vPort bits set");
	if (!(val & SRNIC_VPORT_CFG_VALID)) {
		if (v == 0)
			return cmd_fail(nic, SRNIC_REG_VPORT_CFG, EPERM, "the default vPort 0 cannot be deleted");
		nic->vport_cfg[v] = 0;
		goto done;
	}
	/* A VF past the board's TotalVFs has no PCIe function (srnic_create_geometry). */
	if (fn > SRNIC_TOTAL_VFS || (fn && !nic->fns[fn].pci))
		return cmd_fail(nic, SRNIC_REG_VPORT_CFG, EINVAL, "vPort function beyond TotalVFs");
	if (v == 0 && fn != 0)
		return cmd_fail(nic, SRNIC_REG_VPORT_CFG, EPERM, "the default vPort stays on the PF");
	if (num < 1 || first + num > fn_nqp(fn))
		return cmd_fail(nic, SRNIC_REG_VPORT_CFG, EINVAL, "vPort queue pairs outside the function's");
	if (fn != 0)
		for (unsigned o = 1; o < SRNIC_NUM_VPORTS; o++)
			if (o != v && vport_valid(nic, o) && SRNIC_VPORT_CFG_GET_FUNC(nic->vport_cfg[o]) == fn)
				return cmd_fail(nic, SRNIC_REG_VPORT_CFG, EEXIST, "a VF has one vPort");
	nic->vport_cfg[v] = val;
done:
	log_info(SRNIC_TOPIC, "vPort %u: %s", v, (val & SRNIC_VPORT_CFG_VALID) ? "configured" : "deleted");
	nic->cmd_status = 0;
	rebuild(nic);
	return 0;
}

static int filter_write(struct srnic *nic, uint32_t val)
{
	struct srnic_filter *fl = &nic->filters[nic->filter_sel];
	uint8_t mac[6];
	uint32_t known = SRNIC_FILTER_CFG_VALID | SRNIC_FILTER_CFG_VLAN_EN | SRNIC_FILTER_CFG_VLAN(~0u) |
			 SRNIC_FILTER_CFG_VPORT(~0u);

	for (int i = 0; i < 4; i++)
		mac[i] = (uint8_t)(fl->mac_lo >> (8 * i));
	mac[4] = (uint8_t)fl->mac_hi;
	mac[5] = (uint8_t)(fl->mac_hi >> 8);
	if (val & ~known)
		return cmd_fail(nic, SRNIC_REG_FILTER_CFG, EINVAL, "reserved filter bits set");
	if (val & SRNIC_FILTER_CFG_VALID) {
		unsigned v = SRNIC_FILTER_CFG_GET_VPORT(val);

		if (!vport_valid(nic, v))
			return cmd_fail(nic, SRNIC_REG_FILTER_CFG, EINVAL, "filter names a vPort that does not exist");
		if (mac[0] & 1)
			return cmd_fail(nic, SRNIC_REG_FILTER_CFG, EINVAL, "filters match unicast MACs only");
		if ((val & SRNIC_FILTER_CFG_VLAN_EN) && SRNIC_FILTER_CFG_GET_VLAN(val) == 0)
			return cmd_fail(nic, SRNIC_REG_FILTER_CFG, EINVAL, "VLAN 0 is untagged: clear VLAN_EN");
		for (unsigned i = 0; i < SRNIC_NUM_FILTERS; i++) {
			const struct srnic_filter *o = &nic->filters[i];
			if (i != nic->filter_sel && (o->cfg & SRNIC_FILTER_CFG_VALID) && !memcmp(o->mac, mac, 6) &&
			    ((o->cfg ^ val) & (SRNIC_FILTER_CFG_VLAN_EN | (0xfffu << 16))) == 0)
				return cmd_fail(nic, SRNIC_REG_FILTER_CFG, EEXIST, "another filter has this MAC/VLAN");
		}
	}
	memcpy(fl->mac, mac, 6);
	fl->cfg = val;
	log_info(SRNIC_TOPIC, "filter %u: %02x:%02x:%02x:%02x:%02x:%02x vlan %s%u -> vPort %u %s",
		 nic->filter_sel, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
		 (val & SRNIC_FILTER_CFG_VLAN_EN) ? "" : "(none) ", SRNIC_FILTER_CFG_GET_VLAN(val),
		 SRNIC_FILTER_CFG_GET_VPORT(val), (val & SRNIC_FILTER_CFG_VALID) ? "set" : "cleared");
	nic->cmd_status = 0;
	rebuild(nic);
	return 0;
}

int srnic__switch_read(struct srnic *nic, uint32_t off, uint32_t *val)
{
	switch (off) {
	case SRNIC_REG_SW_CTRL: *val = nic->sw_ctrl; return 0;
	case SRNIC_REG_VPORT_SEL: *val = nic->vport_sel; return 0;
	case SRNIC_REG_VPORT_CFG: *val = nic->vport_cfg[nic->vport_sel]; return 0;
	case SRNIC_REG_FILTER_SEL: *val = nic->filter_sel; return 0;
	case SRNIC_REG_FILTER_MAC_LO: *val = nic->filters[nic->filter_sel].mac_lo; return 0;
	case SRNIC_REG_FILTER_MAC_HI: *val = nic->filters[nic->filter_sel].mac_hi; return 0;
	case SRNIC_REG_FILTER_CFG: *val = nic->filters[nic->filter_sel].cfg; return 0;
	case SRNIC_REG_CMD_STATUS: *val = nic->cmd_status; return 0;
	case SRNIC_REG_UPLINK_STATUS: *val = srnic__uplink_up(nic) ? 1 : 0; return 0;
	case SRNIC_REG_SW_DROP_NO_FILTER: *val = nic->sw_drops[SRNIC_DROP_NO_FILTER]; return 0;
	case SRNIC_REG_SW_DROP_RING_FULL: *val = nic->sw_drops[SRNIC_DROP_RING_FULL]; return 0;
	case SRNIC_REG_SW_DROP_BAD_DESC: *val = nic->sw_drops[SRNIC_DROP_BAD_DESC]; return 0;
	case SRNIC_REG_SW_DROP_LINK_DOWN: *val = nic->sw_drops[SRNIC_DROP_LINK_DOWN]; return 0;
	case SRNIC_REG_SW_UPLINK_TX: *val = nic->sw_uplink_tx; return 0;
	case SRNIC_REG_SW_UPLINK_RX: *val = nic->sw_uplink_rx; return 0;
	case SRNIC_REG_VF_RESET: *val = 0; return 0;
	}
	*val = 0;
	return cmd_fail(nic, off, EINVAL, "no such register");
}

int srnic__switch_write(struct srnic *nic, uint32_t off, uint32_t val)
{
	switch (off) {
	case SRNIC_REG_SW_CTRL:
		if (val & ~SRNIC_SW_CTRL_ENABLE)
			return cmd_fail(nic, off, EINVAL, "reserved switch control bits");
		if ((val ^ nic->sw_ctrl) & SRNIC_SW_CTRL_ENABLE)
			log_info(SRNIC_TOPIC, "NIC switch %s", (val & SRNIC_SW_CTRL_ENABLE) ? "enabled" : "disabled");
		nic->sw_ctrl = val;
		srnic__changed(nic);
		return 0;
	case SRNIC_REG_VPORT_SEL:
		if (val >= SRNIC_NUM_VPORTS)
			return cmd_fail(nic, off, EINVAL, "vPort index out of range");
		nic->vport_sel = val;
		return 0;
	case SRNIC_REG_VPORT_CFG:
		return vport_write(nic, val);
	case SRNIC_REG_FILTER_SEL:
		if (val >= SRNIC_NUM_FILTERS)
			return cmd_fail(nic, off, EINVAL, "filter index out of range");
		nic->filter_sel = val;
		return 0;
	case SRNIC_REG_FILTER_MAC_LO:
		nic->filters[nic->filter_sel].mac_lo = val;
		return 0;
	case SRNIC_REG_FILTER_MAC_HI:
		if (val & ~0xffffu)
			return cmd_fail(nic, off, EINVAL, "reserved MAC_HI bits");
		nic->filters[nic->filter_sel].mac_hi = val;
		return 0;
	case SRNIC_REG_FILTER_CFG:
		return filter_write(nic, val);
	case SRNIC_REG_VF_RESET:
		if (val < 1 || val > SRNIC_TOTAL_VFS)
			return cmd_fail(nic, off, EINVAL, "VF_RESET names no VF");
		nic->cmd_status = 0;
		return srnic_vf_reset(nic, val);
	}
	return cmd_fail(nic, off, EPERM, "read-only or unknown switch register");
}
