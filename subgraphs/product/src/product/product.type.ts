import { Directive, Field, ID, Int, ObjectType, UseMiddleware } from 'type-graphql';
import { Money, PageInfo } from '@shop/runtime';
import { PublicProductData } from './product.cache';

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
  @UseMiddleware(PublicProductData)
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
  @UseMiddleware(PublicProductData)
  node!: Product;
}

@ObjectType()
export class ProductConnection {
  @Field(() => [ProductEdge])
  @UseMiddleware(PublicProductData)
  edges!: ProductEdge[];

  @Field(() => PageInfo)
  @UseMiddleware(PublicProductData)
  pageInfo!: PageInfo;
}
