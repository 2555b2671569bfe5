/** pinUvAuthToken permissions (CTAP 2.1 §6.5.5.7, key 0x09 of clientPIN). */
export const PinUvAuthTokenPermission = {
  MAKE_CREDENTIAL: 0x01,
  GET_ASSERTION: 0x02,
  CREDENTIAL_MANAGEMENT: 0x04,
  BIO_ENROLLMENT: 0x08,
  LARGE_BLOB_WRITE: 0x10,
  AUTHENTICATOR_CONFIG: 0x20,
  /** CTAP 2.2: persistentCredentialManagementReadOnly. */
  PERSISTENT_CREDENTIAL_MANAGEMENT_READ_ONLY: 0x40,
} as const;
