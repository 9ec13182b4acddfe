/*
 * hardware.c -- srnic_vf's HW* layer: the VF's config space (identity,
 * BAR0, bus mastering) through NdisMGetBusData / NdisMSetBusData -- in a
 * guest those become vPCI config requests the host answers with
 * OID_SRIOV_READ/WRITE_VF_CONFIG_SPACE at the PF (spec 2.12 step 7) --, its
 * register BAR mapped with NdisMMapIoSpace and driven through
 * NdisRead/WriteRegisterUlong (include/wire/srnic_regs.h,
 * docs/hw/srnic.md), and its queue pair's descriptor rings and buffers in
 * DMA common buffers from the bus (IoGetDmaAdapter: guest memory the
 * device's IOMMU domain covers).
 */
#include "srnic_vf.h"

/* PCI_COMMON_CONFIG offsets and Command bits (wdm.h / PCI 3.0 6.2). */
#define HW_PCI_VENDOR_ID 0x00
#define HW_PCI_DEVICE_ID 0x02
#define HW_PCI_COMMAND 0x04
#define HW_PCI_BAR0 0x10
#define HW_PCI_HEADER_BYTES 0x30
#define HW_PCI_ENABLE_BUS_MASTER 0x0004
#define HW_PCI_BAR_64BIT 0x4	/* memory BAR type bits 2:1 = 10b */

#define HW_RING_BYTES (MP_RING_SIZE * sizeof(struct srnic_desc))

ULONG HWRead(PMP_ADAPTER Adapter, ULONG Offset)
{
	ULONG Value;

	NdisReadRegisterUlong((volatile ULONG *)(Adapter->Bar0 + Offset), &Value);
	return Value;
}

VOID HWWrite(PMP_ADAPTER Adapter, ULONG Offset, ULONG Value)
{
	NdisWriteRegisterUlong((volatile ULONG *)(Adapter->Bar0 + Offset), Value);
}

static ULONG HWGet32(const UCHAR *p)
{
	return (ULONG)p[0] | (ULONG)p[1] << 8 | (ULONG)p[2] << 16 | (ULONG)p[3] << 24;
}

/* Identity check, BAR0's address, bus mastering on. */
static NDIS_STATUS HWConfigSpace(PMP_ADAPTER Adapter)
{
	UCHAR Cfg[HW_PCI_HEADER_BYTES];
	USHORT Vendor, Device, Command;
	ULONG Lo, Hi = 0;

	if (NdisMGetBusData(Adapter->AdapterHandle, PCI_WHICHSPACE_CONFIG, 0, Cfg, sizeof(Cfg)) != sizeof(Cfg)) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_HW, "the VF's config space could not be read");
		return NDIS_STATUS_ADAPTER_NOT_FOUND;
	}
	Vendor = (USHORT)(Cfg[HW_PCI_VENDOR_ID] | Cfg[HW_PCI_VENDOR_ID + 1] << 8);
	Device = (USHORT)(Cfg[HW_PCI_DEVICE_ID] | Cfg[HW_PCI_DEVICE_ID + 1] << 8);
	if (Vendor != SRNIC_VENDOR_ID || Device != SRNIC_VF_DEVICE_ID) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_HW, "%04x:%04x is not an srnic VF (%04x:%04x)", Vendor, Device,
			    SRNIC_VENDOR_ID, SRNIC_VF_DEVICE_ID);
		return NDIS_STATUS_ADAPTER_NOT_FOUND;
	}
	Lo = HWGet32(Cfg + HW_PCI_BAR0);
	if (Lo & HW_PCI_BAR_64BIT)
		Hi = HWGet32(Cfg + HW_PCI_BAR0 + 4);
	Adapter->Bar0Pa.QuadPart = (LONGLONG)(((ULONG64)Hi << 32) | (Lo & ~0xfu));
	if (!Adapter->Bar0Pa.QuadPart) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_HW, "BAR0 has no address");
		return NDIS_STATUS_RESOURCES;
	}
	Command = (USHORT)(Cfg[HW_PCI_COMMAND] | Cfg[HW_PCI_COMMAND + 1] << 8);
	if (!(Command & HW_PCI_ENABLE_BUS_MASTER)) {
		Command |= HW_PCI_ENABLE_BUS_MASTER;
		if (NdisMSetBusData(Adapter->AdapterHandle, PCI_WHICHSPACE_CONFIG, HW_PCI_COMMAND, &Command,
				    sizeof(Command)) != sizeof(Command)) {
			TraceEvents(TRACE_LEVEL_ERROR, TRACE_HW, "bus mastering could not be enabled");
			return NDIS_STATUS_FAILURE;
		}
	}
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS HWAllocateDma(PMP_ADAPTER Adapter)
{
	DEVICE_DESCRIPTION Dd;
	ULONG MapRegisters = 0;
	PUCHAR Rings, Buffers;

	NdisZeroMemory(&Dd, sizeof(Dd));
	Dd.Version = DEVICE_DESCRIPTION_VERSION3;
	Dd.Master = TRUE;
	Dd.ScatterGather = TRUE;
	Dd.Dma64BitAddresses = TRUE;
	Dd.InterfaceType = PCIBus;
	Dd.MaximumLength = MP_BUFFER_SIZE;
	Adapter->Dma = IoGetDmaAdapter(Adapter->Pdo, &Dd, &MapRegisters);
	if (!Adapter->Dma) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_HW, "no DMA adapter from the bus");
		return NDIS_STATUS_RESOURCES;
	}
	Adapter->RingsVa = Adapter->Dma->DmaOperations->AllocateCommonBuffer(Adapter->Dma, 2 * HW_RING_BYTES,
									      &Adapter->RingsPa, FALSE);
	Adapter->BuffersVa = Adapter->Dma->DmaOperations->AllocateCommonBuffer(
		Adapter->Dma, 2 * MP_RING_SIZE * MP_BUFFER_SIZE, &Adapter->BuffersPa, FALSE);
	if (!Adapter->RingsVa || !Adapter->BuffersVa) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_HW, "no common buffers for the rings");
		return NDIS_STATUS_RESOURCES;
	}
	Rings = Adapter->RingsVa;
	Buffers = Adapter->BuffersVa;
	Adapter->Tx.Desc = (struct srnic_desc *)Rings;
	Adapter->Tx.DescPa = Adapter->RingsPa;
	Adapter->Rx.Desc = (struct srnic_desc *)(Rings + HW_RING_BYTES);
	Adapter->Rx.DescPa.QuadPart = Adapter->RingsPa.QuadPart + (LONGLONG)HW_RING_BYTES;
	Adapter->Tx.Buffers = Buffers;
	Adapter->Tx.BuffersPa = Adapter->BuffersPa;
	Adapter->Rx.Buffers = Buffers + MP_RING_SIZE * MP_BUFFER_SIZE;
	Adapter->Rx.BuffersPa.QuadPart = Adapter->BuffersPa.QuadPart + (LONGLONG)(MP_RING_SIZE * MP_BUFFER_SIZE);
	return NDIS_STATUS_SUCCESS;
}

static VOID HWFreeDma(PMP_ADAPTER Adapter)
{
	if (!Adapter->Dma)
		return;
	if (Adapter->RingsVa)
		Adapter->Dma->DmaOperations->FreeCommonBuffer(Adapter->Dma, 2 * HW_RING_BYTES, Adapter->RingsPa,
							     Adapter->RingsVa, FALSE);
	if (Adapter->BuffersVa)
		Adapter->Dma->DmaOperations->FreeCommonBuffer(Adapter->Dma, 2 * MP_RING_SIZE * MP_BUFFER_SIZE,
							     Adapter->BuffersPa, Adapter->BuffersVa, FALSE);
	Adapter->RingsVa = Adapter->BuffersVa = NULL;
	Adapter->Dma->DmaOperations->PutDmaAdapter(Adapter->Dma);
	Adapter->Dma = NULL;
}

VOID HWSetMac(PMP_ADAPTER Adapter, const UCHAR *Mac)
{
	HWWrite(Adapter, SRNIC_REG_MAC_LO, (ULONG)Mac[0] | (ULONG)Mac[1] << 8 | (ULONG)Mac[2] << 16 |
						   (ULONG)Mac[3] << 24);
	HWWrite(Adapter, SRNIC_REG_MAC_HI, (ULONG)Mac[4] | (ULONG)Mac[5] << 8);
}

BOOLEAN HWLinkUp(PMP_ADAPTER Adapter)
{
	return (HWRead(Adapter, SRNIC_REG_STATUS) & SRNIC_STATUS_LINK_UP) != 0;
}

BOOLEAN HWIsHealthy(PMP_ADAPTER Adapter)
{
	return (HWRead(Adapter, SRNIC_REG_STATUS) & SRNIC_STATUS_ENABLED) &&
	       HWRead(Adapter, SRNIC_REG_QP(MP_QUEUE_PAIR, SRNIC_QP_TX_STATUS)) == SRNIC_QSTATE_ENABLED &&
	       HWRead(Adapter, SRNIC_REG_QP(MP_QUEUE_PAIR, SRNIC_QP_RX_STATUS)) == SRNIC_QSTATE_ENABLED;
}

/*
 * Reset the function and program queue pair 0 from scratch: TX ring empty,
 * RX ring with every buffer but one posted (head == tail means "no buffer"
 * to the device, so one slot stays empty), the MAC, the link to the switch.
 * The caller has failed the sends that were in flight.
 */
NDIS_STATUS HWProgramQueues(PMP_ADAPTER Adapter)
{
	ULONG i, q = MP_QUEUE_PAIR;

	HWWrite(Adapter, SRNIC_REG_CTRL, SRNIC_CTRL_RESET);	/* self-clearing */
	HWWrite(Adapter, SRNIC_REG_INT_MASK, 0xffffffffu);	/* serviced by polling (miniport.c) */
	HWSetMac(Adapter, Adapter->CurrentMac);
	NdisZeroMemory(Adapter->Tx.Desc, HW_RING_BYTES);
	NdisZeroMemory(Adapter->Rx.Desc, HW_RING_BYTES);
	NdisZeroMemory(Adapter->TxNbl, sizeof(Adapter->TxNbl));
	Adapter->Tx.Head = Adapter->Tx.Tail = 0;
	Adapter->Rx.Head = 0;
	for (i = 0; i < MP_RING_SIZE; i++) {
		Adapter->Rx.Desc[i].addr = (ULONG64)Adapter->Rx.BuffersPa.QuadPart + (ULONG64)i * MP_BUFFER_SIZE;
		Adapter->Rx.Desc[i].len = MP_BUFFER_SIZE;
	}
	Adapter->Rx.Tail = MP_RING_SIZE - 1;
	HWWrite(Adapter, SRNIC_REG_QP(q, SRNIC_QP_TX_BASE_LO), (ULONG)Adapter->Tx.DescPa.QuadPart);
	HWWrite(Adapter, SRNIC_REG_QP(q, SRNIC_QP_TX_BASE_HI), (ULONG)((ULONG64)Adapter->Tx.DescPa.QuadPart >> 32));
	HWWrite(Adapter, SRNIC_REG_QP(q, SRNIC_QP_TX_SIZE), MP_RING_SIZE);
	HWWrite(Adapter, SRNIC_REG_QP(q, SRNIC_QP_TX_CTRL), SRNIC_QCTRL_ENABLE);
	HWWrite(Adapter, SRNIC_REG_QP(q, SRNIC_QP_RX_BASE_LO), (ULONG)Adapter->Rx.DescPa.QuadPart);
	HWWrite(Adapter, SRNIC_REG_QP(q, SRNIC_QP_RX_BASE_HI), (ULONG)((ULONG64)Adapter->Rx.DescPa.QuadPart >> 32));
	HWWrite(Adapter, SRNIC_REG_QP(q, SRNIC_QP_RX_SIZE), MP_RING_SIZE);
	HWWrite(Adapter, SRNIC_REG_QP(q, SRNIC_QP_RX_CTRL), SRNIC_QCTRL_ENABLE);
	/* Contract (docs/hw/srnic.md, "Queue pairs"): descriptors are
	 * complete in memory before the tail register moves past them. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	HWWrite(Adapter, SRNIC_REG_QP(q, SRNIC_QP_RX_TAIL), Adapter->Rx.Tail);
	HWWrite(Adapter, SRNIC_REG_CTRL, SRNIC_CTRL_ENABLE);
	if (!HWIsHealthy(Adapter)) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_HW, "queue pair %u did not come up (status 0x%x, error cause 0x%x)", q,
			    HWRead(Adapter, SRNIC_REG_STATUS), HWRead(Adapter, SRNIC_REG_ERR_CAUSE));
		return NDIS_STATUS_HARD_ERRORS;
	}
	Adapter->LinkUp = HWLinkUp(Adapter);
	return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS HWInitialize(PMP_ADAPTER Adapter)
{
	NDIS_STATUS Status;
	PVOID Va = NULL;
	ULONG Version, Lo, Hi;

	Status = HWConfigSpace(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		return Status;
	Status = NdisMMapIoSpace(&Va, Adapter->AdapterHandle, Adapter->Bar0Pa, SRNIC_VF_REGS_SIZE);
	if (Status != NDIS_STATUS_SUCCESS) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_HW, "BAR0 at 0x%llx could not be mapped: 0x%x",
			    (unsigned long long)Adapter->Bar0Pa.QuadPart, (unsigned)Status);
		return Status;
	}
	Adapter->Bar0 = Va;
	Version = HWRead(Adapter, SRNIC_REG_VERSION);
	Adapter->FuncId = HWRead(Adapter, SRNIC_REG_FUNC_ID);
	if (Version != SRNIC_VERSION_1 || Adapter->FuncId == 0 || HWRead(Adapter, SRNIC_REG_NUM_QP) == 0) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_HW, "not an srnic VF register block (version 0x%x, function %u)",
			    Version, Adapter->FuncId);
		Status = NDIS_STATUS_ADAPTER_NOT_FOUND;
		goto fail;
	}
	if (!Adapter->VfInfoValid || !(Adapter->VfInfo.flags & SRNIC_VFINFO_F_MAC_VALID)) {
		/* No word from the PF: the device's own address (traced by NICReadVfInfo). */
		Lo = HWRead(Adapter, SRNIC_REG_MAC_LO);
		Hi = HWRead(Adapter, SRNIC_REG_MAC_HI);
		Adapter->PermanentMac[0] = (UCHAR)Lo;
		Adapter->PermanentMac[1] = (UCHAR)(Lo >> 8);
		Adapter->PermanentMac[2] = (UCHAR)(Lo >> 16);
		Adapter->PermanentMac[3] = (UCHAR)(Lo >> 24);
		Adapter->PermanentMac[4] = (UCHAR)Hi;
		Adapter->PermanentMac[5] = (UCHAR)(Hi >> 8);
		NdisMoveMemory(Adapter->CurrentMac, Adapter->PermanentMac, 6);
	}
	if (!Adapter->Mtu)
		Adapter->Mtu = 1500;
	if (!Adapter->LinkSpeed)
		Adapter->LinkSpeed = MP_DEFAULT_SPEED;
	Status = HWAllocateDma(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail;
	Status = HWProgramQueues(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail;
	return NDIS_STATUS_SUCCESS;

fail:
	HWShutdown(Adapter, TRUE);
	return Status;
}

VOID HWShutdown(PMP_ADAPTER Adapter, BOOLEAN TouchDevice)
{
	if (Adapter->Bar0 && TouchDevice) {
		HWWrite(Adapter, SRNIC_REG_QP(MP_QUEUE_PAIR, SRNIC_QP_TX_CTRL), 0);
		HWWrite(Adapter, SRNIC_REG_QP(MP_QUEUE_PAIR, SRNIC_QP_RX_CTRL), 0);
		HWWrite(Adapter, SRNIC_REG_CTRL, 0);
	}
	HWFreeDma(Adapter);
	if (Adapter->Bar0) {
		NdisMUnmapIoSpace(Adapter->AdapterHandle, (PVOID)Adapter->Bar0, SRNIC_VF_REGS_SIZE);
		Adapter->Bar0 = NULL;
	}
}
