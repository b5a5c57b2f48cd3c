import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { isOwnerOrAdmin, NotFoundError, parseId, requireCaller, requireOwnerOrAdmin } from '@shop/runtime';
import type { UserContext } from '../context';
import { UpdateProfileInput } from './user.input';
import { User } from './user.type';

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, { nullable: true, description: 'The signed-in user; null without a token. An invalid or expired token is UNAUTHENTICATED.' })
  me(@Ctx() ctx: UserContext): Promise<User | null> | null {
    return ctx.identity ? ctx.loaders.userById.load(ctx.identity.userId) : null;
  }

  @Query(() => User, {
    nullable: true,
    description: 'The user themself or an admin; anyone else gets null with NOT_FOUND (ids cannot be probed).',
  })
  async user(@Arg('id', () => ID) id: string, @Ctx() ctx: UserContext): Promise<User | null> {
    const userId = parseId(id);
    // Same answer for "not yours" and "does not exist".
    const user = isOwnerOrAdmin(ctx.identity, userId) ? await ctx.loaders.userById.load(userId) : null;
    if (!user) throw new NotFoundError('No user with that id.');
    return user;
  }

  @Mutation(() => User, { description: 'Signed-in users only; changes their own profile.' })
  async updateProfile(@Arg('input', () => UpdateProfileInput) input: UpdateProfileInput, @Ctx() ctx: UserContext): Promise<User> {
    const caller = requireCaller(ctx.identity);
    const user = await ctx.users.updateProfile(caller.userId, input, (id) => ctx.loaders.userById.load(id));
    ctx.loaders.userById.clear(user.id).prime(user.id, user);
    return user;
  }

  @FieldResolver(() => String)
  email(@Root() user: User, @Ctx() ctx: UserContext): string {
    // Whoever just proved who they are in this request (signUp, logIn, refreshSession) sees their own email.
    if (!ctx.authenticatedUserIds.has(user.id)) requireOwnerOrAdmin(ctx.identity, user.id);
    return user.email;
  }
}
