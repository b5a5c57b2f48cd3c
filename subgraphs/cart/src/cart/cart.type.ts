import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { Money } from '@shop/runtime/subgraph';

/** The product subgraph's entity; this subgraph only knows its id. */
@Directive('@key(fields: "id", resolvable: false)')
@ObjectType('Product')
export class ProductStub {
  @Field(() => ID)
  id!: string;
}

@ObjectType()
export class CartItem {
  @Field(() => ProductStub, { nullable: true, description: 'Null only while the product subgraph cannot be reached.' })
  product!: ProductStub | null;

  @Field(() => Int)
  quantity!: number;

  @Field(() => Money, { description: "The product's current price as this subgraph last heard of it." })
  unitPrice!: Money;

  @Field(() => Money)
  lineTotal!: Money;
}

@ObjectType({ description: "A user's shopping cart. Owned by the cart subgraph." })
export class Cart {
  @Field(() => ID, { description: 'Stable for a user, so clients can normalise the cart in their cache.' })
  id!: string;

  @Field(() => [CartItem])
  items!: CartItem[];

  @Field(() => Int)
  totalQuantity!: number;

  @Field(() => Money)
  subtotal!: Money;

  @Field(() => Date, { nullable: true })
  updatedAt!: Date | null;
}
