import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Money, PageInfo } from '@shop/runtime/subgraph';
import { ORDER_STATUSES, type OrderStatus } from './order.states';

export const OrderStatusEnum = Object.fromEntries(ORDER_STATUSES.map((s) => [s, s])) as { [S in OrderStatus]: S };

registerEnumType(OrderStatusEnum, {
  name: 'OrderStatus',
  valuesConfig: {
    PENDING: { description: 'Placed; stock not yet reserved.' },
    CONFIRMED: { description: 'Stock reserved for every line.' },
    REJECTED: { description: 'Stock could not be reserved; nothing is held.' },
    CANCELLED: { description: 'Cancelled by the user or an admin; reserved stock is released.' },
  },
});

/** Owned by the product subgraph; orders only point at it. */
@Directive('@key(fields: "id", resolvable: false)')
@ObjectType()
export class Product {
  @Field(() => ID)
  id!: string;
}

@ObjectType()
export class OrderItem {
  @Field(() => Product, { nullable: true, description: 'Null only while the product subgraph cannot be reached.' })
  product!: Product | null;

  @Field({ description: "The product's name when the order was placed." })
  productName!: string;

  @Field(() => Int)
  quantity!: number;

  @Field(() => Money, { description: 'Price at the time the order was placed.' })
  unitPrice!: Money;

  @Field(() => Money)
  lineTotal!: Money;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'Owned by the order subgraph.' })
export class Order {
  @Field(() => ID)
  id!: string;

  /** Not a field: Order.user resolves it to a User stub. */
  userId!: string;

  @Field(() => OrderStatusEnum)
  status!: OrderStatus;

  @Field(() => Money)
  total!: Money;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@ObjectType()
export class OrderEdge {
  @Field()
  cursor!: string;

  @Field(() => Order)
  node!: Order;
}

@ObjectType()
export class OrderConnection {
  @Field(() => [OrderEdge])
  edges!: OrderEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
