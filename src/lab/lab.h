/*
 * The lab file: what a user writes to describe one iovlab lab -- the host
 * platform, the SR-IOV NIC with its driver and advanced-property keywords,
 * the Hyper-V virtual switch, the VMs with their network adapters, injected
 * faults, and a script of steps with expectations. This header is the parsed
 * model every later layer reads (tools/ `iovlab run`, the virtualization
 * stack, diagnose); the format itself is in man/iovlab.lab.5 and
 * docs/lab-format.md, and every key, type, default and range is declared
 * once in lab_schema.h / schema.c.
 *
 * The model is a plain read-only value, so its structs are public (unlike
 * the opaque objects of the running lab): a loaded `struct lab` owns every
 * string and array reachable from it; lab_free() releases all of it. Nothing
 * in it changes after lab_load_*() returns, so the pointers between objects
 * (vswitch->nic, vmnic->vm ...) stay valid until lab_free().
 *
 * Names follow the Hyper-V cmdlets the user already knows: a [vmswitch] is
 * what New-VMSwitch makes, a [vmnetworkadapter] what Add-VMNetworkAdapter
 * makes, [keywords] are Set-NetAdapterAdvancedProperty -RegistryKeyword
 * overrides (tools-and-views.md 1.1-1.6).
 */
#ifndef IOVLAB_LAB_LAB_H
#define IOVLAB_LAB_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Longest instance name ("[vm NAME]"), not counting the NUL. */
#define LAB_NAME_MAX 32

/* A MAC address; is_auto means "assign one from the 00-15-5D pool". */
struct lab_mac {
	bool is_auto;
	uint8_t b[6];
};

/* An IPv4 address with prefix length; is_set false means "none". */
struct lab_ipv4 {
	bool is_set;
	uint32_t addr;		/* host byte order: 10.0.0.21 is 0x0a000015 */
	uint8_t prefix;		/* 0..32 */
};

/* Where the PF's physical port goes (the NIC switch's uplink). */
enum lab_uplink_kind {
	LAB_UPLINK_NONE,	/* cable unplugged: link down */
	LAB_UPLINK_PEER,	/* iovlab's built-in peer (answers ARP/ICMP, echoes) */
	LAB_UPLINK_TAP,		/* a Linux TAP device */
	LAB_UPLINK_VETH,	/* one end of a veth pair (other end in a netns) */
};

struct lab_uplink {
	enum lab_uplink_kind kind;
	char ifname[16];	/* TAP/VETH: the Linux interface name (IFNAMSIZ) */
};

enum lab_nic_model {
	LAB_NIC_MODEL_SRNIC,	/* the emulated SR-IOV NIC (src/hw/srnic) */
};

/* Get-VMSwitch SwitchType. */
enum lab_vswitch_type {
	LAB_VSWITCH_EXTERNAL,
	LAB_VSWITCH_INTERNAL,
	LAB_VSWITCH_PRIVATE,
};

/* What the switch's adapter is: the NIC itself, a SET team or an LBFO team. */
enum lab_teaming {
	LAB_TEAMING_NONE,
	LAB_TEAMING_SET,	/* New-VMSwitch -EnableEmbeddedTeaming: passes SR-IOV up */
	LAB_TEAMING_LBFO,	/* New-NetLbfoTeam under the switch: does not (F16) */
};

/* [host] vf_filter_move: when a revoked VF's filters go back to the default vPort. */
enum lab_vf_filter_move {
	LAB_VF_FILTER_MOVE_ON_SWITCH,		/* once the guest's NetVsc switched back (the default) */
	LAB_VF_FILTER_MOVE_AFTER_REMOVAL,	/* after the guest removed the VF (the teardown page) */
};

/* Set-VMNetworkAdapter -IovInterruptModeration; values are the CIM values. */
enum lab_iov_moderation {
	LAB_IOV_MODERATION_DEFAULT = 0,
	LAB_IOV_MODERATION_ADAPTIVE = 1,
	LAB_IOV_MODERATION_OFF = 2,
	LAB_IOV_MODERATION_LOW = 100,
	LAB_IOV_MODERATION_MEDIUM = 200,
	LAB_IOV_MODERATION_HIGH = 300,
};

/* One key = value of an open section ([keywords], [fault]), in file order. */
struct lab_kv {
	char *key;
	char *value;
	int line;
};

struct lab_kvlist {
	struct lab_kv *items;
	size_t count;
};

/* [lab] */
struct lab_info {
	int line;		/* 0: no [lab] section, all defaults */
	char *name;
	char *description;
};

/* [host]: the root partition's platform. Every property defaults to "works". */
struct lab_host {
	int line;		/* 0: no [host] section, all defaults */
	char *computer_name;
	bool osc;			/* F01: firmware hands PCIe control to the OS */
	bool slat;			/* F02 */
	bool interrupt_remapping;	/* F03 */
	bool dma_remapping;		/* F04 */
	bool io_remapping;		/* F05: OS boot configuration allows it */
	bool iommu;			/* F06: VT-d / AMD-Vi enabled in firmware */
	bool bios_describes_ok;		/* F07: remapping tables are right */
	bool pcie;			/* F08 */
	bool acs;			/* F09 */
	uint32_t bus_numbers;		/* F10: buses below the NIC's root port */
	uint64_t vf_bar_space;		/* F11: MMIO window for VF BARs, bytes */
	enum lab_vf_filter_move vf_filter_move;
};

struct lab_keywords;

/* [nic NAME]: one SR-IOV PF and the driver package the host loads for it. */
struct lab_nic {
	char *name;
	int line;
	enum lab_nic_model model;
	char *driver;		/* built-in name or a path to a .so; NULL = none */
	char *inf;		/* path to an INF; "" = the driver's own */
	char *vbd;		/* virtual bus driver on the PCI PDO; NULL = none */
	uint32_t total_vfs;
	uint32_t first_vf_offset;
	uint32_t vf_stride;
	uint64_t vf_bar_size;
	uint32_t queue_pairs;
	struct lab_mac mac;
	struct lab_uplink uplink;
	const struct lab_keywords *keywords;	/* its [keywords NAME], or NULL */
};

/* [keywords NIC]: advanced-property overrides, in file order. */
struct lab_keywords {
	char *name;		/* the nic's name */
	int line;
	struct lab_kvlist kv;
	const struct lab_nic *nic;
};

/* [vmswitch NAME] */
struct lab_vswitch {
	char *name;
	int line;
	enum lab_vswitch_type type;
	char *adapter;		/* nic name; NULL for Internal/Private */
	bool iov;		/* -EnableIov, fixed at creation (F15) */
	enum lab_teaming teaming;
	bool allow_management_os;
	const struct lab_nic *nic;	/* resolved adapter, or NULL */
};

/* [vm NAME]: a child partition and the driver choices inside it. */
struct lab_vm {
	char *name;
	int line;
	uint64_t memory;
	uint32_t processors;
	char *vf_driver;	/* built-in name or path; NULL = none (F25) */
	char *vf_inf;		/* "" = the driver's own */
	char *vbd;		/* virtual bus driver; NULL = none */
	bool vbd_forward_vpci;	/* the VBD forwards GUID_VPCI_INTERFACE_STANDARD (F22) */
	bool msix;		/* the guest can give the VF MSI-X (F26) */
	bool autostart;
};

/* [vmnetworkadapter NAME] */
struct lab_vmnic {
	char *name;
	int line;
	char *vm_name;		/* VMName */
	char *switch_name;	/* SwitchName; NULL = not connected */
	char *display_name;	/* Name, "Network Adapter" */
	struct lab_mac mac;
	uint32_t iov_weight;
	uint32_t iov_queue_pairs_requested;
	enum lab_iov_moderation iov_interrupt_moderation;
	uint32_t vmq_weight;
	uint32_t vlan;		/* access VLAN; 0 = untagged */
	bool allow_teaming;
	struct lab_ipv4 ip;
	const struct lab_vm *vm;
	const struct lab_vswitch *vswitch;	/* NULL = not connected */
};

/* Which kind of object a name belongs to (also: section types). */
enum lab_section {
	LAB_SEC_LAB,
	LAB_SEC_HOST,
	LAB_SEC_NIC,
	LAB_SEC_KEYWORDS,
	LAB_SEC_VMSWITCH,
	LAB_SEC_VM,
	LAB_SEC_VMNIC,
	LAB_SEC_FAULT,
	LAB_SEC_SCRIPT,
	LAB_SEC_COUNT,
	LAB_SEC_ANY = LAB_SEC_COUNT,	/* a reference to any named object */
};

/* [fault NAME]: a named injection; the keys are for later layers to read. */
struct lab_fault {
	char *name;
	int line;
	char *target;		/* any object's name, or NULL */
	enum lab_section target_type;	/* valid when target != NULL */
	bool armed;		/* active from the start (else: script `inject`) */
	struct lab_kvlist kv;	/* every other key, in file order */
};

/* One `step = VERB ARGS...` of [script]. */
struct lab_step {
	int line;		/* for "file:line: step failed" at run time */
	char *verb;		/* canonical lowercase verb */
	int argc;
	char **argv;		/* argc arguments after the verb, then NULL */
};

struct lab_script {
	int line;		/* 0: no [script] section */
	struct lab_step *steps;
	size_t count;
};

struct lab {
	char *file;		/* the name errors use: path or lab_load_string's name */
	struct lab_info info;
	struct lab_host host;
	struct lab_nic *nics;
	size_t nnics;
	struct lab_keywords *keywords;
	size_t nkeywords;
	struct lab_vswitch *vswitches;
	size_t nvswitches;
	struct lab_vm *vms;
	size_t nvms;
	struct lab_vmnic *vmnics;
	size_t nvmnics;
	struct lab_fault *faults;
	size_t nfaults;
	struct lab_script script;
};

/*
 * Load a lab. On success returns 0 and *out is a new lab the caller frees
 * with lab_free(). On failure returns -EINVAL (the text is not a valid lab),
 * -ENOMEM, or -errno from opening/reading the file; *out is NULL and err
 * (may be NULL) holds one line "FILE:LINE: what was wrong", or "FILE: ..."
 * when no line applies. Loading stops at the first error.
 *
 * lab_load_buffer takes len bytes that need not be NUL-terminated (a NUL
 * byte inside is an error); name is used in messages and as the default
 * [lab] name's source. lab_load_string is lab_load_buffer over strlen(text).
 */
int lab_load_file(const char *path, struct lab **out, char *err, size_t errlen);
int lab_load_buffer(const char *data, size_t len, const char *name,
		    struct lab **out, char *err, size_t errlen);
int lab_load_string(const char *text, const char *name,
		    struct lab **out, char *err, size_t errlen);

/* Free everything a lab owns. lab_free(NULL) is a no-op. */
void lab_free(struct lab *lab);

/*
 * Write the lab back as a normalized lab file: every section in a fixed
 * order (lab, host, nic + its keywords, vmswitch, vm, vmnetworkadapter,
 * fault, script), every key with its value spelled canonically, defaults
 * included. Loading the output gives the same model. Returns 0 or -errno.
 */
int lab_dump(const struct lab *lab, FILE *out);

/*
 * Lookups by instance name (case-insensitive, as Hyper-V names are). NULL if
 * absent. These and the two value lookups below return pointers into the
 * lab, valid until lab_free().
 */
const struct lab_nic *lab_nic_find(const struct lab *lab, const char *name);
const struct lab_vswitch *lab_vswitch_find(const struct lab *lab, const char *name);
const struct lab_vm *lab_vm_find(const struct lab *lab, const char *name);
const struct lab_vmnic *lab_vmnic_find(const struct lab *lab, const char *name);
const struct lab_fault *lab_fault_find(const struct lab *lab, const char *name);

/* A nic's keyword override value (keyword matched case-insensitively), or NULL. */
const char *lab_nic_keyword(const struct lab_nic *nic, const char *keyword);

/* A fault's value for key (case-insensitive), or NULL. */
const char *lab_fault_value(const struct lab_fault *fault, const char *key);

/* True if a driver value (lab_nic.driver, lab_vm.vf_driver, .vbd) is a path, not a built-in name. */
bool lab_driver_is_path(const char *driver);

#endif /* IOVLAB_LAB_LAB_H */
