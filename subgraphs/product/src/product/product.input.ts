import { Field, InputType, Int } from 'type-graphql';

@InputType({ description: 'Duplicate sku: CONFLICT. priceCents 1..10000000 and stock 0..1000000, else BAD_USER_INPUT.' })
export class CreateProductInput {
  @Field()
  sku!: string;

  @Field()
  name!: string;

  @Field()
  description!: string;

  @Field()
  category!: string;

  @Field(() => Int)
  priceCents!: number;

  @Field(() => Int, { defaultValue: 0 })
  stock!: number;
}

@InputType()
export class UpdateProductInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => String, { nullable: true })
  category?: string | null;

  @Field(() => Int, { nullable: true })
  priceCents?: number | null;
}
