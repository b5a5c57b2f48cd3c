import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { requireCaller } from '@shop/runtime';
import type { CartContext } from '../context';
import { Cart } from './cart.type';

/** The signed-in caller's user id; a cart is always the caller's own. */
const callerId = (ctx: CartContext): string => requireCaller(ctx.identity).userId;

@Resolver(() => Cart)
export class CartResolver {
  @Query(() => Cart, { nullable: true, description: "The signed-in user's cart (empty at first); UNAUTHENTICATED without a token." })
  myCart(@Ctx() ctx: CartContext): Promise<Cart> {
    return ctx.carts.read(ctx.loaders, callerId(ctx));
  }

  @Mutation(() => Cart, {
    description:
      'Adds quantity of a product. BAD_USER_INPUT for a product this subgraph does not know (yet),\n' +
      'for a line quantity outside 1..999, or for a cart over 100 lines.',
  })
  addToCart(
    @Arg('productId', () => ID) productId: string,
    @Arg('quantity', () => Int, { defaultValue: 1 }) quantity: number,
    @Ctx() ctx: CartContext,
  ): Promise<Cart> {
    return ctx.carts.addItem(ctx.loaders, callerId(ctx), productId, quantity);
  }

  @Mutation(() => Cart, { description: 'Sets the quantity (0..999); 0 removes the line.' })
  setCartItemQuantity(@Arg('productId', () => ID) productId: string, @Arg('quantity', () => Int) quantity: number, @Ctx() ctx: CartContext): Promise<Cart> {
    return ctx.carts.setQuantity(ctx.loaders, callerId(ctx), productId, quantity);
  }

  @Mutation(() => Cart)
  removeFromCart(@Arg('productId', () => ID) productId: string, @Ctx() ctx: CartContext): Promise<Cart> {
    return ctx.carts.removeItem(ctx.loaders, callerId(ctx), productId);
  }

  @Mutation(() => Cart)
  clearCart(@Ctx() ctx: CartContext): Promise<Cart> {
    return ctx.carts.clear(ctx.loaders, callerId(ctx));
  }
}
