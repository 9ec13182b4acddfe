/*
 * mp_hw.c -- HW* register and config-space access of the srnic PF miniport:
 * BAR0 found in the PF's own config space and mapped with NdisMMapIoSpace,
 * every register touched with NdisRead/WriteRegisterUlong (so the bus sees
 * each access), and the PF-only NIC switch commands of docs/hw/srnic.md
 * ("PF only: NIC switch"): a vPort or filter write is one commit, and the
 * device reports a refused command in CMD_STATUS, which these helpers turn
 * into an NDIS status. Nothing above this file knows a register offset.
 */
#include "srnic_pf.h"

#define PCI_COMMAND_REG		0x04
#define PCI_COMMAND_MEMORY_BIT	0x0002
#define PCI_COMMAND_MASTER_BIT	0x0004
#define PCI_BAR0_REG		0x10
#define PCI_BAR_MEM64		0x04

ULONG HWReadConfig(_In_ PMP_ADAPTER Adapter, ULONG Offset, ULONG Length)
{
	UCHAR b[4] = { 0 };
	ULONG v = 0;

	if (Length > sizeof(b) ||
	    NdisMGetBusData(Adapter->AdapterHandle, PCI_WHICHSPACE_CONFIG, Offset, b, Length) != Length)
		return 0xffffffffu;
	for (ULONG i = 0; i < Length; i++)
		v |= (ULONG)b[i] << (8 * i);
	return v;
}

BOOLEAN HWWriteConfig(_In_ PMP_ADAPTER Adapter, ULONG Offset, ULONG Length, ULONG Value)
{
	UCHAR b[4];

	if (Length > sizeof(b))
		return FALSE;
	for (ULONG i = 0; i < Length; i++)
		b[i] = (UCHAR)(Value >> (8 * i));
	return NdisMSetBusData(Adapter->AdapterHandle, PCI_WHICHSPACE_CONFIG, Offset, b, Length) == Length;
}

ULONG HWReadRegister(_In_ PMP_ADAPTER Adapter, ULONG Offset)
{
	ULONG v = 0;

	NdisReadRegisterUlong((volatile ULONG *)(Adapter->Bar0 + Offset), &v);
	return v;
}

VOID HWWriteRegister(_In_ PMP_ADAPTER Adapter, ULONG Offset, ULONG Value)
{
	NdisWriteRegisterUlong((volatile ULONG *)(Adapter->Bar0 + Offset), Value);
}

NDIS_STATUS HWInitialize(_Inout_ PMP_ADAPTER Adapter)
{
	ULONG lo, hi, version, mac_lo, mac_hi, cmd;
	NDIS_STATUS Status;

	/* BAR0 is a 64-bit memory BAR (datasheet "PCI configuration space"). */
	Adapter->VendorId = (USHORT)HWReadConfig(Adapter, 0x00, 2);
	lo = HWReadConfig(Adapter, PCI_BAR0_REG, 4);
	hi = (lo & PCI_BAR_MEM64) ? HWReadConfig(Adapter, PCI_BAR0_REG + 4, 4) : 0;
	Adapter->Bar0Pa.QuadPart = (LONGLONG)(((ULONG64)hi << 32) | (lo & ~0xfu));
	if (Adapter->VendorId != SRNIC_VENDOR_ID || lo == 0xffffffffu || Adapter->Bar0Pa.QuadPart == 0) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_HW, "no srnic here: vendor 0x%x, BAR0 0x%llx", Adapter->VendorId,
			    (unsigned long long)Adapter->Bar0Pa.QuadPart);
		return NDIS_STATUS_ADAPTER_NOT_FOUND;
	}
	/* Memory decoding and bus mastering (the data path DMAs). */
	cmd = HWReadConfig(Adapter, PCI_COMMAND_REG, 2);
	(void)HWWriteConfig(Adapter, PCI_COMMAND_REG, 2, cmd | PCI_COMMAND_MEMORY_BIT | PCI_COMMAND_MASTER_BIT);

	Adapter->Bar0Length = SRNIC_PF_REGS_SIZE;
	Status = NdisMMapIoSpace((PVOID *)&Adapter->Bar0, Adapter->AdapterHandle, Adapter->Bar0Pa, Adapter->Bar0Length);
	if (Status != NDIS_STATUS_SUCCESS) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_HW, "NdisMMapIoSpace(BAR0 0x%llx) failed: 0x%x",
			    (unsigned long long)Adapter->Bar0Pa.QuadPart, (unsigned)Status);
		Adapter->Bar0 = NULL;
		return Status;
	}
	version = HWReadRegister(Adapter, SRNIC_REG_VERSION);
	if (version != SRNIC_VERSION_1) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_HW, "register map version 0x%x, this driver knows 0x%x", version,
			    SRNIC_VERSION_1);
		HWRelease(Adapter);
		return NDIS_STATUS_ADAPTER_NOT_FOUND;
	}
	/* Start from a clean function: reset, then let it onto the switch. */
	HWWriteRegister(Adapter, SRNIC_REG_CTRL, SRNIC_CTRL_RESET);
	HWWriteRegister(Adapter, SRNIC_REG_CTRL, SRNIC_CTRL_ENABLE);
	Adapter->NumQueuePairs = HWReadRegister(Adapter, SRNIC_REG_NUM_QP);
	mac_lo = HWReadRegister(Adapter, SRNIC_REG_MAC_LO);
	mac_hi = HWReadRegister(Adapter, SRNIC_REG_MAC_HI);
	for (int i = 0; i < 4; i++)
		Adapter->PermanentMac[i] = (UCHAR)(mac_lo >> (8 * i));
	Adapter->PermanentMac[4] = (UCHAR)mac_hi;
	Adapter->PermanentMac[5] = (UCHAR)(mac_hi >> 8);
	NdisMoveMemory(Adapter->CurrentMac, Adapter->PermanentMac, 6);
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_HW,
		    "srnic version 0x%x at BAR0 0x%llx, %u queue pairs, MAC %02x:%02x:%02x:%02x:%02x:%02x", version,
		    (unsigned long long)Adapter->Bar0Pa.QuadPart, Adapter->NumQueuePairs, Adapter->PermanentMac[0],
		    Adapter->PermanentMac[1], Adapter->PermanentMac[2], Adapter->PermanentMac[3], Adapter->PermanentMac[4],
		    Adapter->PermanentMac[5]);
	return NDIS_STATUS_SUCCESS;
}

VOID HWRelease(_Inout_ PMP_ADAPTER Adapter)
{
	if (!Adapter->Bar0)
		return;
	HWWriteRegister(Adapter, SRNIC_REG_CTRL, 0);
	NdisMUnmapIoSpace(Adapter->AdapterHandle, Adapter->Bar0, Adapter->Bar0Length);
	Adapter->Bar0 = NULL;
}

BOOLEAN HWUplinkUp(_In_ PMP_ADAPTER Adapter)
{
	return (HWReadRegister(Adapter, SRNIC_REG_UPLINK_STATUS) & 1) != 0;
}

/* A switch register write, judged by CMD_STATUS (0 or the device's errno). */
static NDIS_STATUS HWSwitchCommand(_In_ PMP_ADAPTER Adapter, ULONG Offset, ULONG Value, const char *What)
{
	ULONG err;

	HWWriteRegister(Adapter, Offset, Value);
	err = HWReadRegister(Adapter, SRNIC_REG_CMD_STATUS);
	if (err == 0)
		return NDIS_STATUS_SUCCESS;
	TraceEvents(TRACE_LEVEL_WARNING, TRACE_HW, "%s: the NIC switch refused 0x%x with errno %u", What, Value, err);
	return NDIS_STATUS_FAILURE;
}

NDIS_STATUS HWSetSwitchEnable(_In_ PMP_ADAPTER Adapter, BOOLEAN Enable)
{
	HWWriteRegister(Adapter, SRNIC_REG_SW_CTRL, Enable ? SRNIC_SW_CTRL_ENABLE : 0);
	return (HWReadRegister(Adapter, SRNIC_REG_SW_CTRL) & SRNIC_SW_CTRL_ENABLE) == (Enable ? SRNIC_SW_CTRL_ENABLE : 0u) ?
		       NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
}

NDIS_STATUS HWProgramVPort(_In_ PMP_ADAPTER Adapter, ULONG VPortId, ULONG Function, ULONG FirstQp, ULONG NumQp)
{
	HWWriteRegister(Adapter, SRNIC_REG_VPORT_SEL, VPortId);
	return HWSwitchCommand(Adapter, SRNIC_REG_VPORT_CFG,
			       SRNIC_VPORT_CFG_VALID | SRNIC_VPORT_CFG_FUNC(Function) | SRNIC_VPORT_CFG_QP_FIRST(FirstQp) |
				       SRNIC_VPORT_CFG_QP_NUM(NumQp),
			       "VPORT_CFG");
}

NDIS_STATUS HWClearVPort(_In_ PMP_ADAPTER Adapter, ULONG VPortId)
{
	HWWriteRegister(Adapter, SRNIC_REG_VPORT_SEL, VPortId);
	return HWSwitchCommand(Adapter, SRNIC_REG_VPORT_CFG, 0, "VPORT_CFG");
}

/*
 * Stage the MAC, then commit with FILTER_CFG. Re-committing a slot with a
 * new vPort is how a filter moves: one write, so no frame ever sees the MAC
 * on neither or both vPorts (spec 2.10, MOVE_FILTER is atomic).
 */
NDIS_STATUS HWProgramFilter(_In_ PMP_ADAPTER Adapter, ULONG Slot, const UCHAR *Mac, USHORT VlanId, ULONG VPortId)
{
	ULONG cfg = SRNIC_FILTER_CFG_VALID | SRNIC_FILTER_CFG_VPORT(VPortId);

	if (VlanId)
		cfg |= SRNIC_FILTER_CFG_VLAN_EN | SRNIC_FILTER_CFG_VLAN(VlanId);
	HWWriteRegister(Adapter, SRNIC_REG_FILTER_SEL, Slot);
	HWWriteRegister(Adapter, SRNIC_REG_FILTER_MAC_LO,
			(ULONG)Mac[0] | (ULONG)Mac[1] << 8 | (ULONG)Mac[2] << 16 | (ULONG)Mac[3] << 24);
	HWWriteRegister(Adapter, SRNIC_REG_FILTER_MAC_HI, (ULONG)Mac[4] | (ULONG)Mac[5] << 8);
	return HWSwitchCommand(Adapter, SRNIC_REG_FILTER_CFG, cfg, "FILTER_CFG");
}

NDIS_STATUS HWClearFilter(_In_ PMP_ADAPTER Adapter, ULONG Slot)
{
	HWWriteRegister(Adapter, SRNIC_REG_FILTER_SEL, Slot);
	return HWSwitchCommand(Adapter, SRNIC_REG_FILTER_CFG, 0, "FILTER_CFG");
}

/* VF_RESET: VF n's NIC state (queues, registers, counters) back to power-on. */
NDIS_STATUS HWResetVfState(_In_ PMP_ADAPTER Adapter, USHORT VFId)
{
	return HWSwitchCommand(Adapter, SRNIC_REG_VF_RESET, (ULONG)VFId + 1, "VF_RESET");
}
