/** The roles a user may have: the contract's `Role` enum. */
export const ROLES = ['CUSTOMER', 'ADMIN'] as const;

export type Role = (typeof ROLES)[number];
