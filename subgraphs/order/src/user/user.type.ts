import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Owned by the user subgraph; this subgraph adds User.orders. */
@Directive('@key(fields: "id")')
@ObjectType()
export class User {
  @Field(() => ID)
  id!: string;
}
