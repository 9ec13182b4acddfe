/*
 * `iovlab lab --schema` prints every lab-file section and key with its type,
 * default and range (FreeBSD iovctl -S style); `iovlab lab --check FILE`
 * validates a lab file -- its [fault] sections too, as the host will apply
 * them (src/hv/faults.c) -- and prints it in normal form.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "hv/faults.h"
#include "lab/lab.h"
#include "lab/lab_schema.h"

int cmd_lab(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--schema") == 0) {
		lab_schema_print(stdout, LAB_SCHEMA_TEXT);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--check") == 0) {
		struct lab *lab = NULL;
		struct hv_faults *faults = NULL;
		char err[512];

		if (lab_load_file(argv[2], &lab, err, sizeof(err))) {
			fprintf(stderr, "iovlab: %s\n", err);
			return 2;
		}
		if (hv_faults_create(lab, &faults, err, sizeof(err))) {
			fprintf(stderr, "iovlab: %s\n", err);
			lab_free(lab);
			return 2;
		}
		hv_faults_destroy(faults);
		lab_dump(lab, stdout);
		lab_free(lab);
		return 0;
	}
	fprintf(stderr, "usage: iovlab lab --schema | --check FILE\n");
	return 2;
}
