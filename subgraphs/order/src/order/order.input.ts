import { Field, ID, InputType, Int } from 'type-graphql';

@InputType()
export class OrderItemInput {
  @Field(() => ID)
  productId!: string;

  @Field(() => Int)
  quantity!: number;
}

@InputType()
export class PlaceOrderInput {
  @Field({
    description:
      '1..100 characters. The same key with the same items from the same user returns the same\n' +
      'order, never a second one; the same key with different items is a CONFLICT.',
  })
  idempotencyKey!: string;

  @Field(() => [OrderItemInput], { description: '1..100 lines, distinct products, quantities 1..999; else BAD_USER_INPUT.' })
  items!: OrderItemInput[];

  @Field(() => Int, {
    nullable: true,
    description: "When given and the server's total differs (a price changed): CONFLICT, nothing is placed.",
  })
  expectedTotalCents?: number | null;
}
