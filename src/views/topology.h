/*
 * `iovlab topology`: the running lab as a Graphviz DOT picture
 * (docs/topology.md) -- the root partition and each VM as clusters; the
 * PF's device stack (PCI PDO -> [VBD] -> PF miniport) and each VF's
 * (vPCI PDO -> [VBD FDO/child PDO] -> VF miniport); the bindings (VMSP ->
 * PF, NetVsc -> NETVSCVFPP -> VF miniport, a declined one dashed and
 * labelled with its status); the vSwitch and its ports; the vPorts and VFs
 * on the NIC switch; the VMBus channels and the vPCI offer. Everything is
 * read from live state: the host's objects, NDIS's bindings and NIC switch
 * (as an overlying driver reads them), each guest's NDIS over its control
 * channel (the query behind `ndiskd netadapter -vm VM -bindings`).
 *
 * Every link id of the diagnose chain (platform ... traffic, the brief's
 * diagnose contract) names one node or edge of the picture; the broken
 * link given is drawn red, labelled with the evidence. diagnose passes its
 * first broken link here; `iovlab topology --broken` takes one from the
 * command line.
 */
#ifndef IOVLAB_VIEWS_TOPOLOGY_H
#define IOVLAB_VIEWS_TOPOLOGY_H

#include <stdbool.h>
#include <stdio.h>

struct hv_host;

/* The diagnose chain's link ids in path order, NULL-terminated. */
extern const char *const topo_link_ids[];
bool topo_link_known(const char *id);

/*
 * Write the DOT graph of h to f. broken_link: a link id to draw red (NULL:
 * none), broken_vm: the VM it is about (NULL: the first element of that
 * link), label: the evidence to write on it (NULL: the link id). Asks
 * running guests for their bindings, which runs the host's loop (bounded).
 * 0; -EINVAL (unknown link id), -ENOENT (no such VM), -EIO (writing f).
 */
int topo_write_dot(struct hv_host *h, const char *broken_link, const char *broken_vm, const char *label, FILE *f);

#endif /* IOVLAB_VIEWS_TOPOLOGY_H */
