import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { Money, PageInfo } from '@shop/runtime/subgraph';

@Directive('@key(fields: "id")')
@Directive('@key(fields: "sku")')
@ObjectType({ description: 'An item for sale. Owned by the product subgraph.' })
export class Product {
  @Field(() => ID)
  id!: string;

  @Field()
  sku!: string;

  @Field()
  name!: string;

  @Field()
  description!: string;

  @Field()
  category!: string;

  @Field(() => Money)
  price!: Money;

  @Field(() => Int, { description: 'Units available to order now (reserved units excluded).' })
  stock!: number;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@ObjectType()
export class ProductEdge {
  @Field()
  cursor!: string;

  @Field(() => Product)
  node!: Product;
}

@ObjectType()
export class ProductConnection {
  @Field(() => [ProductEdge])
  edges!: ProductEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
