import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { requireOwnerOrAdmin } from '@shop/runtime';
import type { CartContext } from '../context';
import { Cart } from '../cart/cart.type';
import { User } from './user.type';

@Resolver(() => User)
export class UserCartResolver {
  @FieldResolver(() => Cart, { nullable: true, description: 'Only the user themself or an admin; FORBIDDEN otherwise.' })
  cart(@Root() user: User, @Ctx() ctx: CartContext): Promise<Cart> {
    requireOwnerOrAdmin(ctx.identity, user.id);
    return ctx.carts.read(ctx.loaders, user.id);
  }
}
