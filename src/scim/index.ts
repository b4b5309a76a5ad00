// The SCIM edge's public entry: what the composition root and the app use of it. Its other files
// are its own.
export { registerScimRoutes, type ScimRoutesOptions } from './scim-router.js';
export { ScimError, toScimError, type ScimType } from './scim-error.js';
export { groupSchema, userSchema, type ResourceSchema } from './scim-schemas.js';
