/*
 * mp_state.c -- the two state machines of the srnic PF miniport as data:
 * the adapter's (the NDIS miniport adapter states of
 * docs/ndis/adapter-states.md, as the driver tracks them) and each VF's
 * (docs/drivers/srnic_pf.md, "VF states"). One table per machine, a name
 * function for traces, and the transition check MPSetAdapterState /
 * MPSetVfState apply. Pure, so tests/pf/test_pf_states.c checks every cell.
 */
#include "srnic_pf.h"

/* ---- adapter ------------------------------------------------------------------ */
static const char *const MPAdapterStateNames[MpAdapterStateCount] = {
	"Halted", "Initializing", "Paused", "Restarting", "Running", "Pausing", "Halting",
};

static const BOOLEAN MPAdapterTransitions[MpAdapterStateCount][MpAdapterStateCount] = {
	[MpAdapterHalted] = { [MpAdapterInitializing] = TRUE },
	[MpAdapterInitializing] = { [MpAdapterPaused] = TRUE, [MpAdapterHalted] = TRUE },
	[MpAdapterPaused] = { [MpAdapterRestarting] = TRUE, [MpAdapterHalting] = TRUE },
	[MpAdapterRestarting] = { [MpAdapterRunning] = TRUE, [MpAdapterPaused] = TRUE },
	[MpAdapterRunning] = { [MpAdapterPausing] = TRUE },
	[MpAdapterPausing] = { [MpAdapterPaused] = TRUE },
	[MpAdapterHalting] = { [MpAdapterHalted] = TRUE },
};

const char *MPAdapterStateName(MP_ADAPTER_STATE State)
{
	return (unsigned)State < MpAdapterStateCount ? MPAdapterStateNames[State] : "?";
}

BOOLEAN MPAdapterStateTransitionAllowed(MP_ADAPTER_STATE From, MP_ADAPTER_STATE To)
{
	return (unsigned)From < MpAdapterStateCount && (unsigned)To < MpAdapterStateCount && MPAdapterTransitions[From][To];
}

/* ---- VF ------------------------------------------------------------------------ */
static const char *const MPVfStateNames[MpVfStateCount] = {
	"Disabled", "Allocated", "Assigned", "Active", "Resetting",
};

static const BOOLEAN MPVfTransitions[MpVfStateCount][MpVfStateCount] = {
	[MpVfDisabled] = { [MpVfAllocated] = TRUE },
	[MpVfAllocated] = { [MpVfDisabled] = TRUE, [MpVfAssigned] = TRUE, [MpVfResetting] = TRUE },
	[MpVfAssigned] = { [MpVfAllocated] = TRUE, [MpVfActive] = TRUE, [MpVfResetting] = TRUE },
	/* Active -> Allocated: the vPort deleted under a VF driver that never said down. */
	[MpVfActive] = { [MpVfAssigned] = TRUE, [MpVfAllocated] = TRUE, [MpVfResetting] = TRUE },
	[MpVfResetting] = { [MpVfAllocated] = TRUE, [MpVfAssigned] = TRUE },
};

const char *MPVfStateName(MP_VF_STATE State)
{
	return (unsigned)State < MpVfStateCount ? MPVfStateNames[State] : "?";
}

BOOLEAN MPVfStateTransitionAllowed(MP_VF_STATE From, MP_VF_STATE To)
{
	return (unsigned)From < MpVfStateCount && (unsigned)To < MpVfStateCount && MPVfTransitions[From][To];
}
