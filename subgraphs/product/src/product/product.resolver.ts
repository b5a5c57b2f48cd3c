import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { parseId, requireAdmin } from '@shop/runtime';
import type { ProductContext } from '../context';
import { CreateProductInput, UpdateProductInput } from './product.input';
import { LIMITS, text } from './product.rules';
import { Product, ProductConnection } from './product.type';

@Resolver(() => Product)
export class ProductResolver {
  @Query(() => Product, { nullable: true })
  product(@Arg('id', () => ID) id: string, @Ctx() ctx: ProductContext): Promise<Product | null> {
    return ctx.loaders.productById.load(parseId(id)).then((row) => ctx.products.map(row));
  }

  @Query(() => Product, { nullable: true })
  productBySku(@Arg('sku') sku: string, @Ctx() ctx: ProductContext): Promise<Product | null> {
    return ctx.loaders.productBySku.load(text(sku, 'sku', LIMITS.sku)).then((row) => ctx.products.map(row));
  }

  @Query(() => ProductConnection, {
    nullable: true,
    description: "Newest first. 'first' is 1..100, else BAD_USER_INPUT; 'search' matches name or description.",
  })
  products(
    @Ctx() ctx: ProductContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
    @Arg('category', () => String, { nullable: true }) category?: string | null,
    @Arg('search', () => String, { nullable: true }) search?: string | null,
  ): Promise<ProductConnection> {
    return ctx.products.list({ first, after, category, search });
  }

  @Mutation(() => Product, { description: 'ADMIN only.' })
  createProduct(@Arg('input', () => CreateProductInput) input: CreateProductInput, @Ctx() ctx: ProductContext): Promise<Product> {
    requireAdmin(ctx.identity);
    return ctx.products.create(input);
  }

  @Mutation(() => Product, { description: 'ADMIN only. A price change reaches carts and new orders through domain events.' })
  updateProduct(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateProductInput) input: UpdateProductInput,
    @Ctx() ctx: ProductContext,
  ): Promise<Product> {
    requireAdmin(ctx.identity);
    return ctx.products.update(parseId(id), input);
  }

  @Mutation(() => Product, { description: 'ADMIN only. Adds 1..1000000 units to stock, else BAD_USER_INPUT.' })
  restockProduct(@Arg('id', () => ID) id: string, @Arg('quantity', () => Int) quantity: number, @Ctx() ctx: ProductContext): Promise<Product> {
    requireAdmin(ctx.identity);
    return ctx.products.restock(parseId(id), quantity);
  }
}
