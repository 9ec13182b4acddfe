/*
 * Get-VMHost (tools-and-views.md 1.2): the host's IovSupport and the
 * documented IovSupportReasons computed from the platform model (host.c),
 * $null when SR-IOV is supported. One object. Only the properties the lab
 * models; PowerShell's default table columns (LogicalProcessorCount,
 * MemoryCapacity ...) are not, so the default output is the list of these.
 */
#include <strings.h>

#include "views/view.h"

struct vmhost_obj {
	int unused;
};

static void p_name(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)o;
	view_set_str(v, "%s", hv_host_computer_name(c->host));
}

static void p_iov_support(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)o;
	view_set_bool(v, hv_host_iov_support(c->host));
}

static void p_iov_reasons(const struct view_ctx *c, const void *o, struct view_value *v)
{
	enum hv_iov_reason r[HV_IOV_REASON_COUNT];
	size_t n = hv_host_iov_reasons(c->host, r);

	(void)o;
	view_set_strings(v);
	for (size_t i = 0; i < n; i++)
		view_add_string(v, view_iov_reason_text(r[i]));
	if (!n)
		view_set_null(v);	/* Pester: IovSupportReasons -eq $null */
}

static const struct view_prop props[] = {
	{ "Name", VIEW_STRING, VIEW_TABLE | VIEW_LIST, NULL, p_name },
	{ "ComputerName", VIEW_STRING, 0, NULL, p_name },
	{ "IovSupport", VIEW_BOOL, VIEW_TABLE | VIEW_LIST, NULL, p_iov_support },
	{ "IovSupportReasons", VIEW_STRINGS, VIEW_TABLE | VIEW_LIST, NULL, p_iov_reasons },
};

static int enumerate(const struct view_ctx *c, struct view_rows *rows)
{
	struct vmhost_obj o = { 0 };

	(void)c;
	return view_rows_add(rows, &o);
}

static bool names(const struct view_ctx *c, const void *o, const char *name)
{
	(void)o;
	return !strcasecmp(name, "host") || !strcasecmp(name, "localhost") ||
	       !strcasecmp(name, hv_host_computer_name(c->host));
}

const struct view_class view_vmhost = {
	.noun = "VMHost",
	.what = "the host's IovSupport and IovSupportReasons (R1-R9)",
	.props = props,
	.nprops = sizeof(props) / sizeof(props[0]),
	.format = VIEW_FORMAT_LIST,
	.obj_size = sizeof(struct vmhost_obj),
	.enumerate = enumerate,
	.names = names,
};
