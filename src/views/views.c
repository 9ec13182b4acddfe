/*
 * The view dispatcher (views.h): finds a view by cmdlet or noun, applies
 * the cmdlet-style arguments (positional name, -Property VALUE filters with
 * wildcards) and the | Format-List / Format-Table choice with its property
 * patterns, evaluates every property of every object once through the
 * view's table (view.h) and hands the cells to one renderer -- table, list
 * or JSON. `expect` reads the same cells. ndiskd has its own layout
 * (ndiskd.c) and is reached from here.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "views/ndiskd.h"
#include "views/view.h"
#include "views/views.h"

#define LIST_WIDTH 120

static const struct view_class *const classes[] = {
	&view_vmhost, &view_vmswitch, &view_vmnetworkadapter, &view_netadaptersriov, &view_netadaptersriovvf,
	&view_netadaptervport, &view_netadapteradvancedproperty,
};
#define NCLASSES (sizeof(classes) / sizeof(classes[0]))

static const struct view_class *find_class(const char *name)
{
	for (size_t i = 0; i < NCLASSES; i++) {
		if (!strcasecmp(name, classes[i]->noun))
			return classes[i];
		if (!strncasecmp(name, "Get-", 4) && !strcasecmp(name + 4, classes[i]->noun))
			return classes[i];
	}
	return NULL;
}

bool views_is_view(const char *noun)
{
	return find_class(noun) != NULL;
}

void views_print_names(FILE *f, const char *indent)
{
	for (size_t i = 0; i < NCLASSES; i++)
		fprintf(f, "%sGet-%-28s %s\n", indent, classes[i]->noun, classes[i]->what);
	fprintf(f, "%s%-32s %s\n", indent, "ndiskd netadapter [NIC] -iov -vfs -vports -nicswitch -bindings",
		"");
	fprintf(f, "%s%-32s %s\n", indent, "", "!ndiskd.netadapter's MINIPORT / STATE / BINDINGS and the SR-IOV sections");
	fprintf(f, "%s%-32s %s\n", indent, "ndiskd netadapter -vm VM [NIC] -bindings -iov", "");
	fprintf(f, "%s%-32s %s\n", indent, "", "the same inside VM's guest: NetVsc's and the VF miniport's bindings");
}

/* ---- splitting a --show argument ------------------------------------------------- */
static int push(char ***v, int *n, const char *s, size_t len)
{
	char **nv = realloc(*v, (size_t)(*n + 2) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strndup(s, len)))
		return -ENOMEM;
	nv[++*n] = NULL;
	return 0;
}

int views_split(const char *arg, char ***argv, int *argc)
{
	const char *p = arg;
	int rc = 0;

	*argv = NULL;
	*argc = 0;
	if (!strncasecmp(arg, "ndiskd:", 7) || !strncasecmp(arg, "!ndiskd.", 8)) {
		/* ndiskd:netadapter:-iov:-vfs -- one shell word, colons between. */
		while (!rc && *p) {
			size_t n = strcspn(p, ": ");
			if (n)
				rc = push(argv, argc, p, n);
			p += n;
			while (*p == ':' || *p == ' ')
				p++;
		}
		return rc;
	}
	while (!rc && *p) {
		size_t n;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		n = *p == '|' ? 1 : strcspn(p, " \t|");
		rc = push(argv, argc, p, n);
		p += n;
	}
	return rc;
}

void views_split_free(char **argv, int argc)
{
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* ---- evaluating a view ------------------------------------------------------------ */
struct request {
	const struct view_class *cls;
	const char *positional[8];
	int npositional;
	struct {
		size_t prop;
		const char *pattern;
	} filters[8];
	int nfilters;
	enum view_format format;
	const char *patterns[16];
	int npatterns;
	bool switch_on;		/* the class's switch parameter was given */
};

static bool prop_by_name(const struct view_class *c, const char *name, size_t *out)
{
	for (size_t p = 0; p < c->nprops; p++)
		if (!strcasecmp(c->props[p].name, name)) {
			*out = p;
			return true;
		}
	return false;
}

static int parse(struct request *q, int argc, char *const argv[], char *err, size_t errlen)
{
	int i = 1;

	memset(q, 0, sizeof(*q));
	q->cls = find_class(argv[0]);
	if (!q->cls) {
		snprintf(err, errlen, "no view '%s'", argv[0]);
		return -ENOENT;
	}
	for (; i < argc && strcmp(argv[i], "|"); i++) {
		if (argv[i][0] == '-' && q->cls->switch_param && !strcasecmp(argv[i] + 1, q->cls->switch_param)) {
			q->switch_on = true;
		} else if (argv[i][0] == '-') {
			size_t p;
			if (!prop_by_name(q->cls, argv[i] + 1, &p)) {
				snprintf(err, errlen, "Get-%s has no parameter '%s'", q->cls->noun, argv[i]);
				return -EINVAL;
			}
			if (i + 1 >= argc || !strcmp(argv[i + 1], "|")) {
				snprintf(err, errlen, "Get-%s %s needs a value", q->cls->noun, argv[i]);
				return -EINVAL;
			}
			if (q->nfilters == 8)
				return -EINVAL;
			q->filters[q->nfilters].prop = p;
			q->filters[q->nfilters++].pattern = argv[++i];
		} else if (q->npositional < 8) {
			q->positional[q->npositional++] = argv[i];
		}
	}
	if (i < argc) {		/* | fl [patterns] */
		const char *f = ++i < argc ? argv[i] : "";
		if (!strcasecmp(f, "fl") || !strcasecmp(f, "Format-List"))
			q->format = VIEW_FORMAT_LIST;
		else if (!strcasecmp(f, "ft") || !strcasecmp(f, "Format-Table"))
			q->format = VIEW_FORMAT_TABLE;
		else {
			snprintf(err, errlen, "after | : fl, ft, Format-List or Format-Table, not '%s'", f);
			return -EINVAL;
		}
		for (i++; i < argc; i++) {
			char *s = argv[i];
			/* "Iov*," "VFDataPathActive" and "-Property" are all accepted. */
			if (!strcasecmp(s, "-Property"))
				continue;
			for (char *t = s; *t;) {
				size_t n = strcspn(t, ",");
				if (n && q->npatterns < 16) {
					char save = t[n];
					t[n] = 0;
					q->patterns[q->npatterns++] = strdup(t);
					t[n] = save;
				}
				t += n;
				if (*t == ',')
					t++;
			}
		}
	}
	return 0;
}

static void request_fini(struct request *q)
{
	for (int i = 0; i < q->npatterns; i++)
		free((char *)q->patterns[i]);
}

static bool text_matches(const struct view_value *v, const char *pattern)
{
	char buf[4096];

	if (v->type == VIEW_STRINGS || v->type == VIEW_UINTS) {
		for (size_t i = 0; i < v->n; i++) {
			if (v->type == VIEW_STRINGS)
				snprintf(buf, sizeof(buf), "%s", v->sv[i]);
			else
				snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v->uv[i]);
			if (!fnmatch(pattern, buf, FNM_CASEFOLD))
				return true;
		}
		return false;
	}
	return !fnmatch(pattern, view_value_text(v, buf, sizeof(buf)), FNM_CASEFOLD);
}

/* Collect, evaluate, filter and select. 0 or -errno. */
static int evaluate(const struct view_ctx *ctx, const struct request *q, enum views_output out, struct view_result *r)
{
	const struct view_class *c = q->cls;
	struct view_rows rows = { .obj_size = c->obj_size };
	size_t kept = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	r->cls = c;
	rc = c->enumerate(ctx, &rows);
	r->cells = calloc(rows.n ? rows.n * c->nprops : 1, sizeof(*r->cells));
	r->selected = calloc(c->nprops, sizeof(*r->selected));
	if (rc || !r->cells || !r->selected) {
		free(rows.objs);
		view_result_fini(r);
		return rc ? rc : -ENOMEM;
	}
	for (size_t o = 0; o < rows.n; o++) {
		const void *obj = view_rows_at(&rows, o);
		bool keep = true;

		for (int i = 0; keep && i < q->npositional; i++) {
			keep = false;
			/* A positional name picks objects the way the cmdlet's first parameter does. */
			if (c->names(ctx, obj, q->positional[i]))
				keep = true;
		}
		if (!keep)
			continue;
		for (size_t p = 0; p < c->nprops; p++)
			c->props[p].get(ctx, obj, &r->cells[kept * c->nprops + p]);
		for (int f = 0; keep && f < q->nfilters; f++)
			keep = text_matches(&r->cells[kept * c->nprops + q->filters[f].prop], q->filters[f].pattern);
		if (keep && c->switch_param) {
			size_t sp;
			const struct view_value *sv;

			if (prop_by_name(c, c->switch_prop, &sp)) {
				sv = &r->cells[kept * c->nprops + sp];
				keep = !sv->null && sv->type == VIEW_BOOL && sv->b == q->switch_on;
			}
		}
		if (keep) {
			kept++;
		} else {
			for (size_t p = 0; p < c->nprops; p++)
				view_value_fini(&r->cells[kept * c->nprops + p]);
		}
	}
	if (c->release)
		for (size_t o = 0; o < rows.n; o++)
			c->release(rows.objs + o * rows.obj_size);
	free(rows.objs);
	r->nobjs = kept;
	r->labels = !q->npatterns;

	for (size_t p = 0; p < c->nprops; p++) {
		if (q->npatterns) {
			for (int i = 0; i < q->npatterns; i++)
				if (!fnmatch(q->patterns[i], c->props[p].name, FNM_CASEFOLD))
					r->selected[p] = true;
		} else if (out == VIEWS_JSON) {
			r->selected[p] = true;	/* ConvertTo-Json: every property */
		} else {
			enum view_format f = q->format ? q->format : c->format;
			r->selected[p] = c->props[p].flags & (f == VIEW_FORMAT_TABLE ? VIEW_TABLE : VIEW_LIST);
		}
	}
	return 0;
}

static void print_command(FILE *f, int argc, char *const argv[])
{
	fprintf(f, "PS C:\\> ");
	for (int i = 0; i < argc; i++)
		fprintf(f, "%s%s", i ? " " : "", argv[i]);
	fprintf(f, "\n");
}

int views_show(struct hv_host *h, int argc, char *const argv[], enum views_output out, FILE *f, char *err,
	       size_t errlen)
{
	struct view_ctx ctx = { h };
	struct request q;
	struct view_result r;
	int rc;

	if (argc < 1) {
		snprintf(err, errlen, "no view named");
		return -ENOENT;
	}
	if (!strcasecmp(argv[0], "ndiskd") || !strncasecmp(argv[0], "!ndiskd.", 8))
		return ndiskd_show(h, argc, argv, out, f, err, errlen);
	rc = parse(&q, argc, argv, err, errlen);
	if (rc) {
		request_fini(&q);
		return rc;
	}
	rc = evaluate(&ctx, &q, out, &r);
	if (rc) {
		snprintf(err, errlen, "Get-%s: %s", q.cls->noun, strerror(-rc));
		request_fini(&q);
		return rc;
	}
	if (out == VIEWS_JSON) {
		json_t *j = view_render_json(&r);
		json_dumpf(j, f, JSON_INDENT(2));
		fprintf(f, "\n");
		json_decref(j);
	} else {
		print_command(f, argc, argv);
		if ((q.format ? q.format : q.cls->format) == VIEW_FORMAT_TABLE)
			view_render_table(f, &r);
		else
			view_render_list(f, &r, LIST_WIDTH);
	}
	view_result_fini(&r);
	request_fini(&q);
	return 0;
}

/* ---- expect ------------------------------------------------------------------------ */
static bool same(const struct view_value *v, const char *want)
{
	char buf[4096], *end;

	if (v->null)
		return !*want || !strcasecmp(want, "$null");
	if (view_value_numeric(v)) {
		unsigned long long u = strtoull(want, &end, 0);
		if (*want && !*end)
			return v->type == VIEW_INT ? v->i == (long long)u : v->u == u;
	}
	if (v->type == VIEW_BOOL) {
		if (!strcasecmp(want, "$true"))
			return v->b;
		if (!strcasecmp(want, "$false"))
			return !v->b;
	}
	if (v->type == VIEW_STRINGS)
		for (size_t i = 0; i < v->n; i++)
			if (!strcasecmp(v->sv[i], want))
				return true;
	return !strcasecmp(view_value_text(v, buf, sizeof(buf)), want);
}

int views_expect(struct hv_host *h, const char *noun, const char *object, const char *property, const char *value,
		 char *msg, size_t len)
{
	struct view_ctx ctx = { h };
	struct request q;
	struct view_result r;
	size_t p, hit = 0, nhits;

	char text[4096];
	int rc;

	memset(&q, 0, sizeof(q));
	q.cls = find_class(noun);
	if (!q.cls) {
		snprintf(msg, len, "no view '%s'", noun);
		return -ENOENT;
	}
	if (!prop_by_name(q.cls, property, &p)) {
		snprintf(msg, len, "Get-%s has no property '%s'", q.cls->noun, property);
		return -ENOENT;
	}
	/* VFDataPathActive is the guest's NetVsc's to set: checkable once guests run; IPAddresses needs a guest IP stack. */
	if ((q.cls->props[p].flags & VIEW_GUEST) &&
	    (!hv_host_runs_guests(h) || !strcmp(q.cls->props[p].name, "IPAddresses"))) {
		snprintf(msg, len, "%s is set by the VM's guest (%s): needs the guest side, not built yet",
			 q.cls->props[p].name, strcmp(q.cls->props[p].name, "IPAddresses") ? "NetVsc" : "its IP stack");
		return -EAGAIN;
	}
	/* The objects OBJECT names, as the cmdlet's positional parameter picks them. */
	q.positional[0] = object;
	q.npositional = 1;
	rc = evaluate(&ctx, &q, VIEWS_JSON, &r);
	if (rc) {
		snprintf(msg, len, "Get-%s: %s", q.cls->noun, strerror(-rc));
		return rc;
	}
	nhits = r.nobjs;
	if (nhits == 0 && q.cls->switch_param) {
		/* No such object without the switch parameter: the name may be one of its objects (F30's vNIC). */
		view_result_fini(&r);
		q.switch_on = true;
		rc = evaluate(&ctx, &q, VIEWS_JSON, &r);
		if (rc) {
			snprintf(msg, len, "Get-%s: %s", q.cls->noun, strerror(-rc));
			return rc;
		}
		nhits = r.nobjs;
	}
	if (nhits != 1) {
		if (nhits)
			snprintf(msg, len, "'%s' names %zu objects of Get-%s; expect needs one", object, nhits, q.cls->noun);
		else
			snprintf(msg, len, "Get-%s has no object named '%s'", q.cls->noun, object);
		view_result_fini(&r);
		return -ENOENT;
	}
	rc = same(view_cell(&r, hit, p), value) ? 1 : 0;
	snprintf(msg, len, "Get-%s %s: %s is '%s'", q.cls->noun, object, q.cls->props[p].name,
		 view_value_text(view_cell(&r, hit, p), text, sizeof(text)));
	view_result_fini(&r);
	return rc;
}
