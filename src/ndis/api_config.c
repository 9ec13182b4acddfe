/*
 * Ndis* exports for configuration: NdisOpenConfigurationEx,
 * NdisOpenConfigurationKeyByName, NdisReadConfiguration,
 * NdisWriteConfiguration, NdisCloseConfiguration (over config.c).
 */
#include <errno.h>

#include "ndis/internal.h"

static struct ndis_config *config_of(NDIS_HANDLE h, const char *fn)
{
	if (ndis__handle_kind(h) == NDIS_H_CONFIG)
		return h;
	log_error(NDIS_LOG, "%s: %p is %s, not a ConfigurationHandle", fn, h, ndis__handle_kind_name(ndis__handle_kind(h)));
	return NULL;
}

NDIS_EXPORT NDIS_STATUS NdisOpenConfigurationEx(PNDIS_CONFIGURATION_OBJECT ConfigObject,
						PNDIS_HANDLE ConfigurationHandle)
{
	struct ndis_config *c = NULL;
	enum ndis_handle_kind k;
	int rc;

	if (!ConfigObject || !ConfigurationHandle)
		return NDIS_STATUS_INVALID_PARAMETER;
	if (ConfigObject->Header.Type != NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT ||
	    ConfigObject->Header.Revision < NDIS_CONFIGURATION_OBJECT_REVISION_1 ||
	    ConfigObject->Header.Size < NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1)
		return NDIS_STATUS_BAD_VERSION;
	if (ConfigObject->Flags & NDIS_CONFIG_FLAG_FILTER_INSTANCE_CONFIGURATION)
		return NDIS_STATUS_NOT_SUPPORTED;
	k = ndis__handle_kind(ConfigObject->NdisHandle);
	if (k == NDIS_H_ADAPTER) {
		struct ndis_adapter *ad = ConfigObject->NdisHandle;
		rc = ndis__config_open(ad, ad->drv, &c);
	} else if (k == NDIS_H_DRIVER) {
		log_warn(NDIS_LOG, "NdisOpenConfigurationEx on a driver handle: service Parameters keys are not modelled");
		rc = -ENOTSUP;
	} else {
		ndis__api_adapter(ConfigObject->NdisHandle, "NdisOpenConfigurationEx");
		rc = -EINVAL;
	}
	if (rc)
		return rc == -ENOTSUP ? NDIS_STATUS_FAILURE : ndis__status_from_errno(rc);
	*ConfigurationHandle = c;
	return NDIS_STATUS_SUCCESS;
}

NDIS_EXPORT VOID NdisOpenConfigurationKeyByName(PNDIS_STATUS Status, NDIS_HANDLE ConfigurationHandle,
						PNDIS_STRING SubKeyName, PNDIS_HANDLE SubKeyHandle)
{
	struct ndis_config *c = config_of(ConfigurationHandle, "NdisOpenConfigurationKeyByName"), *sub = NULL;
	char name[128];
	int rc;

	if (!Status)
		return;
	if (!c || !SubKeyHandle || ndis__ustr_to_ascii(SubKeyName, name, sizeof(name))) {
		*Status = NDIS_STATUS_FAILURE;
		return;
	}
	rc = ndis__config_open_subkey(c, name, &sub);
	*Status = rc ? NDIS_STATUS_FAILURE : NDIS_STATUS_SUCCESS;
	*SubKeyHandle = rc ? NULL : sub;
}

NDIS_EXPORT VOID NdisReadConfiguration(PNDIS_STATUS Status, PNDIS_CONFIGURATION_PARAMETER *ParameterValue,
				       NDIS_HANDLE ConfigurationHandle, PNDIS_STRING Keyword,
				       NDIS_PARAMETER_TYPE ParameterType)
{
	struct ndis_config *c = config_of(ConfigurationHandle, "NdisReadConfiguration");
	char kw[128];
	int rc;

	if (!Status)
		return;
	if (!c || !ParameterValue || ndis__ustr_to_ascii(Keyword, kw, sizeof(kw))) {
		*Status = NDIS_STATUS_FAILURE;
		return;
	}
	*ParameterValue = NULL;
	rc = ndis__config_read(c, kw, ParameterType, ParameterValue);
	/* NDIS reports a missing or unconvertible keyword as NDIS_STATUS_FAILURE. */
	*Status = rc == -ENOMEM ? NDIS_STATUS_RESOURCES : rc ? NDIS_STATUS_FAILURE : NDIS_STATUS_SUCCESS;
}

NDIS_EXPORT VOID NdisWriteConfiguration(PNDIS_STATUS Status, NDIS_HANDLE ConfigurationHandle,
					PNDIS_STRING Keyword, PNDIS_CONFIGURATION_PARAMETER ParameterValue)
{
	struct ndis_config *c = config_of(ConfigurationHandle, "NdisWriteConfiguration");
	char kw[128];
	int rc;

	if (!Status)
		return;
	if (!c || !ParameterValue || ndis__ustr_to_ascii(Keyword, kw, sizeof(kw))) {
		*Status = NDIS_STATUS_FAILURE;
		return;
	}
	rc = ndis__config_write(c, kw, ParameterValue);
	*Status = rc ? NDIS_STATUS_FAILURE : NDIS_STATUS_SUCCESS;
}

NDIS_EXPORT VOID NdisCloseConfiguration(NDIS_HANDLE ConfigurationHandle)
{
	struct ndis_config *c = config_of(ConfigurationHandle, "NdisCloseConfiguration");

	if (c)
		ndis__config_close(c);
}
