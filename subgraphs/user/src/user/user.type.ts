import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import type { Role } from '@shop/runtime';

export const RoleEnum = { CUSTOMER: 'CUSTOMER', ADMIN: 'ADMIN' } as const satisfies Record<Role, Role>;
registerEnumType(RoleEnum, { name: 'Role' });

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A registered person. Owned by the user subgraph.' })
export class User {
  @Field(() => ID)
  id!: string;

  /** Resolved by UserResolver.email, which checks who may see it. */
  @Field({ description: 'Visible to the user themself and to admins; FORBIDDEN for anyone else.' })
  email!: string;

  @Field()
  name!: string;

  @Field(() => RoleEnum)
  role!: Role;

  @Field()
  createdAt!: Date;
}
