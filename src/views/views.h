/*
 * The Windows views of a running host, as `iovlab run` prints them (--show,
 * the script's show and expect steps). A view is named the way a user types
 * it in PowerShell or WinDbg:
 *
 *   Get-VMNetworkAdapter [-VMName vm1] [vm1] [| Format-List [Iov*, ...]]
 *   vmnetworkadapter | fl *                        (the cmdlet's noun works too)
 *   Get-NetAdapterAdvancedProperty -RegistryKeyword *SRIOV
 *   ndiskd netadapter [pf0] -iov -vfs -vports -nicswitch -bindings
 *   ndiskd netadapter -vm vm1 -bindings            (inside vm1's guest)
 *   ndiskd:netadapter:-iov                         (one shell word)
 *
 * Cmdlets and nouns are case-insensitive; -Param VALUE filters objects on a
 * property (wildcards * and ?), a bare word names objects the way the
 * cmdlet's first positional parameter does; | fl / | ft pick the format and
 * property patterns. The property tables, renderers and NDIS queries are in
 * src/views (view.h); the names and layouts follow tools-and-views.md 1.1-1.7.
 */
#ifndef IOVLAB_VIEWS_VIEWS_H
#define IOVLAB_VIEWS_VIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "hv/host.h"

enum views_output {
	VIEWS_TEXT,	/* what PowerShell / WinDbg print */
	VIEWS_JSON,	/* one JSON array of objects per view */
};

/*
 * Print the view argv names. 0; -ENOENT: no such view (err lists the
 * names); -EINVAL: an argument the view does not take (err says which).
 */
int views_show(struct hv_host *h, int argc, char *const argv[], enum views_output out, FILE *f, char *err,
	       size_t errlen);

/* A --show argument as words: "ndiskd:netadapter:-iov" and "Get-VMSwitch | fl" both split. */
int views_split(const char *arg, char ***argv, int *argc);
void views_split_free(char **argv, int argc);

/*
 * expect NOUN OBJECT PROPERTY VALUE on a view: the property of the one
 * object OBJECT names, compared as text (case-insensitive; a number
 * numerically; an array holds VALUE when one element is VALUE or its whole
 * {a, b} text is). 1: holds; 0: does not (msg has the actual value);
 * -ENOENT: unknown view, object or property, or OBJECT names several
 * objects (msg says which); -EAGAIN: the property is set only by a running
 * guest, which this host does not have (msg says so).
 */
int views_expect(struct hv_host *h, const char *noun, const char *object, const char *property, const char *value,
		 char *msg, size_t len);

/* Whether noun is a PowerShell view's noun or cmdlet (expect's WHAT). */
bool views_is_view(const char *noun);

/*
 * The catalogue's words for other tools (diagnose): Get-NetAdapterSriov
 * SriovSupport ("MissingAcs") and Get-VMHost's IovSupportReasons text.
 */
const char *views_sriov_support_name(enum hv_sriov_support s);
const char *views_iov_reason_text(enum hv_iov_reason r);

/* The views and their one-line descriptions, for --help. */
void views_print_names(FILE *f, const char *indent);

#endif /* IOVLAB_VIEWS_VIEWS_H */
