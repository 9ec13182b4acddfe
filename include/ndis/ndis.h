/* SCRATCH header for developing tests/abi before the lead's headers land. */
#ifndef IOVLAB_NDIS_H
#define IOVLAB_NDIS_H
#include <stdint.h>
typedef uint32_t ULONG;
typedef uint8_t UCHAR;
typedef uint16_t USHORT;
#define OID_GEN_SUPPORTED_LIST 0x00010101
#define OID_NIC_SWITCH_CREATE_SWITCH 0x00010237
#define NDIS_OBJECT_TYPE_DEFAULT 0x80
#define NDIS_STATUS_SUCCESS 0
#define IOVLAB_HELPER 3
typedef struct _NDIS_OBJECT_HEADER { UCHAR Type; UCHAR Revision; USHORT Size; } NDIS_OBJECT_HEADER, *PNDIS_OBJECT_HEADER;
typedef enum _NDIS_NIC_SWITCH_TYPE { NdisNicSwitchTypeUnspecified, NdisNicSwitchTypeExternal, NdisNicSwitchTypeMax } NDIS_NIC_SWITCH_TYPE;
typedef struct _NDIS_TCP_IP_CHECKSUM_OFFLOAD {
  struct { ULONG Encapsulation; ULONG IpOptionsSupported:2; ULONG TcpOptionsSupported:2; ULONG TcpChecksum:2; ULONG UdpChecksum:2; ULONG IpChecksum:2; } IPv4Transmit;
  struct { ULONG Encapsulation; ULONG IpOptionsSupported:2; ULONG TcpOptionsSupported:2; ULONG TcpChecksum:2; ULONG UdpChecksum:2; ULONG IpChecksum:2; } IPv4Receive;
  struct { ULONG Encapsulation; ULONG IpExtensionHeadersSupported:2; ULONG TcpOptionsSupported:2; ULONG TcpChecksum:2; ULONG UdpChecksum:2; } IPv6Transmit;
  struct { ULONG Encapsulation; ULONG IpExtensionHeadersSupported:2; ULONG TcpOptionsSupported:2; ULONG TcpChecksum:2; ULONG UdpChecksum:2; } IPv6Receive;
} NDIS_TCP_IP_CHECKSUM_OFFLOAD;
typedef struct _NDIS_STATISTICS_VALUE { ULONG Oid; ULONG DataLength; UCHAR Data[1]; } NDIS_STATISTICS_VALUE;
typedef struct _NDIS_802_11_TEST { ULONG Length; ULONG Type; union { struct { struct { ULONG StatusType; } Status; struct { ULONG Length; UCHAR Bssid[6]; ULONG Flags; } Request[1]; } AuthenticationEvent; int32_t RssiTrigger; }; } NDIS_802_11_TEST;
typedef struct _NDIS_MINIPORT_X { NDIS_OBJECT_HEADER Header; } NDIS_MINIPORT_X;
#endif
