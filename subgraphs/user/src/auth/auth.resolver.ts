import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { UserContext } from '../context';
import { LogInInput, SignUpInput } from './auth.input';
import { AuthPayload } from './auth.type';

@Resolver(() => AuthPayload)
export class AuthResolver {
  @Mutation(() => AuthPayload, { description: 'Email taken: CONFLICT. Password under 8 characters or a malformed email: BAD_USER_INPUT.' })
  async signUp(@Arg('input', () => SignUpInput) input: SignUpInput, @Ctx() ctx: UserContext): Promise<AuthPayload> {
    return signedIn(ctx, await ctx.auth.signUp(input));
  }

  @Mutation(() => AuthPayload, { description: 'Unknown email or wrong password: UNAUTHENTICATED, with the same message for both.' })
  async logIn(@Arg('input', () => LogInInput) input: LogInInput, @Ctx() ctx: UserContext): Promise<AuthPayload> {
    return signedIn(ctx, await ctx.auth.logIn(input));
  }

  @Mutation(() => AuthPayload, { description: 'Rotates the refresh token: the old one stops working.' })
  async refreshSession(@Arg('refreshToken') refreshToken: string, @Ctx() ctx: UserContext): Promise<AuthPayload> {
    return signedIn(ctx, await ctx.auth.refresh(refreshToken, (id) => ctx.loaders.userById.load(id)));
  }

  @Mutation(() => Boolean, { description: 'Revokes the refresh token (the session); true when one was revoked.' })
  logOut(@Arg('refreshToken') refreshToken: string, @Ctx() ctx: UserContext): Promise<boolean> {
    return ctx.auth.logOut(refreshToken);
  }
}

/** The caller has just proven who they are, so the payload may show them their own email. */
function signedIn(ctx: UserContext, payload: AuthPayload): AuthPayload {
  ctx.authenticatedUserIds.add(payload.user.id);
  return payload;
}
