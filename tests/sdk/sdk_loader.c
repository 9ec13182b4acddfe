/*
 * sdk_loader -- the host side of the out-of-tree driver test
 * (test_sdk.sh): an ordinary iovlab executable linking the framework
 * (ndis_dep exports the Ndis* symbols), which installs the package given on
 * the command line, brings the adapter up, queries it, restarts and halts
 * it, and fails if anything -- including the verifier -- objects.
 *   usage: sdk_loader <inf> <binary dir> <hardware id>
 */
#include <stdio.h>
#include <string.h>

#include "ndis/framework.h"

static int fail(const char *what)
{
	fprintf(stderr, "sdk_loader: %s\n", what);
	return 1;
}

int main(int argc, char **argv)
{
	struct ndis_framework *fw;
	struct ndis_adapter_params p;
	struct ndis_adapter *ad;
	const struct ndis_issuer me = { NDIS_ISSUER_OVERLYING, "SDKTEST" };
	NDIS_OID_REQUEST req;
	char err[256], buf[32];
	uint32_t st = 0;
	int rc = 0;

	if (argc != 4)
		return fail("usage: sdk_loader <inf> <binary dir> <hardware id>");
	fw = ndis_framework_create("host", NDIS_PARTITION_PARENT);
	if (!fw)
		return fail("no framework");
	if (ndis_framework_install_inf(fw, argv[1], argv[2], err, sizeof(err))) {
		fprintf(stderr, "sdk_loader: %s\n", err);
		ndis_framework_destroy(fw);
		return 1;
	}
	memset(&p, 0, sizeof(p));
	p.name = "Ethernet";
	p.hardware_id = argv[3];
	if (ndis_adapter_create(fw, &p, &ad) || ndis_adapter_state(ad) != NDIS_ADAPTER_RUNNING)
		rc = fail("the driver did not load and start");
	if (!rc) {
		ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_VENDOR_DESCRIPTION, buf, sizeof(buf));
		if (ndis_oid_request(ad, &me, &req, NULL, NULL, &st) || st != NDIS_STATUS_SUCCESS ||
		    strcmp(buf, "hello, iovlab") != 0)
			rc = fail("OID_GEN_VENDOR_DESCRIPTION did not come back");
	}
	if (!rc && (ndis_adapter_pause(ad) || ndis_adapter_restart(ad) || ndis_adapter_halt(ad, NdisHaltDeviceDisabled)))
		rc = fail("pause/restart/halt failed");
	for (size_t i = 0; i < ndis_framework_finding_count(fw); i++) {
		const struct ndis_finding *f = ndis_framework_finding_at(fw, i);
		fprintf(stderr, "sdk_loader: %s: %s\n", f->id, f->evidence);
		rc = 1;
	}
	ndis_framework_destroy(fw);
	if (!rc)
		printf("out-of-tree driver loaded, answered and halted cleanly\n");
	return rc;
}
