import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { isOwnerOrAdmin, NotFoundError, parseId, requireCaller, requireOwnerOrAdmin } from '@shop/runtime';
import type { OrderContext } from '../context';
import { User } from '../user/user.type';
import { PlaceOrderInput } from './order.input';
import { Order, OrderConnection, OrderItem } from './order.type';

@Resolver(() => Order)
export class OrderResolver {
  @Query(() => Order, {
    nullable: true,
    description: 'The owner or an admin; anyone else gets null with NOT_FOUND (ids cannot be probed).',
  })
  async order(@Arg('id', () => ID) id: string, @Ctx() ctx: OrderContext): Promise<Order | null> {
    const order = ctx.orders.map(await ctx.loaders.orderById.load(parseId(id)));
    if (!order || !isOwnerOrAdmin(ctx.identity, order.userId)) throw new NotFoundError('No order with that id.');
    return order;
  }

  @Query(() => OrderConnection, {
    nullable: true,
    description: "The signed-in user's orders, newest first; UNAUTHENTICATED without a token.",
  })
  myOrders(
    @Ctx() ctx: OrderContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<OrderConnection> {
    return ctx.orders.listForUser(requireCaller(ctx.identity).userId, { first, after }, ctx.loaders);
  }

  @Mutation(() => Order, { description: 'Prices come from the server, never the client. Returns the order as PENDING or later.' })
  placeOrder(@Arg('input', () => PlaceOrderInput) input: PlaceOrderInput, @Ctx() ctx: OrderContext): Promise<Order> {
    return ctx.orders.place(requireCaller(ctx.identity).userId, input);
  }

  @Mutation(() => Order, {
    description:
      'The owner or an admin. PENDING or CONFIRMED becomes CANCELLED and its reserved stock is\n' +
      'released once; an order already CANCELLED is returned as it is; REJECTED is a CONFLICT.',
  })
  async cancelOrder(@Arg('id', () => ID) id: string, @Ctx() ctx: OrderContext): Promise<Order> {
    const caller = requireCaller(ctx.identity);
    const order = await ctx.loaders.orderById.load(parseId(id));
    if (!order) throw new NotFoundError('No order with that id.');
    requireOwnerOrAdmin(caller, order.user_id, 'Only the owner or an admin may cancel this order.');
    return ctx.orders.cancel(order.id);
  }

  @FieldResolver(() => User)
  user(@Root() order: Order): User {
    return { id: order.userId };
  }

  @FieldResolver(() => [OrderItem])
  async items(@Root() order: Order, @Ctx() ctx: OrderContext): Promise<OrderItem[]> {
    const lines = (await ctx.loaders.linesByOrderId.load(order.id)) ?? [];
    return lines.map((line) => ctx.orders.mapItem(line));
  }
}
