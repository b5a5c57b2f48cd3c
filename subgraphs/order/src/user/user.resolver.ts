import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { parseId, requireOwnerOrAdmin } from '@shop/runtime';
import type { OrderContext } from '../context';
import { OrderConnection } from '../order/order.type';
import { User } from './user.type';

@Resolver(() => User)
export class UserResolver {
  @FieldResolver(() => OrderConnection, {
    nullable: true,
    description: 'Newest first; only the user themself or an admin; FORBIDDEN otherwise.',
  })
  orders(
    @Root() user: User,
    @Ctx() ctx: OrderContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<OrderConnection> {
    const userId = parseId(user.id);
    requireOwnerOrAdmin(ctx.identity, userId);
    return ctx.orders.listForUser(userId, { first, after }, ctx.loaders);
  }
}
