import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** The user subgraph's entity, extended here with the user's cart. */
@Directive('@key(fields: "id")')
@ObjectType()
export class User {
  @Field(() => ID)
  id!: string;
}
