/*
 * The lab file schema table: every section type, key, type, default, range,
 * PowerShell name, failure-catalogue row (shared/reference/
 * failure-catalogue.md F01-F32) and doc string, and the script verbs. This
 * is the only place they are declared; load.c parses with it, dump.c writes
 * with it, doc.c prints it (man page, design note, `iovlab lab --schema`).
 *
 * Defaults are written in file syntax and parsed by the same converters as
 * user values, so a default can never be out of its own range (a test loads
 * the empty lab to prove it). Defaults follow Hyper-V where Hyper-V has one
 * (IovWeight 0, EnableIov off: the very defaults behind F15 and F17), and
 * "the platform works" for the [host] properties behind F01-F11.
 */
#include "lab/lab_schema.h"

#include <stddef.h>
#include <strings.h>

#include "lab/lab_private.h"

#define KEY(sec_struct, field) offsetof(struct sec_struct, field)

static const struct lab_enum_value nic_models[] = {
	{ "srnic", LAB_NIC_MODEL_SRNIC, "the emulated SR-IOV NIC (src/hw/srnic)" },
	{ NULL, 0, NULL },
};

static const struct lab_enum_value pf_drivers[] = {
	{ "srnic_pf", 0, "the reference PF miniport (drivers/srnic_pf)" },
	{ NULL, 0, NULL },
};

static const struct lab_enum_value vf_drivers[] = {
	{ "srnic_vf", 0, "the reference VF miniport (drivers/srnic_vf)" },
	{ NULL, 0, NULL },
};

static const struct lab_enum_value vbd_drivers[] = {
	{ "srnic_vbd", 0, "the reference virtual bus driver (drivers/srnic_vbd)" },
	{ NULL, 0, NULL },
};

static const struct lab_enum_value vswitch_types[] = {
	{ "External", LAB_VSWITCH_EXTERNAL, "bound to a physical NIC (New-VMSwitch -NetAdapterName)" },
	{ "Internal", LAB_VSWITCH_INTERNAL, "VMs and the management OS, no NIC" },
	{ "Private", LAB_VSWITCH_PRIVATE, "VMs only, no NIC" },
	{ NULL, 0, NULL },
};

static const struct lab_enum_value teamings[] = {
	{ "none", LAB_TEAMING_NONE, "the switch is bound to the NIC itself" },
	{ "SET", LAB_TEAMING_SET, "Switch Embedded Teaming (-EnableEmbeddedTeaming): SR-IOV passes" },
	{ "LBFO", LAB_TEAMING_LBFO, "an LBFO team under the switch: SR-IOV does not pass up" },
	{ NULL, 0, NULL },
};

static const struct lab_enum_value moderations[] = {
	{ "Default", LAB_IOV_MODERATION_DEFAULT, NULL },
	{ "Adaptive", LAB_IOV_MODERATION_ADAPTIVE, NULL },
	{ "Off", LAB_IOV_MODERATION_OFF, NULL },
	{ "Low", LAB_IOV_MODERATION_LOW, NULL },
	{ "Medium", LAB_IOV_MODERATION_MEDIUM, NULL },
	{ "High", LAB_IOV_MODERATION_HIGH, NULL },
	{ NULL, 0, NULL },
};

static const struct lab_enum_value filter_moves[] = {
	{ "on-switch", LAB_VF_FILTER_MOVE_ON_SWITCH,
	  "as soon as the guest's NetVsc has switched back to synthetic (acknowledged), before the eject" },
	{ "after-removal", LAB_VF_FILTER_MOVE_AFTER_REMOVAL,
	  "after the guest removed the VF (the teardown page's order; frames in between are dropped)" },
	{ NULL, 0, NULL },
};

static const struct lab_key lab_keys[] = {
	{ .name = "name", .type = LAB_T_STRING, .flags = LAB_KF_DEF_FILE,
	  .offset = KEY(lab_info, name), .def = "(the file name without .lab)", .max = 64,
	  .doc = "Short name of the lab, shown in traces and views." },
	{ .name = "description", .type = LAB_T_STRING, .flags = LAB_KF_EMPTY_OK,
	  .offset = KEY(lab_info, description), .def = "", .max = 160,
	  .doc = "One line saying what the lab shows." },
};

static const struct lab_key host_keys[] = {
	{ .name = "computer_name", .ps_name = "ComputerName", .type = LAB_T_STRING,
	  .offset = KEY(lab_host, computer_name), .def = "HV-HOST01", .max = 15,
	  .doc = "Host name in Get-VMHost (a NetBIOS name, at most 15 characters)." },
	{ .name = "osc", .type = LAB_T_BOOL, .offset = KEY(lab_host, osc), .def = "true",
	  .frows = "F01=false",
	  .doc = "Firmware hands PCI Express native control to the OS through _OSC. "
		 "false: IovSupportReasons R8, SriovSupport NoOscSupport." },
	{ .name = "slat", .type = LAB_T_BOOL, .offset = KEY(lab_host, slat), .def = "true",
	  .frows = "F02=false",
	  .doc = "CPU has second-level address translation (EPT, RVI). false: reason R1, NoIoMmuSupport." },
	{ .name = "interrupt_remapping", .type = LAB_T_BOOL,
	  .offset = KEY(lab_host, interrupt_remapping), .def = "true", .frows = "F03=false",
	  .doc = "Chipset remaps interrupts. false: reason R2, NoIoMmuSupport." },
	{ .name = "dma_remapping", .type = LAB_T_BOOL,
	  .offset = KEY(lab_host, dma_remapping), .def = "true", .frows = "F04=false",
	  .doc = "Chipset remaps DMA (also false under a vIOMMU the OS does not drive). "
		 "false: reason R3, VFs never appear." },
	{ .name = "io_remapping", .type = LAB_T_BOOL,
	  .offset = KEY(lab_host, io_remapping), .def = "true", .frows = "F05=false",
	  .doc = "The OS boot configuration allows I/O remapping. false: reason R4." },
	{ .name = "iommu", .type = LAB_T_BOOL, .offset = KEY(lab_host, iommu), .def = "true",
	  .frows = "F06=false",
	  .doc = "VT-d / AMD-Vi (\"SR-IOV support\") is enabled in firmware. "
		 "false: reason R5, SriovSupport Unknown." },
	{ .name = "bios_describes_ok", .type = LAB_T_BOOL,
	  .offset = KEY(lab_host, bios_describes_ok), .def = "true", .frows = "F07=false",
	  .doc = "Firmware tables describe the remapping hardware correctly. false: reason R6." },
	{ .name = "pcie", .type = LAB_T_BOOL, .offset = KEY(lab_host, pcie), .def = "true",
	  .frows = "F08=false",
	  .doc = "The system reports a PCI Express bus. false: reason R7." },
	{ .name = "acs", .type = LAB_T_BOOL, .offset = KEY(lab_host, acs), .def = "true",
	  .frows = "F09=false",
	  .doc = "Access Control Services on the root port above the NIC. "
		 "false: reason R9, SriovSupport MissingAcs." },
	{ .name = "bus_numbers", .type = LAB_T_U32, .offset = KEY(lab_host, bus_numbers),
	  .def = "256", .min = 1, .max = 256, .frows = "F10",
	  .doc = "PCI bus numbers available below the NIC's root port. VF routing IDs "
		 "(first_vf_offset, vf_stride, total_vfs) that need more: SriovSupport NoBusResources "
		 "(srnic's own 64 VFs fit one bus; vf_stride = 8 needs three)." },
	{ .name = "vf_bar_space", .type = LAB_T_SIZE, .offset = KEY(lab_host, vf_bar_space),
	  .def = "256M", .min = 0, .max = 64ULL << 30, .frows = "F11=0",
	  .doc = "MMIO space the firmware assigns for VF BARs. Less than total_vfs x "
		 "vf_bar_size: SriovSupport NoVfBarSpace." },
	{ .name = "vf_filter_move", .type = LAB_T_ENUM, .offset = KEY(lab_host, vf_filter_move),
	  .def = "on-switch", .values = filter_moves,
	  .doc = "When the virtualization stack moves a revoked VF's MAC/VLAN filter back to the "
		 "default vPort (IovWeight 0, revoke, Stop-VM): the documents disagree "
		 "(docs/hv/vstack.md). A surprise removal moves it when the host sees the removal "
		 "either way." },
};

static const struct lab_key nic_keys[] = {
	{ .name = "model", .type = LAB_T_ENUM, .offset = KEY(lab_nic, model), .def = "srnic",
	  .values = nic_models, .doc = "Which emulated device." },
	{ .name = "driver", .type = LAB_T_DRIVER, .flags = LAB_KF_NONE_OK,
	  .offset = KEY(lab_nic, driver), .def = "srnic_pf", .values = pf_drivers,
	  .frows = "F12=none,F14,F20,F21,F32",
	  .doc = "PF miniport: a built-in driver, a path to your own .so built against "
		 "include/ndis (relative to the lab file), or none." },
	{ .name = "vbd", .type = LAB_T_DRIVER, .flags = LAB_KF_NONE_OK,
	  .offset = KEY(lab_nic, vbd), .def = "none", .values = vbd_drivers, .frows = "F22",
	  .doc = "IHV virtual bus driver on the PF's PCI PDO: the PF miniport loads on its child as an "
		 "NDIS-WDM miniport and asks it, not NDIS, to enable VFs and reach their config space "
		 "and probed BARs. Built-in, a path to your .so, or none (PF miniport on the PCI PDO)." },
	{ .name = "inf", .type = LAB_T_STRING, .flags = LAB_KF_EMPTY_OK,
	  .offset = KEY(lab_nic, inf), .def = "", .max = 160, .frows = "F12",
	  .doc = "INF for the driver (path relative to the lab file); empty: the driver's own. "
		 "An INF without Needs=PciSriovSupported.HW or the SR-IOV keywords gives MissingPfDriver." },
	{ .name = "total_vfs", .type = LAB_T_U32,
	  .offset = KEY(lab_nic, total_vfs), .def = "64", .min = 0, .max = 256,
	  .frows = "F12=0,F18",
	  .doc = "TotalVFs in the SR-IOV capability (srnic: its own 64, at most 256); 0: the device has no "
		 "SR-IOV capability." },
	{ .name = "first_vf_offset", .type = LAB_T_U32,
	  .offset = KEY(lab_nic, first_vf_offset), .def = "8", .min = 1, .max = 65535,
	  .frows = "F10",
	  .doc = "First VF Offset in the SR-IOV capability (routing ID distance PF to VF 0); "
		 "8 is srnic's own." },
	{ .name = "vf_stride", .type = LAB_T_U32,
	  .offset = KEY(lab_nic, vf_stride), .def = "2", .min = 1, .max = 65535, .frows = "F10",
	  .doc = "VF Stride in the SR-IOV capability (routing ID distance between VFs); 2 is srnic's own." },
	{ .name = "vf_bar_size", .type = LAB_T_SIZE, .flags = LAB_KF_POW2,
	  .offset = KEY(lab_nic, vf_bar_size), .def = "16K", .min = 4096, .max = 1ULL << 30,
	  .frows = "F11",
	  .doc = "Size of each VF's register BAR (a power of two)." },
	{ .name = "queue_pairs", .type = LAB_T_U32, .offset = KEY(lab_nic, queue_pairs),
	  .def = "128", .min = 1, .max = 4096, .frows = "F18",
	  .doc = "Queue pairs the NIC switch can give to vPorts (IovQueuePairCount)." },
	{ .name = "mac", .ps_name = "PermanentAddress", .type = LAB_T_MAC,
	  .flags = LAB_KF_AUTO_OK | LAB_KF_MAC_DASH, .offset = KEY(lab_nic, mac), .def = "auto",
	  .doc = "Permanent MAC of the PF; auto: one from the lab's pool." },
	{ .name = "uplink", .type = LAB_T_UPLINK, .offset = KEY(lab_nic, uplink), .def = "peer",
	  .doc = "Where the physical port goes: peer (iovlab's built-in peer host), "
		 "tap:IFNAME (a Linux TAP device, created if missing), veth:IFNAME (a raw "
		 "socket on that interface, e.g. one end of a veth pair into a netns; needs "
		 "root), or none (cable unplugged). docs/uplinks.md." },
};

/* Standardized keywords (ndis-sriov-spec.md 2.2) documented for [keywords]. */
static const struct lab_key keyword_keys[] = {
	{ .name = "*SRIOV", .type = LAB_T_TEXT, .flags = LAB_KF_CONVENTION, .def = "1",
	  .frows = "F13=0",
	  .doc = "0 Disabled, 1 Enabled. Get-NetAdapterSriov Enabled; changing it restarts the miniport." },
	{ .name = "*SriovPreferred", .type = LAB_T_TEXT, .flags = LAB_KF_CONVENTION, .def = "0",
	  .frows = "F14=0",
	  .doc = "1: the PF reports SR-IOV capabilities; 0: RSS or VMQ per *RssOrVmqPreference." },
	{ .name = "*RssOrVmqPreference", .type = LAB_T_TEXT, .flags = LAB_KF_CONVENTION,
	  .def = "0", .frows = "F14",
	  .doc = "0 RSS, 1 VMQ, when *SriovPreferred is 0." },
	{ .name = "*NumVFs", .type = LAB_T_TEXT, .flags = LAB_KF_CONVENTION,
	  .def = "(from the INF)", .frows = "F18",
	  .doc = "NicSwitches\\0 *NumVFs: VFs the default NIC switch may allocate." },
	{ .name = "*VMQ", .type = LAB_T_TEXT, .flags = LAB_KF_CONVENTION, .def = "1",
	  .doc = "VMQ enable." },
	{ .name = "*VMQVlanFiltering", .type = LAB_T_TEXT, .flags = LAB_KF_CONVENTION,
	  .def = "1", .frows = "F28",
	  .doc = "VLAN filtering on vPorts; read even in SR-IOV mode." },
	{ .name = "*RssOnHostVPorts", .type = LAB_T_TEXT, .flags = LAB_KF_CONVENTION,
	  .def = "1", .doc = "VMMQ (NDIS 6.60)." },
};

static const struct lab_key vswitch_keys[] = {
	{ .name = "type", .ps_name = "SwitchType", .type = LAB_T_ENUM,
	  .offset = KEY(lab_vswitch, type), .def = "External", .values = vswitch_types,
	  .doc = "New-VMSwitch -SwitchType, or External with -NetAdapterName." },
	{ .name = "adapter", .ps_name = "NetAdapterName", .type = LAB_T_NAME,
	  .flags = LAB_KF_NONE_OK | LAB_KF_DEF_ONLY, .offset = KEY(lab_vswitch, adapter),
	  .def = "(the only [nic]; none unless External)", .ref = LAB_SEC_NIC,
	  .doc = "The [nic] an External switch is bound to." },
	{ .name = "iov", .ps_name = "EnableIov", .type = LAB_T_BOOL,
	  .offset = KEY(lab_vswitch, iov), .def = "false", .frows = "F15=false",
	  .doc = "New-VMSwitch -EnableIov: chosen at creation, never changed later. "
		 "false: IovEnabled False and every vNIC IovUsage 0." },
	{ .name = "teaming", .type = LAB_T_ENUM, .offset = KEY(lab_vswitch, teaming),
	  .def = "none", .values = teamings, .frows = "F16=LBFO",
	  .doc = "What sits between the switch and the NIC." },
	{ .name = "allow_management_os", .ps_name = "AllowManagementOS", .type = LAB_T_BOOL,
	  .offset = KEY(lab_vswitch, allow_management_os), .def = "true", .frows = "F30",
	  .doc = "Give the management OS a vNIC on this switch; its IOV fields stay empty." },
};

static const struct lab_key vm_keys[] = {
	{ .name = "memory", .ps_name = "MemoryStartup", .type = LAB_T_SIZE,
	  .offset = KEY(lab_vm, memory), .def = "64M", .min = 16ULL << 20, .max = 4ULL << 30,
	  .doc = "Guest memory (a memfd shared with the host)." },
	{ .name = "processors", .ps_name = "ProcessorCount", .type = LAB_T_U32,
	  .offset = KEY(lab_vm, processors), .def = "1", .min = 1, .max = 64,
	  .doc = "Virtual processors." },
	{ .name = "vf_driver", .type = LAB_T_DRIVER, .flags = LAB_KF_NONE_OK,
	  .offset = KEY(lab_vm, vf_driver), .def = "srnic_vf", .values = vf_drivers,
	  .frows = "F25=none,F23,F24,F32",
	  .doc = "VF miniport in the guest: built-in, a path to your .so, or none." },
	{ .name = "vf_inf", .type = LAB_T_STRING, .flags = LAB_KF_EMPTY_OK,
	  .offset = KEY(lab_vm, vf_inf), .def = "", .max = 160, .frows = "F23",
	  .doc = "INF for the VF driver; empty: the driver's own. Without UpperRange "
		 "\"ndisvf\" / LowerRange \"iovvf\" NetVsc never binds the VF." },
	{ .name = "vbd", .type = LAB_T_DRIVER, .flags = LAB_KF_NONE_OK,
	  .offset = KEY(lab_vm, vbd), .def = "none", .values = vbd_drivers, .frows = "F22",
	  .doc = "IHV virtual bus driver between the vPCI PDO and the VF miniport: "
		 "built-in, a path to your .so, or none (VF miniport on the vPCI PDO)." },
	{ .name = "vbd_forward_vpci", .type = LAB_T_BOOL,
	  .offset = KEY(lab_vm, vbd_forward_vpci), .def = "true", .frows = "F22=false",
	  .doc = "The VBD forwards GUID_VPCI_INTERFACE_STANDARD to its child. false (needs "
		 "a vbd): VF config blocks and serial number fail, NetVsc declines the VF." },
	{ .name = "msix", .type = LAB_T_BOOL, .offset = KEY(lab_vm, msix), .def = "true",
	  .frows = "F26=false",
	  .doc = "The guest can give the VF MSI-X vectors. false: the VF driver fails to load." },
	{ .name = "autostart", .type = LAB_T_BOOL, .offset = KEY(lab_vm, autostart),
	  .def = "true", .frows = "F19",
	  .doc = "Start the VM when the lab comes up; false: the script starts it (step start)." },
};

static const struct lab_key vmnic_keys[] = {
	{ .name = "vm", .ps_name = "VMName", .type = LAB_T_NAME, .flags = LAB_KF_DEF_INSTANCE,
	  .offset = KEY(lab_vmnic, vm_name), .def = "(the section's name)", .ref = LAB_SEC_VM,
	  .doc = "The [vm] this adapter belongs to; [vmnetworkadapter vm1] is vm1's adapter." },
	{ .name = "switch", .ps_name = "SwitchName", .type = LAB_T_NAME,
	  .flags = LAB_KF_NONE_OK | LAB_KF_DEF_ONLY, .offset = KEY(lab_vmnic, switch_name),
	  .def = "(the only [vmswitch]; none if there is none)", .ref = LAB_SEC_VMSWITCH,
	  .doc = "The [vmswitch] it is connected to; none: not connected." },
	{ .name = "display_name", .ps_name = "Name", .type = LAB_T_STRING,
	  .offset = KEY(lab_vmnic, display_name), .def = "Network Adapter", .max = 64,
	  .doc = "Name column of Get-VMNetworkAdapter." },
	{ .name = "mac", .ps_name = "MacAddress", .type = LAB_T_MAC, .flags = LAB_KF_AUTO_OK,
	  .offset = KEY(lab_vmnic, mac), .def = "auto",
	  .doc = "Static MAC; auto: dynamic, from the 00-15-5D pool." },
	{ .name = "iov_weight", .ps_name = "IovWeight", .type = LAB_T_U32,
	  .offset = KEY(lab_vmnic, iov_weight), .def = "0", .min = 0, .max = 100,
	  .frows = "F17=0,F29",
	  .doc = "0 turns SR-IOV off for this adapter (Hyper-V's default); 1..100 asks for a VF." },
	{ .name = "iov_queue_pairs_requested", .ps_name = "IovQueuePairsRequested",
	  .type = LAB_T_U32, .offset = KEY(lab_vmnic, iov_queue_pairs_requested), .def = "1",
	  .min = 1, .max = 4294967295ULL, .frows = "F18",
	  .doc = "Queue pairs wanted on the VF (more than 1 needs RSS on VFs)." },
	{ .name = "iov_interrupt_moderation", .ps_name = "IovInterruptModeration",
	  .type = LAB_T_ENUM, .offset = KEY(lab_vmnic, iov_interrupt_moderation),
	  .def = "Default", .values = moderations, .doc = "VF interrupt moderation." },
	{ .name = "vmq_weight", .ps_name = "VmqWeight", .type = LAB_T_U32,
	  .offset = KEY(lab_vmnic, vmq_weight), .def = "100", .min = 0, .max = 100,
	  .doc = "0 turns VMQ off for this adapter." },
	{ .name = "vlan", .ps_name = "AccessVlanId", .type = LAB_T_U32,
	  .offset = KEY(lab_vmnic, vlan), .def = "0", .min = 0, .max = 4094, .frows = "F28",
	  .doc = "Access VLAN (Set-VMNetworkAdapterVlan -Access); 0: untagged." },
	{ .name = "allow_teaming", .ps_name = "AllowTeaming", .type = LAB_T_BOOL,
	  .offset = KEY(lab_vmnic, allow_teaming), .def = "false", .frows = "F16",
	  .doc = "Allow teaming inside the guest (needed on both vNICs of a guest team)." },
	{ .name = "ip", .ps_name = "IPAddresses", .type = LAB_T_IPV4, .flags = LAB_KF_NONE_OK,
	  .offset = KEY(lab_vmnic, ip), .def = "none",
	  .doc = "Static IPv4 address/prefix of the guest interface: the VM runs a TCP/IP "
		 "stack (lwIP) on the adapter at it, answering ping and serving echo and discard "
		 "on TCP/UDP ports 7 and 9 (steps ping, tcp, udp); none: no address, no stack." },
};

/*
 * [fault NAME]: target and armed are the lab's; every other key is open and
 * read by the layer that injects it. The CONVENTION entries are the names
 * those layers agree on (documented here so `--schema` lists them).
 */
static const struct lab_key fault_keys[] = {
	{ .name = "target", .type = LAB_T_NAME, .flags = LAB_KF_NONE_OK,
	  .offset = KEY(lab_fault, target), .def = "none", .ref = LAB_SEC_ANY,
	  .doc = "The nic, vmswitch, vm or vmnetworkadapter the fault applies to (a name "
		 "shared by a vm and its adapter means the vm); none: whichever the keys imply." },
	{ .name = "armed", .type = LAB_T_BOOL, .offset = KEY(lab_fault, armed), .def = "true",
	  .doc = "Active from the start; false: the script arms it (step inject)." },
	{ .name = "pf_fail_oid", .type = LAB_T_TEXT, .flags = LAB_KF_CONVENTION,
	  .def = "(none)", .frows = "F20,F21",
	  .doc = "OID:STATUS (names from include/ndis or 0x numbers) -- the host writes the hidden "
		 "keywords IovlabFailOid/IovlabFailStatus and the PF miniport completes that OID with "
		 "that status, e.g. OID_NIC_SWITCH_ALLOCATE_VF:NDIS_STATUS_FAILURE. Live: inject/clear "
		 "restart the adapter." },
	{ .name = "pf_driver_variant", .type = LAB_T_TEXT, .flags = LAB_KF_CONVENTION,
	  .def = "(none)", .frows = "F12,F14,F21,F32",
	  .doc = "The built-in PF driver replaced by a known-bad build of the same sources "
		 "(drivers/variants): no-sriov, prefers-vmq, bad-probed-bars, bad-attr-header." },
	{ .name = "pf_inf_variant", .type = LAB_T_TEXT, .flags = LAB_KF_CONVENTION,
	  .def = "(none)", .frows = "F12",
	  .doc = "The built-in PF driver with an INF generated from its own with one mistake: "
		 "no-pcisriov-needs, no-sriov-keywords." },
	{ .name = "vf_driver_variant", .type = LAB_T_TEXT, .flags = LAB_KF_CONVENTION,
	  .def = "(none)", .frows = "F22,F24,F32",
	  .doc = "The guest's built-in VF driver replaced by a known-bad build of the same sources: "
		 "no-vf-caps, advertises-vmq, skips-hypervisor-info, bus-data-over-vbd, bad-attr-header." },
	{ .name = "vf_inf_variant", .type = LAB_T_TEXT, .flags = LAB_KF_CONVENTION,
	  .def = "(none)", .frows = "F23",
	  .doc = "The guest's built-in VF driver with a generated INF: no-ndisvf-range "
		 "(UpperRange ndis5 / LowerRange ethernet)." },
	{ .name = "vmbus_offer_delay", .type = LAB_T_TEXT, .flags = LAB_KF_CONVENTION,
	  .def = "(none)", .frows = "F19",
	  .doc = "DURATION: the VM-host channel comes up that late, so a VF is allocated before it." },
	{ .name = "vf_link", .type = LAB_T_TEXT, .flags = LAB_KF_CONVENTION,
	  .def = "(none)", .frows = "F27",
	  .doc = "down: the PF takes the VF's link down (srnic's administrative VF link state), so "
		 "the VF reports no carrier. Live: inject/clear." },
	{ .name = "vf_vlan_limit", .type = LAB_T_TEXT, .flags = LAB_KF_CONVENTION,
	  .def = "(none)", .frows = "F28",
	  .doc = "N: hidden PF keyword IovlabVfVlanLimit; the PF refuses MOVE_FILTER of a VLAN "
		 "filter to a VF's vPort past N VLAN filters on VFs." },
	{ .name = "pnp_race", .type = LAB_T_TEXT, .flags = LAB_KF_CONVENTION,
	  .def = "(none)",
	  .doc = "vmbus: the Windows Server 2012 PnP / VMBus thread race at VF removal. Not "
		 "modelled: iovlab run refuses it (docs/faults.md)." },
};

static const struct lab_key script_keys[] = {
	{ .name = "step", .type = LAB_T_STEP, .flags = LAB_KF_MULTI, .def = "(no steps)",
	  .doc = "One step: VERB ARGS... (see SCRIPT). Steps run in file order; "
		 "an argument with spaces goes in double quotes." },
};

#define KEYS(a) (a), (sizeof(a) / sizeof((a)[0]))

static const struct lab_section_schema sections[LAB_SEC_COUNT] = {
	[LAB_SEC_LAB] = { LAB_SEC_LAB, "lab", NULL, NULL, LAB_OPEN_NONE, KEYS(lab_keys),
		"What the lab is. Optional." },
	[LAB_SEC_HOST] = { LAB_SEC_HOST, "host", "VMHost", NULL, LAB_OPEN_NONE, KEYS(host_keys),
		"The host platform (root partition). Every property defaults to working; "
		"turn one off to see the IovSupportReasons / SriovSupport value Windows "
		"shows for it. Optional." },
	[LAB_SEC_NIC] = { LAB_SEC_NIC, "nic", "NetAdapter", "the adapter's name, e.g. pf0",
		LAB_OPEN_NONE, KEYS(nic_keys),
		"An SR-IOV NIC (its PF) in the host and the driver package that serves it." },
	[LAB_SEC_KEYWORDS] = { LAB_SEC_KEYWORDS, "keywords", "NetAdapterAdvancedProperty",
		"the [nic] whose keywords these are", LAB_OPEN_KEYWORD, KEYS(keyword_keys),
		"Set-NetAdapterAdvancedProperty -RegistryKeyword overrides for a nic, applied "
		"over the INF defaults in file order. Any keyword is accepted here (a name, "
		"optionally starting with '*'); the INF decides later which ones the driver "
		"reads. Listed: the standardized SR-IOV ones." },
	[LAB_SEC_VMSWITCH] = { LAB_SEC_VMSWITCH, "vmswitch", "VMSwitch", "the switch's Name",
		LAB_OPEN_NONE, KEYS(vswitch_keys), "A Hyper-V virtual switch (New-VMSwitch)." },
	[LAB_SEC_VM] = { LAB_SEC_VM, "vm", "VM", "the VM's name", LAB_OPEN_NONE, KEYS(vm_keys),
		"A VM (child partition) and the driver choices inside it." },
	[LAB_SEC_VMNIC] = { LAB_SEC_VMNIC, "vmnetworkadapter", "VMNetworkAdapter",
		"the adapter's lab name; by default also its VM's name", LAB_OPEN_NONE,
		KEYS(vmnic_keys), "A VM network adapter (Add-VMNetworkAdapter, Set-VMNetworkAdapter)." },
	[LAB_SEC_FAULT] = { LAB_SEC_FAULT, "fault", NULL, "a label for the injection",
		LAB_OPEN_FAULT, KEYS(fault_keys),
		"A named fault injection. Besides target and armed, any key is accepted "
		"(letters, digits, '_'); the layer that injects it reads it. Listed: the "
		"keys the reference drivers and the Hyper-V model understand." },
	[LAB_SEC_SCRIPT] = { LAB_SEC_SCRIPT, "script", NULL, NULL, LAB_OPEN_NONE,
		KEYS(script_keys), "What `iovlab run` does once the lab is up, in order." },
};

static const struct lab_verb verbs[] = {
	{ "wait", "wait PROPERTY OBJECT VALUE [TIMEOUT]",
	  { LAB_ARG_WORD, LAB_ARG_SUBJECT, LAB_ARG_WORD, LAB_ARG_DURATION }, 3, 4, NULL,
	  "Wait until a live property of OBJECT has VALUE (default timeout 10s), e.g. "
	  "wait vfdatapath vm1 true 5s. Fails the script on timeout. OBJECT is a lab "
	  "object, host, peer or peer:NIC. After an IovWeight change, wait vfdatapath "
	  "also prints the frames the NIC switch dropped since (goal 0)." },
	{ "expect", "expect WHAT OBJECT ARGS...",
	  { LAB_ARG_WORD, LAB_ARG_SUBJECT }, 3, LAB_VERB_MAX_ARGS, NULL,
	  "Check state now, e.g. expect vmnetworkadapter vm1 VFDataPathActive False, "
	  "expect path vm1 synthetic, expect received vm2 1000, expect vmhost host "
	  "IovSupport False. Fails the script if not so. OBJECT is a lab object, host, "
	  "peer or peer:NIC." },
	{ "send", "send FROM TO COUNT SIZE",
	  { LAB_ARG_ADAPTER, LAB_ARG_ENDPOINT, LAB_ARG_COUNT, LAB_ARG_FRAME_SIZE }, 4, 4, NULL,
	  "Send COUNT frames of SIZE bytes from a VM adapter to another adapter or to "
	  "the uplink peer (peer, or peer:NIC)." },
	{ "set", "set CLASS OBJECT PROPERTY VALUE",
	  { LAB_ARG_CLASS, LAB_ARG_OBJECT, LAB_ARG_PROPERTY, LAB_ARG_VALUE }, 4, 4, "F29,F31",
	  "Change a setting while the lab runs, like the Set- cmdlet of CLASS: e.g. "
	  "set vmnetworkadapter vm1 IovWeight 0, set keywords pf0 *SRIOV 0. PROPERTY is "
	  "a key or its PowerShell name; VALUE is checked like the file's." },
	{ "start", "start VM", { LAB_ARG_VM }, 1, 1, "F19", "Start a VM (Start-VM)." },
	{ "stop", "stop VM", { LAB_ARG_VM }, 1, 1, NULL, "Shut a VM down in order (Stop-VM)." },
	{ "kill", "kill VM", { LAB_ARG_VM }, 1, 1, NULL,
	  "Kill the VM's process: the host sees a surprise removal of its VF." },
	{ "migrate", "migrate VM", { LAB_ARG_VM }, 1, 1, "F29",
	  "Live-migration-like VF revoke and return: the data path falls back to synthetic "
	  "and comes back." },
	{ "reset", "reset NIC", { LAB_ARG_NIC }, 1, 1, "F31",
	  "Reset the PF miniport while VFs may be assigned." },
	{ "unload", "unload NIC", { LAB_ARG_NIC }, 1, 1, "F31",
	  "Unload the PF driver while VFs may be assigned." },
	{ "link", "link OBJECT up|down", { LAB_ARG_OBJECT, LAB_ARG_UPDOWN }, 2, 2, "F27",
	  "Set the link of a nic's uplink or of an adapter's VF." },
	{ "inject", "inject FAULT", { LAB_ARG_FAULT }, 1, 1, "F20,F27",
	  "Arm a [fault] declared with armed = false; pf_fail_oid restarts the PF adapter, vf_link "
	  "changes the VFs' link now." },
	{ "clear", "clear FAULT", { LAB_ARG_FAULT }, 1, 1, NULL, "Disarm a [fault], the same way." },
	{ "sleep", "sleep DURATION", { LAB_ARG_DURATION }, 1, 1, NULL, "Let the lab run." },
	{ "show", "show VIEW [ARGS...]", { LAB_ARG_WORD }, 1, LAB_VERB_MAX_ARGS, "F30",
	  "Print a view, e.g. show Get-VMNetworkAdapter, show ndiskd netadapter -iov." },
	{ "diagnose", "diagnose [OBJECT]", { LAB_ARG_OBJECT }, 0, 1, NULL,
	  "Print the diagnose walk (F01-F32 in path order) and the first broken link." },
	{ "echo", "echo TEXT...", { LAB_ARG_WORD }, 0, LAB_VERB_MAX_ARGS, NULL,
	  "Print a line, to structure the output." },
	{ "ping", "ping VM ADDR [COUNT]", { LAB_ARG_ADAPTER, LAB_ARG_ADDR, LAB_ARG_COUNT }, 2, 3, NULL,
	  "From the VM's TCP/IP stack (lwIP, docs/hv/guest-tcpip.md), send COUNT ICMP echo "
	  "requests (default 4) to ADDR -- an IPv4 address, or an adapter with an ip. Fails "
	  "the script unless every one is answered." },
	{ "tcp", "tcp VM ADDR:PORT BYTES [background]",
	  { LAB_ARG_ADAPTER, LAB_ARG_ADDR_PORT, LAB_ARG_BYTES, LAB_ARG_WORD }, 3, 4, NULL,
	  "Stream BYTES (e.g. 1M) from the VM over TCP to an echo service at ADDR:PORT (the "
	  "guests serve port 7) and check every echoed byte; prints throughput, "
	  "retransmitted segments and the path taken. Fails unless all came back intact. "
	  "With background the script goes on; `wait tcp VM done [TIMEOUT]` checks it." },
	{ "udp", "udp VM ADDR:PORT COUNT [SIZE]",
	  { LAB_ARG_ADAPTER, LAB_ARG_ADDR_PORT, LAB_ARG_COUNT, LAB_ARG_PAYLOAD }, 3, 4, NULL,
	  "Send COUNT UDP datagrams of SIZE bytes (8..1472, default 512) from the VM to an "
	  "echo service at ADDR:PORT and count the echoes; fails if any is lost or damaged." },
	{ "revoke", "revoke VM [DURATION]", { LAB_ARG_ADAPTER, LAB_ARG_DURATION }, 1, 2, "F29",
	  "Live-migration-like: take the VM adapter's VF away in the documented failover "
	  "order (the IovWeight 0 path, IovWeight unchanged) and give it back DURATION "
	  "later (default 500ms). Waits until the data path is synthetic, then until it "
	  "is the VF again; fails if either does not happen in 10 s. Prints the frames "
	  "the NIC switch dropped meanwhile ([host] vf_filter_move)." },
};

const struct lab_section_schema *lab_schema_section(enum lab_section id)
{
	if ((unsigned)id >= LAB_SEC_COUNT)
		return NULL;
	return &sections[id];
}

const struct lab_section_schema *lab_schema_section_find(const char *name, bool ps)
{
	for (int i = 0; i < LAB_SEC_COUNT; i++) {
		if (!strcasecmp(sections[i].name, name))
			return &sections[i];
		if (ps && sections[i].ps_name && !strcasecmp(sections[i].ps_name, name))
			return &sections[i];
	}
	return NULL;
}

const struct lab_key *lab_schema_key_find(const struct lab_section_schema *sec,
					  const char *name)
{
	for (size_t i = 0; i < sec->nkeys; i++) {
		const struct lab_key *k = &sec->keys[i];
		if (!strcasecmp(k->name, name) || (k->ps_name && !strcasecmp(k->ps_name, name)))
			return k;
	}
	return NULL;
}

const struct lab_key *lab__key_find_file(const struct lab_section_schema *sec,
					 const char *name)
{
	for (size_t i = 0; i < sec->nkeys; i++)
		if (!strcasecmp(sec->keys[i].name, name))
			return &sec->keys[i];
	return NULL;
}

const struct lab_verb *lab_schema_verb(size_t i)
{
	return i < sizeof(verbs) / sizeof(verbs[0]) ? &verbs[i] : NULL;
}

const struct lab_verb *lab_schema_verb_find(const char *name)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcasecmp(verbs[i].name, name))
			return &verbs[i];
	return NULL;
}

const char *lab_type_name(enum lab_type type)
{
	static const char *const names[LAB_T_COUNT] = {
		[LAB_T_BOOL] = "bool", [LAB_T_U32] = "integer", [LAB_T_SIZE] = "size",
		[LAB_T_ENUM] = "enum", [LAB_T_STRING] = "string", [LAB_T_NAME] = "name",
		[LAB_T_DRIVER] = "driver", [LAB_T_MAC] = "mac", [LAB_T_IPV4] = "ipv4/prefix",
		[LAB_T_UPLINK] = "uplink", [LAB_T_TEXT] = "text", [LAB_T_STEP] = "step",
	};
	return (unsigned)type < LAB_T_COUNT ? names[type] : "?";
}

/* The catalogue rows, in path order, with the cause as the catalogue words it. */
const struct lab__frow lab__frows[] = {
	{ "F01", "BIOS keeps PCIe control (_OSC not handed to the OS)" },
	{ "F02", "CPU without SLAT" },
	{ "F03", "No interrupt remapping" },
	{ "F04", "No DMA remapping" },
	{ "F05", "I/O remapping turned off by OS configuration" },
	{ "F06", "VT-d / AMD-Vi off in firmware" },
	{ "F07", "BIOS describes the hardware wrongly" },
	{ "F08", "No PCIe bus reported" },
	{ "F09", "No ACS on the root port or upstream path" },
	{ "F10", "Not enough bus numbers for the VF routing IDs" },
	{ "F11", "VF BARs not assigned" },
	{ "F12", "PF driver or its INF without SR-IOV support" },
	{ "F13", "*SRIOV = 0" },
	{ "F14", "PF reports VMQ or RSS instead of SR-IOV" },
	{ "F15", "Switch created without -EnableIov" },
	{ "F16", "Switch bound to an LBFO team" },
	{ "F17", "IovWeight left at 0" },
	{ "F18", "VF or queue-pair pool used up" },
	{ "F19", "VF allocated before the VM-host channel is ready" },
	{ "F20", "PF fails ALLOCATE_VF, CREATE_VPORT or MOVE_FILTER" },
	{ "F21", "PF mishandles VF config-space or BAR OIDs" },
	{ "F22", "VBD does not forward GUID_VPCI_INTERFACE_STANDARD" },
	{ "F23", "VF INF lacks UpperRange ndisvf / LowerRange iovvf" },
	{ "F24", "VF miniport reports the wrong capabilities" },
	{ "F25", "No VF driver in the guest" },
	{ "F26", "Guest cannot give the VF MSI-X" },
	{ "F27", "VF link down" },
	{ "F28", "VLAN limits on VFs" },
	{ "F29", "Live migration or VF failover" },
	{ "F30", "Expecting IOV on a management OS vNIC" },
	{ "F31", "PF unloaded or reset while VFs are assigned" },
	{ "F32", "NDIS attribute header mistakes" },
	{ NULL, NULL },
};
