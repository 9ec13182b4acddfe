/*
 * Where the commands that bring a host up (run, up, diagnose, bench,
 * topology through run) find the built packages: the build tree's paths
 * compiled in (tools/meson.build), each overridable by its environment
 * variable (IOVLAB_DRIVERS_DIR, IOVLAB_NETVSC_DIR, IOVLAB_TRAFFIC_DIR,
 * IOVLAB_VMSP_DIR) -- in one place, so every command loads the same drivers.
 */
#include <stdlib.h>

#include "commands.h"
#include "hv/guest_vm.h"
#include "hv/host.h"

#ifndef IOVLAB_DRIVERS_DIR
#define IOVLAB_DRIVERS_DIR NULL
#endif
#ifndef IOVLAB_NETVSC_DIR
#define IOVLAB_NETVSC_DIR NULL
#endif
#ifndef IOVLAB_TRAFFIC_DIR
#define IOVLAB_TRAFFIC_DIR NULL
#endif
#ifndef IOVLAB_VMSP_DIR
#define IOVLAB_VMSP_DIR NULL
#endif

static const char *dir(const char *env, const char *built)
{
	const char *v = getenv(env);

	return v ? v : built;
}

void tools_host_options(struct hv_host_options *opt, bool guests)
{
	opt->builtin_driver_dir = dir("IOVLAB_DRIVERS_DIR", IOVLAB_DRIVERS_DIR);
	/* Every running VM is a process with the guest stack (docs/hv/e2e.md), unless --host-only. */
	opt->guest_entry = guests ? guest_vm_main : NULL;
	opt->netvsc_dir = dir("IOVLAB_NETVSC_DIR", IOVLAB_NETVSC_DIR);
	opt->traffic_dir = dir("IOVLAB_TRAFFIC_DIR", IOVLAB_TRAFFIC_DIR);
	opt->vmsp_dir = dir("IOVLAB_VMSP_DIR", IOVLAB_VMSP_DIR);
}
