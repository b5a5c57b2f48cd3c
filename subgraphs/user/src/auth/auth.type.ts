import { Field, ObjectType } from 'type-graphql';
import { User } from '../user/user.type';

@ObjectType()
export class AuthPayload {
  @Field({ description: "Short-lived JWT, sent as 'Authorization: Bearer <token>'." })
  accessToken!: string;

  @Field({ description: 'Opaque, single-use; exchanged for a new pair by refreshSession.' })
  refreshToken!: string;

  @Field({ description: 'When accessToken expires.' })
  expiresAt!: Date;

  @Field(() => User)
  user!: User;
}
