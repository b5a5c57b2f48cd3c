import { Directive, Field, Int, ObjectType } from 'type-graphql';

/** An amount in minor units (cents) of the shop's one currency. Shared by every subgraph. */
@Directive('@shareable')
@ObjectType({ description: "An amount in minor units (cents) of the shop's one currency (set in config)." })
export class Money {
  @Field(() => Int)
  amountCents!: number;

  @Field()
  currency!: string;

  static of(amountCents: number, currency: string): Money {
    return Object.assign(new Money(), { amountCents, currency });
  }
}

@Directive('@shareable')
@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}
