/*
 * Fuzz target for the vPCI PDO's IOCTL_VPCI_* parser
 * (vpci_pdo_parse_ioctl, src/hv/vpci_pdo.c): the first bytes pick the
 * control code and the stack location's lengths, the rest is the caller's
 * METHOD_NEITHER input buffer (its length never exceeds what is really
 * there, as the kernel caller guarantees). Whatever it accepts must be
 * inside the rules of spec 6.3: a block length of 1..128 that fits the
 * buffers it names, and nothing read past the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hv/vpci_pdo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const ULONG codes[4] = { IOCTL_VPCI_READ_BLOCK, IOCTL_VPCI_WRITE_BLOCK, IOCTL_VPCI_INVALIDATE_BLOCK,
					IOCTL_VPCI_INVALIDATE_BLOCK + 4 };
	uint8_t out[256], in[512];
	IO_STACK_LOCATION sl;
	struct vpci_ioctl_req req;
	NTSTATUS st;
	size_t in_len;

	if (size < 4)
		return 0;
	memset(&sl, 0, sizeof(sl));
	sl.MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
	sl.Parameters.DeviceIoControl.IoControlCode = codes[data[0] & 3];
	sl.Parameters.DeviceIoControl.OutputBufferLength = (ULONG)data[1] | (ULONG)(data[2] & 1) << 8;	/* <= 511 */
	in_len = size - 4 < sizeof(in) ? size - 4 : sizeof(in);
	memcpy(in, data + 4, in_len);
	sl.Parameters.DeviceIoControl.InputBufferLength = (ULONG)(in_len > data[3] ? data[3] : in_len);
	sl.Parameters.DeviceIoControl.Type3InputBuffer = (data[0] & 4) ? NULL : in;
	if (sl.Parameters.DeviceIoControl.OutputBufferLength > sizeof(out))
		sl.Parameters.DeviceIoControl.OutputBufferLength = sizeof(out);
	st = vpci_pdo_parse_ioctl(&sl, (data[0] & 8) ? NULL : out, &req);
	if (!NT_SUCCESS(st))
		return 0;
	switch (req.code) {
	case IOCTL_VPCI_READ_BLOCK:
		if (!req.length || req.length > VPCI_MAX_READ_WRITE_BLOCK_SIZE || req.data != out ||
		    req.length > sl.Parameters.DeviceIoControl.OutputBufferLength)
			__builtin_trap();
		break;
	case IOCTL_VPCI_WRITE_BLOCK:
		if (!req.length || req.length > VPCI_MAX_READ_WRITE_BLOCK_SIZE ||
		    (uint8_t *)req.data + req.length > in + sl.Parameters.DeviceIoControl.InputBufferLength)
			__builtin_trap();
		break;
	case IOCTL_VPCI_INVALIDATE_BLOCK:
		if ((void *)req.out != (void *)in || sl.Parameters.DeviceIoControl.InputBufferLength < 8)
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
	return 0;
}
