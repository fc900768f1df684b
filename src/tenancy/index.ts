// Tenancy: who is calling (peer credentials, users, groups).
export type { Identity } from './identity.js';
export { identityFromUnixSocket, identityFromTlsSocket, anonymousTcpIdentity } from './identity.js';
export { resolveUser, clearUserCache } from './users.js';
export { groupIdByName, userById } from './libc.js';
export { FixedFacts, ownerOf, reaches, type Tenant } from './ownership.js';
